#include "services/configuration/src/configuration_service_info.h"

namespace itsm::config {

runtime::ServiceInfo ConfigurationServiceInfo() {
  return {"configuration",
          50053,
          9153,
          {
              // 0 would make the group committer take nothing per transaction: every write
              // would wait forever. Above 10,000 one transaction holds the graph head's lock
              // for seconds.
              runtime::IntOption("commit_batch_size", 256, 1, 10000,
                                 "Most writes committed in one transaction (group commit)."),
          }};
}

}  // namespace itsm::config
