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
              StringOption("incident_address", "",
                           "gRPC address of the incident service: the incidents and problems a "
                           "change links to (incident_ids, problem_ids) are checked there and "
                           "stored as ids; empty: they are taken as given."),
              IntOption("incident_deadline_ms", 2000, 50, 60000,
                        "Deadline of each call to the incident service; a change write that "
                        "links incidents or problems fails with UNAVAILABLE past it."),
              StringOption("consumer_group", "itsm-change",
                           "Kafka consumer group of the consumer of itsm.incident.v1, "
                           "itsm.config.v1 and itsm.change.v1 (caused incidents, open major "
                           "incidents, conflict re-checks); replicas share it (and the "
                           "partitions)."),
              IntOption("caused_incident_window_hours", 72, 0, 24 * 90,
                        "How long after a change's implementation ended an incident on a CI it "
                        "touched (or one depending on it) is linked as possibly caused by it."),
              IntOption("caused_incident_depth", 3, 0, 6,
                        "How many CMDB relationships upstream of an incident's CI a changed CI "
                        "may be for the link (0: the incident's own CIs only)."),
              IntOption("event_mark_retention_days", 30, 1, 3650,
                        "Days a consumed event's de-duplication mark is kept."),
              IntOption("max_rechecks_per_event", 1000, 1, 100000,
                        "Most changes whose conflicts one CMDB, window or major incident event "
                        "re-checks (the first created)."),
          }};
}

}  // namespace itsm::change
