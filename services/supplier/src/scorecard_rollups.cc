#include "services/supplier/src/scorecard_rollups.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"

namespace itsm::supplier {
namespace {

// The signatures naming one of supplier $1's groups or CIs. Written as IN lists so that both
// databases start from the supplier's few groups and CIs, never from the members of every
// signature (a join let SQLite scan them all).
constexpr char kSupplierSignatures[] =
    "SELECT signature_id FROM scorecard_signature_members WHERE kind = 'g' AND name IN"
    " (SELECT group_name FROM supplier_groups WHERE supplier_id = $1)"
    " UNION SELECT signature_id FROM scorecard_signature_members WHERE kind = 'c' AND name IN"
    " (SELECT ci_id FROM supplier_cis WHERE supplier_id = $1)";

// Of those, the signatures naming one of its CIs and one of its groups as a causing change's
// group (kind 'x'): its incidents on its CIs caused by its changes (decision 109).
constexpr char kCausedSignatures[] =
    "SELECT signature_id FROM scorecard_signature_members WHERE kind = 'x' AND name IN"
    " (SELECT group_name FROM supplier_groups WHERE supplier_id = $1)"
    " INTERSECT SELECT signature_id FROM scorecard_signature_members WHERE kind = 'c' AND name IN"
    " (SELECT ci_id FROM supplier_cis WHERE supplier_id = $1)";

// A supplier's signatures, looked up once per scorecard: `in_list` ("3,17,42") goes into the
// queries that read its rows and facts as literals, so that the 27 queries of a year in a zone
// off UTC do not each look them up again.
struct SupplierSignatureSet {
  std::string in_list = {};
  absl::flat_hash_set<int64_t> caused = {};
};

absl::StatusOr<SupplierSignatureSet> SignaturesOf(storage::Transaction& txn,
                                                  const std::string& supplier_id) {
  SupplierSignatureSet out;
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet all, txn.Query(kSupplierSignatures, {supplier_id}));
  for (const auto& row : all.rows()) {
    absl::StrAppend(&out.in_list, out.in_list.empty() ? "" : ",", row[0].AsInt());
  }
  if (out.in_list.empty()) return out;
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet caused, txn.Query(kCausedSignatures, {supplier_id}));
  for (const auto& row : caused.rows()) out.caused.insert(row[0].AsInt());
  return out;
}

int64_t MonthIndex(absl::CivilMonth m) { return m.year() * 12 + m.month() - 1; }

// The member kinds: an assignment group, a CI, a causing change's group.
struct SignatureLists {
  std::vector<std::string> groups = {};
  std::vector<std::string> cis = {};
  std::vector<std::string> causes = {};
};

// A canonical text of the sets: length-prefixed, so that no name can make two sets look alike.
// Causing groups come last and only when there are some, so the signatures stored before they
// existed keep their keys.
std::string SignatureKey(SignatureLists& lists) {
  std::string key;
  for (auto* list : {&lists.groups, &lists.cis, &lists.causes}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
    list->erase(std::remove(list->begin(), list->end(), std::string()), list->end());
  }
  for (const auto& g : lists.groups) absl::StrAppend(&key, "g", g.size(), ":", g, ";");
  for (const auto& c : lists.cis) absl::StrAppend(&key, "c", c.size(), ":", c, ";");
  for (const auto& x : lists.causes) absl::StrAppend(&key, "x", x.size(), ":", x, ";");
  return key;
}

// FNV-1a: stable across builds (the hash is stored); equal keys are still compared in full.
int64_t KeyHash(const std::string& key) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h);
}

absl::StatusOr<int64_t> FindOrCreateSignature(storage::Transaction& txn, const std::string& key,
                                              const SignatureLists& lists) {
  if (key.empty()) return 0;
  const int64_t hash = KeyHash(key);
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet found,
      txn.Query("SELECT id FROM scorecard_signatures WHERE key_hash = $1 AND members = $2",
                {hash, key}));
  if (!found.empty()) return found.row(0)[0].AsInt();
  // Two replicas may create the same signature at once: two ids for one set is harmless, since
  // each incident has one of them and a scorecard sums over every id naming the supplier.
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet created,
                        txn.Query("INSERT INTO scorecard_signatures(key_hash, members)"
                                  " VALUES ($1, $2) RETURNING id",
                                  {hash, key}));
  const int64_t id = created.row(0)[0].AsInt();
  for (const auto& [kind, names] :
       {std::pair("g", &lists.groups), std::pair("c", &lists.cis), std::pair("x", &lists.causes)}) {
    for (const auto& name : *names) {
      ITSM_RETURN_IF_ERROR(txn.Execute("INSERT INTO scorecard_signature_members(signature_id,"
                                       " kind, name) VALUES ($1, $2, $3)",
                                       {id, kind, name})
                               .status());
    }
  }
  return id;
}

