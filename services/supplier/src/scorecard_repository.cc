#include "services/supplier/src/scorecard_repository.h"

#include <tuple>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {
namespace {

IncidentFacts IncidentRow(const std::vector<storage::Value>& row) {
  IncidentFacts f;
  f.incident_id = row[0].AsString();
  f.create_us = row[1].AsInt();
  f.response_us = row[2].AsInt();
  f.resolve_us = row[3].AsInt();
  f.reopen_count = static_cast<int32_t>(row[4].AsInt());
  f.update_us = row[5].AsInt();
  return f;
}

constexpr char kIncidentColumns[] =
    "incident_id, create_us, response_us, resolve_us, reopen_count, update_us";

}  // namespace

absl::StatusOr<bool> ScorecardRepository::MarkApplied(storage::Transaction& txn,
                                                      const std::string& ce_id, int64_t now_us) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t inserted,
      txn.Execute("INSERT INTO scorecard_events(ce_id, applied_us) VALUES ($1, $2)"
                  " ON CONFLICT (ce_id) DO NOTHING",
                  {ce_id, now_us}));
  return inserted == 1;
}

absl::StatusOr<int64_t> ScorecardRepository::PruneMarks(storage::Transaction& txn,
                                                        int64_t before_us) {
  return txn.Execute("DELETE FROM scorecard_events WHERE applied_us < $1", {before_us});
}

absl::StatusOr<std::optional<IncidentFacts>> ScorecardRepository::FindIncident(
    storage::Transaction& txn, const std::string& incident_id, bool with_lists) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query(absl::StrCat("SELECT ", kIncidentColumns,
                                               " FROM scorecard_incidents WHERE incident_id = $1"),
                                  {incident_id}));
  if (rows.empty()) return std::nullopt;
  IncidentFacts f = IncidentRow(rows.row(0));
  if (with_lists) {
    ITSM_ASSIGN_OR_RETURN(storage::ResultSet groups,
                          txn.Query("SELECT group_name FROM scorecard_incident_groups"
                                    " WHERE incident_id = $1 ORDER BY group_name",
                                    {incident_id}));
    for (const auto& row : groups.rows()) f.groups.push_back(row[0].AsString());
    ITSM_ASSIGN_OR_RETURN(storage::ResultSet cis,
                          txn.Query("SELECT ci_id FROM scorecard_incident_cis"
                                    " WHERE incident_id = $1 ORDER BY ci_id",
                                    {incident_id}));
    for (const auto& row : cis.rows()) f.configuration_item_ids.push_back(row[0].AsString());
    ITSM_ASSIGN_OR_RETURN(storage::ResultSet causes,
                          txn.Query("SELECT group_name FROM scorecard_incident_causes"
                                    " WHERE incident_id = $1 ORDER BY group_name",
                                    {incident_id}));
    for (const auto& row : causes.rows()) f.causing_groups.push_back(row[0].AsString());
  }
  return f;
}

absl::Status ScorecardRepository::ApplyIncident(storage::Transaction& txn,
                                                const IncidentFacts& seen, RollupDeltas& deltas) {
  // The incident's row is locked before anything of it is read: its events (incident topic) and
  // its links (change topic, keyed by the change) may be applied by two replicas at once, and
  // each moves the incident's contribution from its stored signature to a new one. A first event
  // inserts an empty row (no times, signature 0: it contributes nothing), which a replica racing
  // for it waits on.
  const bool postgres = txn.dialect() == storage::Dialect::kPostgres;
  const std::string select = absl::StrCat(
      "SELECT ", kIncidentColumns, ", signature_id FROM scorecard_incidents WHERE incident_id = $1",
      postgres ? " FOR UPDATE" : "");
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows, txn.Query(select, {seen.incident_id}));
  bool created = false;
  if (rows.empty()) {
    ITSM_ASSIGN_OR_RETURN(
        int64_t inserted,
        txn.Execute(absl::StrCat("INSERT INTO scorecard_incidents(", kIncidentColumns,
                                 ", signature_id) VALUES ($1, 0, 0, 0, 0, 0, 0)"
                                 " ON CONFLICT (incident_id) DO NOTHING"),
                    {seen.incident_id}));
    created = inserted == 1;
    if (!created) {  // another replica's row, committed while this one waited
      ITSM_ASSIGN_OR_RETURN(rows, txn.Query(select, {seen.incident_id}));
    }
  }
  IncidentFacts stored;
  stored.incident_id = seen.incident_id;
  int64_t stored_signature = 0;
  if (!created) {
    stored = IncidentRow(rows.row(0));
    stored_signature = rows.row(0)[6].AsInt();
  }
  // The lists only grow; a group, CI or causing group not seen before changes the signature.
  bool grew = false;
  for (const auto& [table, column, names] :
       {std::tuple("scorecard_incident_groups", "group_name", &seen.groups),
        std::tuple("scorecard_incident_cis", "ci_id", &seen.configuration_item_ids),
        std::tuple("scorecard_incident_causes", "group_name", &seen.causing_groups)}) {
    for (const std::string& name : *names) {
      ITSM_ASSIGN_OR_RETURN(
          int64_t added, txn.Execute(absl::StrCat("INSERT INTO ", table, "(incident_id, ", column,
                                                  ") VALUES ($1, $2) ON CONFLICT DO NOTHING"),
                                     {seen.incident_id, name}));
      grew |= added > 0;
    }
  }
  int64_t signature = stored_signature;
  if (created) {
    // Nothing of a new incident was stored before (every event of it locks this row first).
    ITSM_ASSIGN_OR_RETURN(
        signature, ScorecardRollups::SignatureOf(txn, seen.groups, seen.configuration_item_ids,
                                                 seen.causing_groups));
  } else if (grew) {
    ITSM_ASSIGN_OR_RETURN(std::optional<IncidentFacts> lists,
                          FindIncident(txn, seen.incident_id, true));
    ITSM_ASSIGN_OR_RETURN(
        signature, ScorecardRollups::SignatureOf(txn, lists->groups, lists->configuration_item_ids,
                                                 lists->causing_groups));
  }
  IncidentFacts merged = Merge(stored, seen);
  merged.groups.clear();
  merged.configuration_item_ids.clear();
  merged.causing_groups.clear();
  if (merged == stored && signature == stored_signature) return absl::OkStatus();
  ITSM_RETURN_IF_ERROR(
      txn.Execute("UPDATE scorecard_incidents SET create_us = $2, response_us = $3,"
                  " resolve_us = $4, reopen_count = $5, update_us = $6, signature_id = $7"
                  " WHERE incident_id = $1",
                  {merged.incident_id, merged.create_us, merged.response_us, merged.resolve_us,
                   merged.reopen_count, merged.update_us, signature})
          .status());
  deltas.AddIncident(stored_signature, stored, -1);
  deltas.AddIncident(signature, merged, 1);
  return absl::OkStatus();
}

