#include "services/sla/src/sla_service_info.h"

namespace itsm::sla {

runtime::ServiceInfo SlaServiceInfo() {
  using runtime::StringOption;
  return {"sla",
          50054,
          9154,
          {
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