absl::StatusOr<PeriodTally> DecodeIncidentRow(const std::vector<storage::Value>& row) {
  PeriodTally t;
  t.incidents = row[0].AsInt();
  t.reopened = row[1].AsInt();
  ITSM_ASSIGN_OR_RETURN(t.response, DurationHistogram::Decode(row[2].AsString()));
  ITSM_ASSIGN_OR_RETURN(t.resolution, DurationHistogram::Decode(row[3].AsString()));
  return t;
}

absl::Status NegativeRow(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("scorecard roll-up ", what, " would hold a negative count"));
}

absl::Status FlushIncidentRow(storage::Transaction& txn, int64_t signature, int64_t month,
                              const PeriodTally& delta) {
  const bool postgres = txn.dialect() == storage::Dialect::kPostgres;
  if (postgres) {
    // The row must exist to be locked: a replica applying another batch to it waits here
    // instead of overwriting this change with a tally read before it.
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO scorecard_month_rollups(signature_id, month, incidents,"
                    " reopened, response_hist, resolution_hist) VALUES ($1, $2, 0, 0, $3, $3)"
                    " ON CONFLICT DO NOTHING",
                    {signature, month, storage::Bytes{}})
            .status());
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(absl::StrCat("SELECT incidents, reopened, response_hist, resolution_hist"
                             " FROM scorecard_month_rollups WHERE signature_id = $1 AND month = $2",
                             postgres ? " FOR UPDATE" : ""),
                {signature, month}));
  PeriodTally row;
  if (!rows.empty()) {
    ITSM_ASSIGN_OR_RETURN(row, DecodeIncidentRow(rows.row(0)));
  }
  row.Merge(delta);
  if (row.HasNegative()) return NegativeRow(absl::StrCat(signature, "/", month));
  if (row.IsZero()) {
    return txn
        .Execute("DELETE FROM scorecard_month_rollups WHERE signature_id = $1 AND month = $2",
                 {signature, month})
        .status();
  }
  return txn
      .Execute(
          "INSERT INTO scorecard_month_rollups(signature_id, month, incidents, reopened,"
          " response_hist, resolution_hist) VALUES ($1, $2, $3, $4, $5, $6)"
          " ON CONFLICT (signature_id, month) DO UPDATE SET incidents = excluded.incidents,"
          " reopened = excluded.reopened, response_hist = excluded.response_hist,"
          " resolution_hist = excluded.resolution_hist",
          {signature, month, row.incidents, row.reopened, storage::Bytes{row.response.Encode()},
           storage::Bytes{row.resolution.Encode()}})
      .status();
}

absl::Status FlushClockRow(storage::Transaction& txn, const std::string& definition, int64_t month,
                           const PeriodTally& delta) {
  // Counts only: the arithmetic is done by the database, under its row lock.
  ITSM_RETURN_IF_ERROR(
      txn.Execute("INSERT INTO scorecard_uc_month_rollups(definition_id, month, met, breached)"
                  " VALUES ($1, $2, $3, $4) ON CONFLICT (definition_id, month) DO UPDATE SET"
                  " met = scorecard_uc_month_rollups.met + excluded.met,"
                  " breached = scorecard_uc_month_rollups.breached + excluded.breached",
                  {definition, month, delta.met, delta.breached})
          .status());
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT met, breached FROM scorecard_uc_month_rollups"
                                  " WHERE definition_id = $1 AND month = $2",
                                  {definition, month}));
  const int64_t met = rows.row(0)[0].AsInt();
  const int64_t breached = rows.row(0)[1].AsInt();
  if (met < 0 || breached < 0) return NegativeRow(absl::StrCat(definition, "/", month));
  if (met == 0 && breached == 0) {
    return txn
        .Execute("DELETE FROM scorecard_uc_month_rollups WHERE definition_id = $1 AND month = $2",
                 {definition, month})
        .status();
  }
  return absl::OkStatus();
}

