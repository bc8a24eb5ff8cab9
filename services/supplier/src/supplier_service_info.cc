#include "services/supplier/src/supplier_service_info.h"

namespace itsm::supplier {

runtime::ServiceInfo SupplierServiceInfo() {
  using runtime::IntOption;
  using runtime::StringOption;
  return {"supplier",
          50055,
          9155,
          {
              // 0 would make the group committer take nothing per transaction: every write
              // would wait forever.
              IntOption("commit_batch_size", 64, 1, 10000,
                        "Most writes committed in one transaction (group commit)."),
              // Checked by ParseLeadDays at start.
              StringOption("notice_lead_days", "90,60,30",
                           "Days before a contract's notice deadline that "
                           "ContractNoticeDeadlineApproaching fires, comma-separated."),
              StringOption("expiry_lead_days", "30",
                           "Days before the end of a term that will not renew that "
                           "ContractExpiring fires, comma-separated."),
              IntOption("deadline_poll_seconds", 30, 1, 3600,
                        "How often the deadline scheduler looks for due deadlines."),
              StringOption("configuration_address", "",
                           "gRPC address of the configuration service, to check the CIs of "
                           "suppliers and contracts; empty: not checked."),
              StringOption("sla_address", "",
                           "gRPC address of the SLA service, to check underpinning-contract "
                           "definitions; empty: not checked."),
              StringOption("consumer_group", "itsm-supplier-scorecards",
                           "Kafka consumer group of the scorecards' consumer of itsm.incident.v1, "
                           "itsm.sla.v1 and itsm.change.v1; replicas share it (and the "
                           "partitions)."),
              IntOption("scorecard_mark_retention_days", 30, 1, 3650,
                        "Days an applied event's de-duplication mark is kept (re-applying an "
                        "event changes nothing even after: decision 64)."),
          }};
}

}  // namespace itsm::supplier
