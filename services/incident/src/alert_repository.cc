#include "services/incident/src/alert_repository.h"

#include "itsm/base/status_macros.h"
#include "itsm/storage/unique_insert.h"

namespace itsm::incident {
namespace {

constexpr char kGroups[] = "alert_groups";
constexpr char kStorms[] = "alert_storms";

}  // namespace

const std::vector<storage::Migration>& AlertRepository::Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "create alert intake tables",
       R"sql(
CREATE TABLE alert_groups (
  group_hash TEXT PRIMARY KEY,
  group_key TEXT NOT NULL,
  receiver TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  status TEXT NOT NULL,
  digest TEXT NOT NULL,
  notifications BIGINT NOT NULL,
  first_time_us BIGINT NOT NULL,
  last_time_us BIGINT NOT NULL
);
CREATE INDEX alert_groups_incident ON alert_groups(incident_id);
CREATE TABLE alert_group_alerts (
  group_hash TEXT NOT NULL,
  identity TEXT NOT NULL,
  status TEXT NOT NULL,
  last_time_us BIGINT NOT NULL,
  PRIMARY KEY (group_hash, identity)
);
CREATE TABLE alert_causes (
  group_hash TEXT NOT NULL,
  cause_ci_id TEXT NOT NULL,
  depth INTEGER NOT NULL,
  open_time_us BIGINT NOT NULL,
  PRIMARY KEY (group_hash, cause_ci_id)
);
CREATE INDEX alert_causes_by_cause ON alert_causes(cause_ci_id, open_time_us);
CREATE INDEX alert_causes_by_time ON alert_causes(open_time_us);
CREATE TABLE alert_storms (
  cause_ci_id TEXT PRIMARY KEY,
  parent_incident_id TEXT NOT NULL,
  start_time_us BIGINT NOT NULL,
  last_time_us BIGINT NOT NULL
);
)sql"},
  };
  return kMigrations;
}

absl::StatusOr<std::optional<AlertGroupRow>> AlertRepository::GetGroup(
    storage::Transaction& txn, const std::string& group_hash) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT incident_id, status, digest, notifications"
                                  " FROM alert_groups WHERE group_hash = $1",
                                  {group_hash}));
  if (rows.empty()) return std::nullopt;
  return AlertGroupRow{group_hash, rows.row(0)[0].AsString(), rows.row(0)[1].AsString(),
                       rows.row(0)[2].AsString(), rows.row(0)[3].AsInt()};
}

absl::StatusOr<bool> AlertRepository::ClaimGroup(storage::Transaction& txn,
                                                 const std::string& group_hash,
                                                 const std::string& group_key,
                                                 const std::string& receiver, absl::Time now) {
  return storage::InsertUnlessTaken(
      txn, kGroups, "alert_group_claim",
      "INSERT INTO alert_groups(group_hash, group_key, receiver, incident_id, status, digest,"
      " notifications, first_time_us, last_time_us) VALUES ($1, $2, $3, '', '', '', 0, $4, $4)",
      {group_hash, group_key, receiver, absl::ToUnixMicros(now)});
}

absl::Status AlertRepository::UpdateGroup(storage::Transaction& txn, const AlertGroupRow& row,
                                          absl::Time now) {
  return txn
      .Execute(
          "UPDATE alert_groups SET incident_id = $2, status = $3, digest = $4,"
          " notifications = $5, last_time_us = $6 WHERE group_hash = $1",
          {row.group_hash, row.incident_id, row.status, row.digest, row.notifications,
           absl::ToUnixMicros(now)})
      .status();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> AlertRepository::ListAlerts(
    storage::Transaction& txn, const std::string& group_hash) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT identity, status FROM alert_group_alerts"
                                  " WHERE group_hash = $1 ORDER BY identity",
                                  {group_hash}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : rows.rows()) out.emplace_back(row[0].AsString(), row[1].AsString());
  return out;
}

absl::Status AlertRepository::UpsertAlert(storage::Transaction& txn, const std::string& group_hash,
                                          const std::string& identity, const std::string& status,
                                          absl::Time now) {
  return txn
      .Execute(
          "INSERT INTO alert_group_alerts(group_hash, identity, status, last_time_us)"
          " VALUES ($1, $2, $3, $4) ON CONFLICT (group_hash, identity)"
          " DO UPDATE SET status = excluded.status, last_time_us = excluded.last_time_us",
          {group_hash, identity, status, absl::ToUnixMicros(now)})
      .status();
}

absl::Status AlertRepository::DeleteAlerts(storage::Transaction& txn,
                                           const std::string& group_hash) {
  return txn.Execute("DELETE FROM alert_group_alerts WHERE group_hash = $1", {group_hash}).status();
}