// The supplier's facts stored in [from_us, to_us): its incidents created there (creation
// figures), first resolved there (resolution figures), and its UC clocks stopped there.
absl::StatusOr<PeriodTally> WindowTally(storage::Transaction& txn, const std::string& supplier_id,
                                        const SupplierSignatureSet& signatures, int64_t from_us,
                                        int64_t to_us) {
  PeriodTally t;
  for (const char* column : {"create_us", "resolve_us"}) {
    if (signatures.in_list.empty()) break;
    ITSM_ASSIGN_OR_RETURN(
        storage::ResultSet rows,
        txn.Query(
            absl::StrCat("SELECT create_us, response_us, resolve_us, reopen_count, signature_id"
                         " FROM scorecard_incidents WHERE signature_id IN (",
                         signatures.in_list, ") AND ", column, " >= $1 AND ", column, " < $2"),
            {from_us, to_us}));
    for (const auto& row : rows.rows()) {
      IncidentFacts f;
      f.create_us = row[0].AsInt();
      f.response_us = row[1].AsInt();
      f.resolve_us = row[2].AsInt();
      f.reopen_count = static_cast<int32_t>(row[3].AsInt());
      if (column == std::string_view("create_us")) {
        AddCreation(f, 1, t);
        if (signatures.caused.contains(row[4].AsInt())) ++t.caused;
      } else {
        AddResolution(f, 1, t);
      }
    }
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet clocks,
      txn.Query("SELECT breached FROM scorecard_uc_clocks WHERE definition_id IN"
                " (SELECT definition_id FROM contract_uc_definitions WHERE supplier_id = $1)"
                " AND completed = 1 AND stop_us >= $2 AND stop_us < $3",
                {supplier_id, from_us, to_us}));
  for (const auto& row : clocks.rows()) {
    AddClock({.completed = true, .breached = row[0].AsInt() != 0}, 1, t);
  }
  return t;
}

}  // namespace

int64_t UtcMonthIndex(int64_t micros) {
  return MonthIndex(
      absl::CivilMonth(absl::ToCivilSecond(absl::FromUnixMicros(micros), absl::UTCTimeZone())));
}

void RollupDeltas::AddIncident(int64_t signature, const IncidentFacts& incident, int64_t sign) {
  if (signature == 0) return;
  if (incident.create_us != 0) {
    AddCreation(incident, sign, incidents_[{signature, UtcMonthIndex(incident.create_us)}]);
  }
  if (incident.resolve_us != 0) {
    AddResolution(incident, sign, incidents_[{signature, UtcMonthIndex(incident.resolve_us)}]);
  }
}

void RollupDeltas::AddClock(const UcClockFacts& clock, int64_t sign) {
  if (!clock.completed) return;
  supplier::AddClock(clock, sign, clocks_[{clock.definition_id, UtcMonthIndex(clock.stop_us)}]);
}

absl::Status RollupDeltas::Flush(storage::Transaction& txn) {
  for (const auto& [key, delta] : incidents_) {
    // An incident whose new facts leave its months as they were (a comment, an assignment
    // within the signature's groups) cancels out here and costs no write.
    if (delta.IsZero()) continue;
    ITSM_RETURN_IF_ERROR(FlushIncidentRow(txn, key.first, key.second, delta));
  }
  for (const auto& [key, delta] : clocks_) {
    if (delta.IsZero()) continue;
    ITSM_RETURN_IF_ERROR(FlushClockRow(txn, key.first, key.second, delta));
  }
  incidents_.clear();
  clocks_.clear();
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ScorecardRollups::SignatureOf(storage::Transaction& txn,
                                                      std::vector<std::string> groups,
                                                      std::vector<std::string> cis,
                                                      std::vector<std::string> causing_groups) {
  SignatureLists lists{std::move(groups), std::move(cis), std::move(causing_groups)};
  const std::string key = SignatureKey(lists);
  return FindOrCreateSignature(txn, key, lists);
}

absl::StatusOr<std::vector<PeriodTally>> ScorecardRollups::SupplierMonths(
    storage::Transaction& txn, const std::string& supplier_id, const MonthRange& range,
    absl::TimeZone zone) {
  const auto n = static_cast<size_t>(range.size());
  std::vector<PeriodTally> months(n);
  const int64_t first = MonthIndex(range.first);
  const int64_t last = MonthIndex(range.last);
  // The UTC months: one row per signature of the supplier and month.
  ITSM_ASSIGN_OR_RETURN(SupplierSignatureSet signatures, SignaturesOf(txn, supplier_id));
  if (!signatures.in_list.empty()) {
    ITSM_ASSIGN_OR_RETURN(
        storage::ResultSet rows,
        txn.Query(absl::StrCat("SELECT month, incidents, reopened, response_hist, resolution_hist,"
                               " signature_id FROM scorecard_month_rollups WHERE signature_id IN (",
                               signatures.in_list, ") AND month >= $1 AND month <= $2"),
                  {first, last}));
    for (const auto& row : rows.rows()) {
      std::vector<storage::Value> tally(row.begin() + 1, row.end());
      ITSM_ASSIGN_OR_RETURN(PeriodTally t, DecodeIncidentRow(tally));
      // Every incident of a signature naming one of its CIs and one of its groups as a causing
      // group is one it caused on its CIs.
      if (signatures.caused.contains(row[5].AsInt())) t.caused = t.incidents;
      months[static_cast<size_t>(row[0].AsInt() - first)].Merge(t);
    }
  }
  // A definition linked by two contracts counts once (IN, not a join).
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet clocks,
      txn.Query("SELECT month, met, breached FROM scorecard_uc_month_rollups"
                " WHERE definition_id IN (SELECT definition_id FROM contract_uc_definitions"
                "  WHERE supplier_id = $1) AND month >= $2 AND month <= $3",
                {supplier_id, first, last}));
  for (const auto& row : clocks.rows()) {
    PeriodTally& t = months[static_cast<size_t>(row[0].AsInt() - first)];
    t.met += row[1].AsInt();
    t.breached += row[2].AsInt();
  }
  // Month i in `zone` is [b_i, b_i+1); the UTC month is [u_i, u_i+1). So
  //   month_i = utc_i + facts[b_i, u_i) − facts[b_i+1, u_i+1),
  // where facts[x, y) with x > y means − facts[y, x). Boundary i corrects months i and i − 1.
  for (size_t i = 0; i <= n; ++i) {
    const absl::CivilMonth m = range.first + static_cast<int64_t>(i);
    const int64_t b = MonthStartMicros(m, zone);
    const int64_t u = MonthStartMicros(m, absl::UTCTimeZone());
    if (b == u) continue;
    ITSM_ASSIGN_OR_RETURN(PeriodTally window, WindowTally(txn, supplier_id, signatures,
                                                          std::min(b, u), std::max(b, u)));
    const int64_t sign = b < u ? 1 : -1;
    if (i < n) months[i].Merge(window, sign);
    if (i > 0) months[i - 1].Merge(window, -sign);
  }
  for (const PeriodTally& t : months) {
    if (t.HasNegative()) return NegativeRow("month of a scorecard");
  }
  return months;
}

