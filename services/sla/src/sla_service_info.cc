#include "services/sla/src/sla_service_info.h"

namespace itsm::sla {

runtime::ServiceInfo SlaServiceInfo() {
  using runtime::IntOption;
  using runtime::StringOption;
  return {"sla",
          50054,
          9154,
          {
              // 0 would make the group committer take nothing per transaction: every write
              // would wait forever. Calendar and definition writes are rare administrative
              // calls, serialised by the service's write lock: a batch holds it until it commits.
              IntOption("commit_batch_size", 64, 1, 10000,
                        "Most writes committed in one transaction (group commit)."),
              StringOption("default_time_zone", "",
                           "Tenant default IANA zone for definitions whose zone comes from the "
                           "caller or the CI location when the record has none; empty: the "
                           "calendar's zone."),
              StringOption("configuration_address", "",
                           "gRPC address of the configuration service, to find a CI location's "
                           "time zone (GetDueTime with ci_id); empty: callers pass ci_time_zone."),
          }};
}

}  // namespace itsm::sla
