#include "services/supplier/src/scorecard_repository.h"

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
  }
  return f;
}

absl::Status ScorecardRepository::ApplyIncident(storage::Transaction& txn,
                                                const IncidentFacts& seen, RollupDeltas& deltas) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(absl::StrCat("SELECT ", kIncidentColumns,
                             ", signature_id FROM scorecard_incidents WHERE incident_id = $1"),
                {seen.incident_id}));
  std::optional<IncidentFacts> stored;
  int64_t stored_signature = 0;
  if (!rows.empty()) {
    stored = IncidentRow(rows.row(0));
    stored_signature = rows.row(0)[6].AsInt();
  }
  // The lists only grow; a group or CI not seen before changes the incident's signature.
  bool grew = false;
  for (const std::string& group : seen.groups) {
    ITSM_ASSIGN_OR_RETURN(int64_t added,
                          txn.Execute("INSERT INTO scorecard_incident_groups(incident_id,"
                                      " group_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                      {seen.incident_id, group}));
    grew |= added > 0;
  }
  for (const std::string& ci : seen.configuration_item_ids) {
    ITSM_ASSIGN_OR_RETURN(int64_t added,
                          txn.Execute("INSERT INTO scorecard_incident_cis(incident_id, ci_id)"
                                      " VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                      {seen.incident_id, ci}));
    grew |= added > 0;
  }
  int64_t signature = stored_signature;
  if (!stored) {
    ITSM_ASSIGN_OR_RETURN(
        signature, ScorecardRollups::SignatureOf(txn, seen.groups, seen.configuration_item_ids));
  } else if (grew) {
    ITSM_ASSIGN_OR_RETURN(std::optional<IncidentFacts> lists,
                          FindIncident(txn, seen.incident_id, true));
    ITSM_ASSIGN_OR_RETURN(signature, ScorecardRollups::SignatureOf(txn, lists->groups,
                                                                   lists->configuration_item_ids));
  }
  IncidentFacts merged = stored ? Merge(*stored, seen) : seen;
  merged.groups.clear();
  merged.configuration_item_ids.clear();
  if (!stored) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute(absl::StrCat("INSERT INTO scorecard_incidents(", kIncidentColumns,
                                 ", signature_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
                    {merged.incident_id, merged.create_us, merged.response_us, merged.resolve_us,
                     merged.reopen_count, merged.update_us, signature})
            .status());
  } else if (merged == *stored && signature == stored_signature) {
    return absl::OkStatus();
  } else {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("UPDATE scorecard_incidents SET create_us = $2, response_us = $3,"
                    " resolve_us = $4, reopen_count = $5, update_us = $6, signature_id = $7"
                    " WHERE incident_id = $1",
                    {merged.incident_id, merged.create_us, merged.response_us, merged.resolve_us,
                     merged.reopen_count, merged.update_us, signature})
            .status());
    deltas.AddIncident(stored_signature, *stored, -1);
  }
  deltas.AddIncident(signature, merged, 1);
  return absl::OkStatus();
}

absl::Status ScorecardRepository::ApplyUcClock(storage::Transaction& txn, const UcClockFacts& seen,
                                               RollupDeltas& deltas) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT completed, breached, event_us, definition_id, stop_us"
                                  " FROM scorecard_uc_clocks WHERE clock_id = $1",
                                  {seen.clock_id}));
  if (!rows.empty()) {
    UcClockFacts stored;
    stored.completed = rows.row(0)[0].AsInt() != 0;
    stored.breached = rows.row(0)[1].AsInt() != 0;
    stored.event_us = rows.row(0)[2].AsInt();
    stored.definition_id = rows.row(0)[3].AsString();
    stored.stop_us = rows.row(0)[4].AsInt();
    if (!Supersedes(seen, stored)) return absl::OkStatus();
    deltas.AddClock(stored, -1);
  }
  deltas.AddClock(seen, 1);
  return txn
      .Execute(
          "INSERT INTO scorecard_uc_clocks(clock_id, definition_id, incident_id, completed,"
          " breached, stop_us, event_us) VALUES ($1, $2, $3, $4, $5, $6, $7)"
          " ON CONFLICT (clock_id) DO UPDATE SET definition_id = excluded.definition_id,"
          " incident_id = excluded.incident_id, completed = excluded.completed,"
          " breached = excluded.breached, stop_us = excluded.stop_us,"
          " event_us = excluded.event_us",
          {seen.clock_id, seen.definition_id, seen.incident_id, seen.completed ? 1 : 0,
           seen.breached ? 1 : 0, seen.stop_us, seen.event_us})
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