absl::Status ScorecardRollups::Rebuild(storage::Transaction& txn) {
  ITSM_RETURN_IF_ERROR(txn.Execute("DELETE FROM scorecard_month_rollups").status());
  ITSM_RETURN_IF_ERROR(txn.Execute("DELETE FROM scorecard_uc_month_rollups").status());
  absl::flat_hash_map<std::string, SignatureLists> lists;
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet groups,
                        txn.Query("SELECT incident_id, group_name FROM scorecard_incident_groups"));
  for (const auto& row : groups.rows())
    lists[row[0].AsString()].groups.push_back(row[1].AsString());
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet cis,
                        txn.Query("SELECT incident_id, ci_id FROM scorecard_incident_cis"));
  for (const auto& row : cis.rows()) lists[row[0].AsString()].cis.push_back(row[1].AsString());
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet causes,
                        txn.Query("SELECT incident_id, group_name FROM scorecard_incident_causes"));
  for (const auto& row : causes.rows()) {
    lists[row[0].AsString()].causes.push_back(row[1].AsString());
  }

  RollupDeltas deltas;
  absl::flat_hash_map<std::string, int64_t> signatures;  // key -> id, looked up once each
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet incidents,
                        txn.Query("SELECT incident_id, create_us, response_us, resolve_us,"
                                  " reopen_count, signature_id FROM scorecard_incidents"));
  for (const auto& row : incidents.rows()) {
    IncidentFacts f;
    f.incident_id = row[0].AsString();
    f.create_us = row[1].AsInt();
    f.response_us = row[2].AsInt();
    f.resolve_us = row[3].AsInt();
    f.reopen_count = static_cast<int32_t>(row[4].AsInt());
    SignatureLists& members = lists[f.incident_id];
    const std::string key = SignatureKey(members);
    auto known = signatures.find(key);
    if (known == signatures.end()) {
      ITSM_ASSIGN_OR_RETURN(int64_t id, FindOrCreateSignature(txn, key, members));
      known = signatures.emplace(key, id).first;
    }
    if (known->second != row[5].AsInt()) {
      ITSM_RETURN_IF_ERROR(
          txn.Execute("UPDATE scorecard_incidents SET signature_id = $2 WHERE incident_id = $1",
                      {f.incident_id, known->second})
              .status());
    }
    deltas.AddIncident(known->second, f, 1);
  }
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet clocks,
                        txn.Query("SELECT definition_id, breached, stop_us FROM scorecard_uc_clocks"
                                  " WHERE completed = 1"));
  for (const auto& row : clocks.rows()) {
    deltas.AddClock({.definition_id = row[0].AsString(),
                     .completed = true,
                     .breached = row[1].AsInt() != 0,
                     .stop_us = row[2].AsInt()},
                    1);
  }
  return deltas.Flush(txn);
}

absl::StatusOr<bool> ScorecardRollups::RebuildIfPending(storage::Transaction& txn) {
  // The delete is the claim: a second replica starting at the same time waits for this
  // transaction's row lock, then deletes nothing and skips the rebuild.
  ITSM_ASSIGN_OR_RETURN(int64_t claimed, txn.Execute("DELETE FROM scorecard_rollup_rebuild"));
  if (claimed == 0) return false;
  ITSM_RETURN_IF_ERROR(Rebuild(txn));
  return true;
}

}  // namespace itsm::supplier
