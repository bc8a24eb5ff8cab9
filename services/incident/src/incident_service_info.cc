#include "services/incident/src/incident_service_info.h"

namespace itsm::incident {

runtime::ServiceInfo IncidentServiceInfo() {
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
      }};
}

}  // namespace itsm::incident