absl::Status ScorecardRepository::ApplyUcClock(storage::Transaction& txn, const UcClockFacts& seen,
                                               RollupDeltas& deltas) {
  // Locked as an incident is (ApplyIncident): a row inserted empty here is replaced below.
  const bool postgres = txn.dialect() == storage::Dialect::kPostgres;
  const std::string select = absl::StrCat(
      "SELECT completed, breached, event_us, definition_id, stop_us, seq"
      " FROM scorecard_uc_clocks WHERE clock_id = $1",
      postgres ? " FOR UPDATE" : "");
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows, txn.Query(select, {seen.clock_id}));
  if (rows.empty() && postgres) {
    ITSM_ASSIGN_OR_RETURN(int64_t inserted,
                          txn.Execute("INSERT INTO scorecard_uc_clocks(clock_id, definition_id,"
                                      " incident_id, completed, breached, stop_us, event_us)"
                                      " VALUES ($1, '', '', 0, 0, 0, 0) ON CONFLICT DO NOTHING",
                                      {seen.clock_id}));
    if (inserted == 0) {
      ITSM_ASSIGN_OR_RETURN(rows, txn.Query(select, {seen.clock_id}));
    }
  }
  if (!rows.empty()) {
    UcClockFacts stored;
    stored.completed = rows.row(0)[0].AsInt() != 0;
    stored.breached = rows.row(0)[1].AsInt() != 0;
    stored.event_us = rows.row(0)[2].AsInt();
    stored.definition_id = rows.row(0)[3].AsString();
    stored.stop_us = rows.row(0)[4].AsInt();
    stored.sequence = rows.row(0)[5].AsInt();
    if (!Supersedes(seen, stored)) return absl::OkStatus();
    deltas.AddClock(stored, -1);
  }
  deltas.AddClock(seen, 1);
  return txn
      .Execute(
          "INSERT INTO scorecard_uc_clocks(clock_id, definition_id, incident_id, completed,"
          " breached, stop_us, event_us, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
          " ON CONFLICT (clock_id) DO UPDATE SET definition_id = excluded.definition_id,"
          " incident_id = excluded.incident_id, completed = excluded.completed,"
          " breached = excluded.breached, stop_us = excluded.stop_us,"
          " event_us = excluded.event_us, seq = excluded.seq",
          {seen.clock_id, seen.definition_id, seen.incident_id, seen.completed ? 1 : 0,
           seen.breached ? 1 : 0, seen.stop_us, seen.event_us, seen.sequence})
      .status();
}

absl::StatusOr<std::vector<ScorecardRepository::SupplierCompliance>>
ScorecardRepository::ComplianceBySupplier(storage::Transaction& txn, int64_t from_us,
                                          int64_t to_us) {
  // DISTINCT pairs first: a definition linked by two contracts of a supplier counts once.
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT s.number,"
                " SUM(CASE WHEN k.completed = 1 AND k.breached = 0 AND k.stop_us >= $2"
                "      AND k.stop_us < $3 THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN k.completed = 1 AND k.breached = 1 AND k.stop_us >= $2"
                "      AND k.stop_us < $3 THEN 1 ELSE 0 END)"
                " FROM suppliers s"
                " JOIN (SELECT DISTINCT supplier_id, definition_id FROM contract_uc_definitions) d"
                "  ON d.supplier_id = s.id"
                " LEFT JOIN scorecard_uc_clocks k ON k.definition_id = d.definition_id"
                " WHERE s.status <> $1 GROUP BY s.number ORDER BY s.number",
                {static_cast<int>(v1::SUPPLIER_STATUS_TERMINATED), from_us, to_us}));
  std::vector<SupplierCompliance> out;
  for (const auto& row : rows.rows()) {
    out.push_back({row[0].AsString(), row[1].AsInt(), row[2].AsInt()});
  }
  return out;
}

}  // namespace itsm::supplier
