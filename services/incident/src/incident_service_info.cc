#include "services/incident/src/incident_service_info.h"

namespace itsm::incident {

runtime::ServiceInfo IncidentServiceInfo() {
  using runtime::BoolOption;
  using runtime::EnumOption;
  using runtime::IntOption;
  using runtime::StringOption;
  return {
      "incident",
      50051,
      9151,
      {
          // Its shape (square, 1..5) is checked by PriorityMatrix::Parse at start.
          StringOption("priority_matrix", "1,2,3;2,3,4;3,4,5",
                       "Priority (1 = P1) by impact (rows) and urgency (columns), rows separated "
                       "by ';'; the size sets the impact and urgency scales."),
          // 0 would make the group committer take nothing per transaction: every write would
          // wait forever. Above 10,000 one transaction holds the write lock for seconds.
          IntOption("commit_batch_size", 512, 1, 10000,
                    "Most writes committed in one transaction (group commit)."),
          IntOption("commit_writers", 0, 0, 64,
                    "Writer threads of the group committer; 0: one on SQLite (a single writer "
                    "anyway), four on PostgreSQL (each statement is a round trip: writers overlap "
                    "them)."),
          IntOption("reopen_window_hours", 168, 0, 87600,
                    "How long after its resolution an incident may be reopened (RESOLVED -> "
                    "IN_PROGRESS); 0 forbids reopening."),
          BoolOption("auto_close_resolved", true,
                     "Whether the service closes a RESOLVED incident once it has stayed "
                     "unchanged for reopen_window_hours (it can no longer be reopened), in the "
                     "name of service:incident."),
          IntOption("auto_close_interval_seconds", 60, 1, 86400,
                    "How often the service looks for resolved incidents to close."),
          BoolOption("request_self_approval", false,
                     "Whether the person a service request is for, or who raised it, may approve "
                     "or reject it; false keeps the decision with someone else (segregation of "
                     "duties)."),
          // Alert intake (AlertIntakeService, docs/observability.md). Checked against the
          // priority matrix at start.
          StringOption("configuration_address", "",
                       "gRPC address of the configuration service: the CIs incidents and "
                       "problems name are checked and resolved to ids there, alert labels are "
                       "mapped to CIs and business services, and alert storms are found with its "
                       "impact analysis; empty: CIs are stored as given and alert CIs are noted, "
                       "not mapped."),
          IntOption("configuration_deadline_ms", 2000, 50, 60000,
                    "Deadline of each call to the configuration service; past it a record's CIs "
                    "are stored as given, and an alert opens its incident with its CIs noted as "
                    "not looked up."),
          StringOption("alert_ci_labels", "ci,instance",
                       "Alert labels naming the CI (a CI id, class_name/name, or a unique CI "
                       "name; host:port also as host), tried in order."),
          StringOption("alert_service_labels", "service",
                       "Alert labels naming the business service, tried in order; without one "
                       "the nearest business service depending on the CI is taken."),
          StringOption("alert_severity_label", "severity", "The alert label holding the severity."),
          StringOption("alert_severity_priorities",
                       "critical=1:1,error=2:1,warning=2:2,info=3:3,*=2:3",
                       "Impact:urgency of the incident by severity (case-insensitive); '*' for "
                       "any other severity or none. The most urgent firing alert wins."),
          EnumOption("alert_resolution", "resolve", {"resolve", "annotate"},
                     "What a resolved alert group does to its open incident: resolve it, or "
                     "add a work note only."),
          IntOption("alert_cmdb_depth", 3, 0, 12,
                    "CMDB relationships followed from an alert's CI: upstream for storm causes, "
                    "downstream for its business service."),
          IntOption("alert_storm_threshold", 5, 0, 10000,
                    "Alert groups opened within the storm window on CIs sharing an upstream CI "
                    "that are folded under one parent incident; 0: never fold."),
          IntOption("alert_storm_window_seconds", 300, 1, 86400,
                    "The storm window: how recent the groups counted for a storm are."),
          StringOption("alert_category", "monitoring", "Category of incidents opened by alerts."),
          StringOption("alert_assignment_group", "",
                       "Assignment group of incidents opened by alerts (empty: none)."),
      }};
}

}  // namespace itsm::incident
