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
                                                const IncidentFacts& seen) {
  ITSM_ASSIGN_OR_RETURN(std::optional<IncidentFacts> stored,
                        FindIncident(txn, seen.incident_id, false));
  if (!stored) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute(absl::StrCat("INSERT INTO scorecard_incidents(", kIncidentColumns,
                                 ") VALUES ($1, $2, $3, $4, $5, $6)"),
                    {seen.incident_id, seen.create_us, seen.response_us, seen.resolve_us,
                     seen.reopen_count, seen.update_us})
            .status());
  } else if (const IncidentFacts merged = Merge(*stored, seen); !(merged == *stored)) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("UPDATE scorecard_incidents SET create_us = $2, response_us = $3,"
                    " resolve_us = $4, reopen_count = $5, update_us = $6 WHERE incident_id = $1",
                    {merged.incident_id, merged.create_us, merged.response_us, merged.resolve_us,
                     merged.reopen_count, merged.update_us})
            .status());
  }
  for (const std::string& group : seen.groups) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO scorecard_incident_groups(incident_id, group_name)"
                    " VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    {seen.incident_id, group})
            .status());
  }
  for (const std::string& ci : seen.configuration_item_ids) {
    ITSM_RETURN_IF_ERROR(txn.Execute("INSERT INTO scorecard_incident_cis(incident_id, ci_id)"
                                     " VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                     {seen.incident_id, ci})
                             .status());
  }
  return absl::OkStatus();
}

absl::Status ScorecardRepository::ApplyUcClock(storage::Transaction& txn,
                                               const UcClockFacts& seen) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT completed, breached, event_us FROM scorecard_uc_clocks"
                                  " WHERE clock_id = $1",
                                  {seen.clock_id}));
  if (!rows.empty()) {
    UcClockFacts stored;
    stored.completed = rows.row(0)[0].AsInt() != 0;
    stored.breached = rows.row(0)[1].AsInt() != 0;
    stored.event_us = rows.row(0)[2].AsInt();
    if (!Supersedes(seen, stored)) return absl::OkStatus();
  }
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

absl::StatusOr<std::vector<IncidentFacts>> ScorecardRepository::SupplierIncidents(
    storage::Transaction& txn, const std::string& supplier_id, int64_t from_us, int64_t to_us) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(absl::StrCat("SELECT ", kIncidentColumns,
                             " FROM scorecard_incidents WHERE incident_id IN ("
                             "  SELECT g.incident_id FROM scorecard_incident_groups g"
                             "  JOIN supplier_groups s ON s.group_name = g.group_name"
                             "  WHERE s.supplier_id = $1"
                             "  UNION SELECT c.incident_id FROM scorecard_incident_cis c"
                             "  JOIN supplier_cis s ON s.ci_id = c.ci_id WHERE s.supplier_id = $1)"
                             " AND ((create_us >= $2 AND create_us < $3)"
                             "  OR (resolve_us >= $2 AND resolve_us < $3))"),
                {supplier_id, from_us, to_us}));
  std::vector<IncidentFacts> out;
  out.reserve(rows.size());
  for (const auto& row : rows.rows()) out.push_back(IncidentRow(row));
  return out;
}

absl::StatusOr<std::vector<UcClockFacts>> ScorecardRepository::SupplierUcClocks(
    storage::Transaction& txn, const std::string& supplier_id, int64_t from_us, int64_t to_us) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT clock_id, definition_id, breached, stop_us FROM scorecard_uc_clocks"
                " WHERE definition_id IN (SELECT definition_id FROM contract_uc_definitions"
                "  WHERE supplier_id = $1)"
                " AND completed = 1 AND stop_us >= $2 AND stop_us < $3",
                {supplier_id, from_us, to_us}));
  std::vector<UcClockFacts> out;
  out.reserve(rows.size());
  for (const auto& row : rows.rows()) {
    UcClockFacts c;
    c.clock_id = row[0].AsString();
    c.definition_id = row[1].AsString();
    c.completed = true;
    c.breached = row[2].AsInt() != 0;
    c.stop_us = row[3].AsInt();
    out.push_back(std::move(c));
  }
  return out;
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
