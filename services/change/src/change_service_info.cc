#include "services/change/src/change_service_info.h"

namespace itsm::change {

runtime::ServiceInfo ChangeServiceInfo() {
  using runtime::IntOption;
  using runtime::StringOption;
  return {"change",
          50052,
          9152,
          {
              // Changes are written a few a minute; a batch holds the write lock until it
              // commits, so small batches keep a change manager's click snappy.
              IntOption("commit_batch_size", 64, 1, 10000,
                        "Most writes committed in one transaction (group commit)."),
              StringOption("configuration_address", "",
                           "gRPC address of the configuration service: affected CIs and services "
                           "are checked there, and the risk and dependency conflicts use its "
                           "impact analysis; empty: CIs are taken as given and neither is "
                           "computed."),
              IntOption("configuration_deadline_ms", 2000, 50, 60000,
                        "Deadline of each call to the configuration service; a change write that "
                        "needs it fails with UNAVAILABLE past it."),
              IntOption("state_gauge_interval_seconds", 15, 1, 3600,
                        "How often itsm_change_changes{state} is counted from the database."),
          }};
}

}  // namespace itsm::change