absl::Status AlertRepository::AddCauses(storage::Transaction& txn, const std::string& group_hash,
                                        const std::vector<std::pair<std::string, int>>& causes,
                                        absl::Time now, absl::Time forget_before) {
  ITSM_RETURN_IF_ERROR(txn.Execute("DELETE FROM alert_causes WHERE open_time_us < $1",
                                   {absl::ToUnixMicros(forget_before)})
                           .status());
  for (const auto& [ci, depth] : causes) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO alert_causes(group_hash, cause_ci_id, depth, open_time_us)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (group_hash, cause_ci_id)"
                    " DO UPDATE SET depth = excluded.depth, open_time_us = excluded.open_time_us",
                    {group_hash, ci, depth, absl::ToUnixMicros(now)})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CauseCount>> AlertRepository::CountCauses(storage::Transaction& txn,
                                                                     const std::string& group_hash,
                                                                     absl::Time since) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT cause_ci_id, COUNT(*), SUM(depth) FROM alert_causes"
                                  " WHERE open_time_us >= $2 AND cause_ci_id IN"
                                  " (SELECT cause_ci_id FROM alert_causes WHERE group_hash = $1)"
                                  " GROUP BY cause_ci_id ORDER BY cause_ci_id",
                                  {group_hash, absl::ToUnixMicros(since)}));
  std::vector<CauseCount> out;
  for (const auto& row : rows.rows()) {
    out.push_back(
        {row[0].AsString(), static_cast<int>(row[1].AsInt()), static_cast<int>(row[2].AsInt())});
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> AlertRepository::IncidentsWithCause(
    storage::Transaction& txn, const std::string& cause_ci_id, absl::Time since) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT g.incident_id FROM alert_causes c JOIN alert_groups g"
                                  " ON g.group_hash = c.group_hash WHERE c.cause_ci_id = $1"
                                  " AND c.open_time_us >= $2 AND g.incident_id <> ''"
                                  " ORDER BY c.open_time_us, g.incident_id",
                                  {cause_ci_id, absl::ToUnixMicros(since)}));
  std::vector<std::string> out;
  for (const auto& row : rows.rows()) out.push_back(row[0].AsString());
  return out;
}

absl::StatusOr<std::optional<StormRow>> AlertRepository::ActiveStorm(storage::Transaction& txn,
                                                                     const std::string& group_hash,
                                                                     absl::Time since) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT s.cause_ci_id, s.parent_incident_id, s.last_time_us FROM alert_storms s"
                " JOIN alert_causes c ON c.cause_ci_id = s.cause_ci_id"
                " WHERE c.group_hash = $1 AND s.last_time_us >= $2"
                " ORDER BY s.last_time_us DESC, s.cause_ci_id LIMIT 1",
                {group_hash, absl::ToUnixMicros(since)}));
  if (rows.empty()) return std::nullopt;
  return StormRow{rows.row(0)[0].AsString(), rows.row(0)[1].AsString(),
                  absl::FromUnixMicros(rows.row(0)[2].AsInt())};
}

absl::StatusOr<bool> AlertRepository::ClaimStorm(storage::Transaction& txn,
                                                 const std::string& cause_ci_id,
                                                 const std::string& parent_incident_id,
                                                 absl::Time now, absl::Time expired_before,
                                                 const std::string& ended_parent_id) {
  ITSM_ASSIGN_OR_RETURN(
      bool inserted, storage::InsertUnlessTaken(
                         txn, kStorms, "alert_storm_claim",
                         "INSERT INTO alert_storms(cause_ci_id, parent_incident_id, start_time_us,"
                         " last_time_us) VALUES ($1, $2, $3, $3)",
                         {cause_ci_id, parent_incident_id, absl::ToUnixMicros(now)}));
  if (inserted) return true;
  // An earlier storm of the same cause: replaced only if it ended (a concurrent replacement
  // makes the condition false once that transaction committed).
  ITSM_ASSIGN_OR_RETURN(int64_t n,
                        txn.Execute("UPDATE alert_storms SET parent_incident_id = $2,"
                                    " start_time_us = $3, last_time_us = $3"
                                    " WHERE cause_ci_id = $1 AND (last_time_us < $4"
                                    " OR parent_incident_id = $5)",
                                    {cause_ci_id, parent_incident_id, absl::ToUnixMicros(now),
                                     absl::ToUnixMicros(expired_before), ended_parent_id}));
  return n == 1;
}

absl::Status AlertRepository::TouchStorm(storage::Transaction& txn, const std::string& cause_ci_id,
                                         absl::Time now) {
  return txn
      .Execute("UPDATE alert_storms SET last_time_us = $2 WHERE cause_ci_id = $1",
               {cause_ci_id, absl::ToUnixMicros(now)})
      .status();
}

}  // namespace itsm::incident
