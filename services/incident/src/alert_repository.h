// Alert intake's state in the incident service's own database, written in the same transaction
// as the incident changes it leads to:
//  - alert_groups: one row per Alertmanager group key (its SHA-256 is the primary key) -> the
//    group's incident, its last status and the digest of the last notification applied. The
//    primary key is what keeps two replicas from opening two incidents for one group: the second
//    insert waits for the first transaction and fails, and that call reads the winner's row.
//  - alert_group_alerts: the alerts (by identity) seen firing in a group.
//  - alert_causes: for each group opened in the storm window, its CIs and their upstream CIs.
//  - alert_storms: per cause CI, the storm's parent incident and when the storm last grew.
// Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_INCIDENT_ALERT_REPOSITORY_H_
#define ITSM_SERVICES_INCIDENT_ALERT_REPOSITORY_H_

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"
#include "services/incident/src/alert_rules.h"

namespace itsm::incident {

struct AlertGroupRow {
  std::string group_hash = {};
  std::string incident_id = {};
  std::string status = {};
  std::string digest = {};
  int64_t notifications = 0;
};

struct StormRow {
  std::string cause_ci_id = {};
  std::string parent_incident_id = {};
  absl::Time last_time = absl::InfinitePast();
};

class AlertRepository {
 public:
  static const std::vector<storage::Migration>& Migrations();

  static absl::StatusOr<std::optional<AlertGroupRow>> GetGroup(storage::Transaction& txn,
                                                               const std::string& group_hash);
  // Inserts the group's row (incident_id still empty). False when another call inserted it
  // first: that call's row is committed and readable now.
  static absl::StatusOr<bool> ClaimGroup(storage::Transaction& txn, const std::string& group_hash,
                                         const std::string& group_key, const std::string& receiver,
                                         absl::Time now);
  static absl::Status UpdateGroup(storage::Transaction& txn, const AlertGroupRow& row,
                                  absl::Time now);

  // Identity -> status of the group's alerts seen so far.
  static absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListAlerts(
      storage::Transaction& txn, const std::string& group_hash);
  static absl::Status UpsertAlert(storage::Transaction& txn, const std::string& group_hash,
                                  const std::string& identity, const std::string& status,
                                  absl::Time now);
  static absl::Status DeleteAlerts(storage::Transaction& txn, const std::string& group_hash);

  // Storm bookkeeping. AddCauses also forgets causes older than `forget_before`.
  static absl::Status AddCauses(storage::Transaction& txn, const std::string& group_hash,
                                const std::vector<std::pair<std::string, int>>& causes,
                                absl::Time now, absl::Time forget_before);
  // For each cause of `group_hash`: the groups opened since `since` sharing it.
  static absl::StatusOr<std::vector<CauseCount>> CountCauses(storage::Transaction& txn,
                                                             const std::string& group_hash,
                                                             absl::Time since);
  // The groups opened since `since` that have `cause_ci_id` as a cause, with their incidents.
  static absl::StatusOr<std::vector<std::string>> IncidentsWithCause(storage::Transaction& txn,
                                                                     const std::string& cause_ci_id,
                                                                     absl::Time since);
  // Storms on any cause of `group_hash` that grew since `since`, most recent first.
  static absl::StatusOr<std::optional<StormRow>> ActiveStorm(storage::Transaction& txn,
                                                             const std::string& group_hash,
                                                             absl::Time since);
  // Records the storm of `cause_ci_id`, or replaces one that ended (last grown before
  // `expired_before`, or whose parent is `ended_parent_id`: resolved or closed). False when a
  // concurrent call recorded one first.
  static absl::StatusOr<bool> ClaimStorm(storage::Transaction& txn, const std::string& cause_ci_id,
                                         const std::string& parent_incident_id, absl::Time now,
                                         absl::Time expired_before,
                                         const std::string& ended_parent_id);
  static absl::Status TouchStorm(storage::Transaction& txn, const std::string& cause_ci_id,
                                 absl::Time now);
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_ALERT_REPOSITORY_H_
