#include "services/change/src/change_repository.h"

#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/enum_set.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/page_start.h"
#include "itsm/records/record_change.h"
#include "itsm/storage/counter.h"
#include "itsm/storage/errors.h"
#include "services/change/src/change_factory.h"
#include "services/change/src/change_policy.h"
#include "services/change/src/scheduled_slot.h"

namespace itsm::change {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr char kListChanges[] = "itsm.change.v1.ChangeService/ListChanges";
constexpr char kListReleases[] = "itsm.change.v1.ChangeService/ListReleases";

template <typename Record>
absl::StatusOr<Record> Decode(const storage::Value& data, const char* what) {
  return records::DecodeStored<Record>(data.AsString(), what);
}

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return absl::ToUnixMicros(base::FromProtoTimestamp(ts));
}

int64_t MicrosOrZero(bool has, const google::protobuf::Timestamp& ts) {
  return has ? Micros(ts) : 0;
}

// The planned_start_us and planned_end_us columns hold the change's scheduled slot
// (scheduled_slot.h): its planned slot, or the time it runs when implemented without one. 0 and
// 0 for none: such rows never satisfy planned_end_us > planned_start_us.
std::pair<int64_t, int64_t> SlotColumns(const v1::Change& c) {
  const std::optional<ScheduledSlot> slot = ScheduledSlotOf(c);
  if (!slot) return {0, 0};
  return {absl::ToUnixMicros(slot->interval.start), absl::ToUnixMicros(slot->interval.end)};
}

// The change's calendar row replaced (none without a scheduled slot).
absl::Status WriteCalendarRow(storage::Transaction& txn, const v1::Change& c, int64_t seq) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM change_calendar WHERE change_id = $1", {c.id()}).status());
  const auto [start, end] = SlotColumns(c);
  if (end <= start) return absl::OkStatus();
  return txn
      .Execute(
          "INSERT INTO change_calendar(planned_start_us, seq, change_id, planned_end_us,"
          " state, assignment_group, compact, data) VALUES ($1, $2, $3, $4, $5, $6, 1, $7)",
          {start, seq, c.id(), end, static_cast<int>(c.state()), c.assignment_group(),
           storage::Bytes{CalendarView(c).SerializeAsString()}})
      .status();
}

// The other changes its conflicts name (not windows or incidents).
absl::Status WriteConflictRefs(storage::Transaction& txn, const v1::Change& change) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM change_conflict_refs WHERE change_id = $1", {change.id()}).status());
  std::set<std::string> others;
  for (const v1::Conflict& c : change.conflicts()) {
    if (IsWithAChange(c.kind()) && !c.other_id().empty()) others.insert(c.other_id());
  }
  for (const std::string& other : others) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO change_conflict_refs(change_id, other_id) VALUES ($1, $2)",
                    {change.id(), other})
            .status());
  }
  return absl::OkStatus();
}

absl::Status WriteLinks(storage::Transaction& txn, const v1::Change& change) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM change_cis WHERE change_id = $1", {change.id()}).status());
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM change_services WHERE change_id = $1", {change.id()}).status());
  std::set<std::string> cis(change.configuration_item_ids().begin(),
                            change.configuration_item_ids().end());
  for (const std::string& ci : cis) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO change_cis(change_id, ci_id) VALUES ($1, $2)", {change.id(), ci})
            .status());
  }
  // Named or reached through the CMDB (the risk's): a filter by service finds every change that
  // affects it, as its freezes and approval policies do.
  std::set<std::string> services(change.affected_service_ids().begin(),
                                 change.affected_service_ids().end());
  services.insert(change.risk().business_service_ids().begin(),
                  change.risk().business_service_ids().end());
  for (const std::string& s : services) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO change_services(change_id, service_id) VALUES ($1, $2)",
                    {change.id(), s})
            .status());
  }
  return WriteConflictRefs(txn, change);
}

}  // namespace

v1::Change CalendarView(const v1::Change& c) {
  v1::Change v;
  v.set_id(c.id());
  v.set_number(c.number());
  v.set_type(c.type());
  v.set_state(c.state());
  v.set_title(c.title());
  v.set_category(c.category());
  v.set_template_id(c.template_id());
  *v.mutable_affected_service_ids() = c.affected_service_ids();
  *v.mutable_configuration_item_ids() = c.configuration_item_ids();
  if (c.has_planned_start_time()) *v.mutable_planned_start_time() = c.planned_start_time();
  if (c.has_planned_end_time()) *v.mutable_planned_end_time() = c.planned_end_time();
  v.set_assignment_group(c.assignment_group());
  v.set_assignee(c.assignee());
  if (c.has_actual_start_time()) *v.mutable_actual_start_time() = c.actual_start_time();
  if (c.has_actual_end_time()) *v.mutable_actual_end_time() = c.actual_end_time();
  v.set_outcome(c.outcome());
  *v.mutable_release_ids() = c.release_ids();
  if (c.has_risk()) {
    v.mutable_risk()->set_level(c.risk().level());
    v.mutable_risk()->set_score(c.risk().score());
  }
  if (c.has_approval()) v.mutable_approval()->set_outcome(c.approval().outcome());
  *v.mutable_conflicts() = c.conflicts();
  v.set_conflict_override_reason(c.conflict_override_reason());
  v.set_conflict_override_by(c.conflict_override_by());
  if (c.has_create_time()) *v.mutable_create_time() = c.create_time();
  if (c.has_update_time()) *v.mutable_update_time() = c.update_time();
  v.set_version(c.version());
  return v;
}

std::vector<storage::SchemaComponent> ChangeRepository::Schema() {
  return {{"outbox", outbox::Outbox::Migrations()},
          {records::IdempotencyStore::kComponent, records::IdempotencyStore::Migrations()},
          {records::AuditTrail::kComponent, records::AuditTrail::Migrations()},
          {"change", Migrations()}};
}

const std::vector<storage::Migration>& ChangeRepository::Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "changes, templates, windows, policy", R"sql(
CREATE TABLE changes (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  type INTEGER NOT NULL,
  state INTEGER NOT NULL,
  risk_level INTEGER NOT NULL,
  assignment_group TEXT NOT NULL,
  assignee TEXT NOT NULL,
  template_id TEXT NOT NULL,
  planned_start_us BIGINT NOT NULL,
  planned_end_us BIGINT NOT NULL,
  actual_end_us BIGINT NOT NULL,
  outcome INTEGER NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX changes_slot ON changes(planned_start_us, planned_end_us);
CREATE INDEX changes_state ON changes(state, seq);
CREATE INDEX changes_group ON changes(assignment_group, seq);
CREATE TABLE change_cis (
  change_id TEXT NOT NULL,
  ci_id TEXT NOT NULL,
  PRIMARY KEY (change_id, ci_id)
);
CREATE INDEX change_cis_ci ON change_cis(ci_id);
CREATE TABLE change_services (
  change_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  PRIMARY KEY (change_id, service_id)
);
CREATE INDEX change_services_service ON change_services(service_id);
CREATE TABLE change_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO change_counters(name, value) VALUES ('change', 0);
CREATE TABLE change_templates (
  id TEXT PRIMARY KEY,
  name_lower TEXT NOT NULL UNIQUE,
  active INTEGER NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE change_windows (
  id TEXT PRIMARY KEY,
  name_lower TEXT NOT NULL,
  active INTEGER NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE change_policy (
  id TEXT PRIMARY KEY,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
)sql"},
      // What the consumers of other topics keep (change_reactions.h): the de-duplication marks
      // of applied events, and the open major incidents by CI. caused_incidents counts a
      // change's links, for the failure rate (0 is right for older rows: no links existed).
      {2, "consumed events, open major incidents, caused incident counts", R"sql(
CREATE TABLE change_consumed_events (
  ce_id TEXT PRIMARY KEY,
  applied_us BIGINT NOT NULL
);
CREATE INDEX change_consumed_events_applied ON change_consumed_events(applied_us);
CREATE TABLE change_major_incidents (
  incident_id TEXT NOT NULL,
  ci_id TEXT NOT NULL,
  incident_number TEXT NOT NULL,
  PRIMARY KEY (incident_id, ci_id)
);
CREATE INDEX change_major_incidents_ci ON change_major_incidents(ci_id);
ALTER TABLE changes ADD COLUMN caused_incidents INTEGER NOT NULL DEFAULT 0;
)sql"},
      // Releases and their deployments (issue 14, part 7); release_changes indexes the changes
      // each release delivers.
      {3, "releases", R"sql(
CREATE TABLE releases (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  kind INTEGER NOT NULL,
  state INTEGER NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX releases_state ON releases(state, seq);
CREATE TABLE release_changes (
  release_id TEXT NOT NULL,
  change_id TEXT NOT NULL,
  PRIMARY KEY (release_id, change_id)
);
CREATE INDEX release_changes_change ON release_changes(change_id);
INSERT INTO change_counters(name, value) VALUES ('release', 0);
)sql"},
      // The calendar's projection (docs/benchmarks.md, "Change schedule"): one compact row per
      // change with a planned slot, without plans, tasks, votes or risk factors, kept in the
      // transaction that writes the change and clustered by planned start (WITHOUT ROWID), so a
      // month's calendar reads contiguous pages of small rows. Rows of changes written before
      // carry the whole record (compact = 0) and are cut down when read, until their next write.
      {4, "calendar projection", R"sql(
CREATE TABLE change_calendar (
  planned_start_us BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  change_id TEXT NOT NULL UNIQUE,
  planned_end_us BIGINT NOT NULL,
  state INTEGER NOT NULL,
  assignment_group TEXT NOT NULL,
  compact INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (planned_start_us, seq)
) WITHOUT ROWID;
INSERT INTO change_calendar(planned_start_us, seq, change_id, planned_end_us, state,
                            assignment_group, compact, data)
  SELECT planned_start_us, seq, id, planned_end_us, state, assignment_group, 0, data
  FROM changes WHERE planned_end_us > planned_start_us;
)sql",
       R"sql(
CREATE TABLE change_calendar (
  planned_start_us BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  change_id TEXT NOT NULL UNIQUE,
  planned_end_us BIGINT NOT NULL,
  state INTEGER NOT NULL,
  assignment_group TEXT NOT NULL,
  compact INTEGER NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (planned_start_us, seq)
);
INSERT INTO change_calendar(planned_start_us, seq, change_id, planned_end_us, state,
                            assignment_group, compact, data)
  SELECT planned_start_us, seq, id, planned_end_us, state, assignment_group, 0, data
  FROM changes WHERE planned_end_us > planned_start_us;
)sql"},
      // Which changes a change's stored conflicts name, so that one moved, cancelled or
      // reassigned re-checks the changes that named it (decision 254). Changes written before
      // are found from their next write.
      {5, "conflict references", R"sql(
CREATE TABLE change_conflict_refs (
  change_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  PRIMARY KEY (change_id, other_id)
);
CREATE INDEX change_conflict_refs_other ON change_conflict_refs(other_id);
)sql"},
  };
  return kMigrations;
}

absl::Status ChangeRepository::Insert(storage::Transaction& txn, v1::Change& change) {
  // One counter row: changes are created a few a minute, so the row lock a PostgreSQL create
  // takes until commit costs nothing that matters (the incident service needs sequences).
  ITSM_ASSIGN_OR_RETURN(const int64_t seq,
                        storage::IncrementCounter(txn, "change_counters", "value", "change"));
  change.set_number(absl::StrFormat("CHG%07d", seq));
  const v1::Change& c = change;
  const auto [slot_start, slot_end] = SlotColumns(c);
  ITSM_RETURN_IF_ERROR(
      txn.Execute("INSERT INTO changes(id, seq, number, create_time_us, type, state, risk_level,"
                  " assignment_group, assignee, template_id, planned_start_us, planned_end_us,"
                  " actual_end_us, outcome, update_time_us, version, data, caused_incidents)"
                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
                  " $16, $17, $18)",
                  {c.id(), seq, c.number(), Micros(c.create_time()), static_cast<int>(c.type()),
                   static_cast<int>(c.state()), static_cast<int>(c.risk().level()),
                   c.assignment_group(), c.assignee(), c.template_id(), slot_start, slot_end,
                   MicrosOrZero(c.has_actual_end_time(), c.actual_end_time()),
                   static_cast<int>(c.outcome()), Micros(c.update_time()), c.version(),
                   storage::Bytes{c.SerializeAsString()}, c.caused_incidents_size()})
          .status());
  ITSM_RETURN_IF_ERROR(WriteCalendarRow(txn, change, seq));
  return WriteLinks(txn, change);
}

absl::Status ChangeRepository::Update(storage::Transaction& txn, const v1::Change& change,
                                      int64_t expected_version) {
  const v1::Change& c = change;
  const auto [slot_start, slot_end] = SlotColumns(c);
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute(
          "UPDATE changes SET type = $1, state = $2, risk_level = $3,"
          " assignment_group = $4, assignee = $5, template_id = $6,"
          " planned_start_us = $7, planned_end_us = $8, actual_end_us = $9, outcome = $10,"
          " update_time_us = $11, version = $12, data = $13, caused_incidents = $16"
          " WHERE id = $14 AND version = $15",
          {static_cast<int>(c.type()), static_cast<int>(c.state()),
           static_cast<int>(c.risk().level()), c.assignment_group(), c.assignee(), c.template_id(),
           slot_start, slot_end, MicrosOrZero(c.has_actual_end_time(), c.actual_end_time()),
           static_cast<int>(c.outcome()), Micros(c.update_time()), c.version(),
           storage::Bytes{c.SerializeAsString()}, c.id(), expected_version,
           c.caused_incidents_size()}));
  if (changed != 1) {
    return records::ChangedConcurrently(absl::StrCat("change ", change.number()));
  }
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet seq,
                        txn.Query("SELECT seq FROM changes WHERE id = $1", {change.id()}));
  ITSM_RETURN_IF_ERROR(WriteCalendarRow(txn, change, seq.row(0)[0].AsInt()));
  return WriteLinks(txn, change);
}

absl::StatusOr<v1::Change> ChangeRepository::Get(storage::Transaction& txn,
                                                 const std::string& id_or_number) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM changes WHERE id = $1 OR number = $1", {id_or_number}));
  if (rows.empty())
    return absl::NotFoundError(absl::StrCat("id: no change \"", id_or_number, "\""));
  return Decode<v1::Change>(rows.row(0)[0], "change");
}

absl::StatusOr<ChangePage> ChangeRepository::List(storage::Transaction& txn,
                                                  const v1::ListChangesRequest& request) {
  int page_size = request.page().page_size();
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be 0..", kMaxPageSize, ", got ", page_size));
  }
  if (page_size == 0) page_size = kDefaultPageSize;
  const std::string scope = records::PageScope(kListChanges, request);
  ITSM_ASSIGN_OR_RETURN(std::vector<std::string> after,
                        records::DecodePageCursor(scope, request.page().page_token()));
  int64_t after_seq = std::numeric_limits<int64_t>::max();
  if (after.size() == 1) {
    ITSM_ASSIGN_OR_RETURN(after_seq, records::CursorInt(after[0]));
  } else if (!after.empty()) {
    return base::FieldError("page.page_token", "not a token this service issued");
  }
  // Sets travel as bit masks, so the statement text never changes with the filter.
  ITSM_ASSIGN_OR_RETURN(
      const int64_t state_mask,
      records::EnumSetMask("states", *v1::ChangeState_descriptor(), request.states()));
  ITSM_ASSIGN_OR_RETURN(
      const int64_t type_mask,
      records::EnumSetMask("types", *v1::ChangeType_descriptor(), request.types()));
  if (!v1::RiskLevel_IsValid(request.risk_level())) {
    return absl::InvalidArgumentError("risk_level: unknown level");
  }
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT seq, data FROM changes"
                                  " WHERE ($1 = 0 OR (($1 >> state) & 1) = 1)"
                                  " AND ($2 = 0 OR (($2 >> type) & 1) = 1)"
                                  " AND ($3 = '' OR assignment_group = $3)"
                                  " AND ($4 = '' OR assignee = $4)"
                                  " AND ($5 = '' OR EXISTS (SELECT 1 FROM change_cis c"
                                  "      WHERE c.change_id = changes.id AND c.ci_id = $5))"
                                  " AND ($6 = '' OR EXISTS (SELECT 1 FROM change_services s"
                                  "      WHERE s.change_id = changes.id AND s.service_id = $6))"
                                  " AND ($7 = 0 OR risk_level = $7)"
                                  " AND ($8 = '' OR template_id = $8)"
                                  " AND seq < $9 ORDER BY seq DESC LIMIT $10",
                                  {state_mask, type_mask, request.assignment_group(),
                                   request.assignee(), request.configuration_item_id(),
                                   request.service_id(), static_cast<int>(request.risk_level()),
                                   request.template_id(), after_seq, page_size + 1}));
  ChangePage page;
  const size_t shown = records::RowsOnPage(rows, 1, page_size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(v1::Change c, Decode<v1::Change>(rows.row(i)[1], "change"));
    page.changes.push_back(std::move(c));
  }
  if (rows.size() > shown) {
    page.next_page_token =
        records::EncodePageCursor(scope, {absl::StrCat(rows.row(shown - 1)[0].AsInt())});
  }
  return page;
}

absl::StatusOr<std::vector<v1::Change>> ChangeRepository::InSlot(storage::Transaction& txn,
                                                                 const SlotQuery& q) {
  google::protobuf::RepeatedPtrField<v1::Change> found;
  ITSM_RETURN_IF_ERROR(InSlotInto(txn, q, found));
  std::vector<v1::Change> out;
  out.reserve(static_cast<size_t>(found.size()));
  for (v1::Change& c : found) out.push_back(std::move(c));
  return out;
}

absl::Status ChangeRepository::InSlotInto(storage::Transaction& txn, const SlotQuery& q,
                                          google::protobuf::RepeatedPtrField<v1::Change>& out) {
  int64_t state_mask = 0;
  for (v1::ChangeState s : q.states) state_mask |= int64_t{1} << s;
  if (state_mask == 0) {
    for (int s = v1::ChangeState_MIN; s <= v1::ChangeState_MAX; ++s) {
      if (s != v1::CHANGE_STATE_CANCELLED) state_mask |= int64_t{1} << s;
    }
  }
  // A slot is at most kMaxSlot long, so a change overlapping [start, end) starts in
  // [start - kMaxSlot, end): a range of the projection's primary key, read in order.
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data, compact FROM change_calendar"
                " WHERE planned_start_us >= $1 AND planned_start_us < $2"
                " AND planned_end_us > $3"
                " AND (($4 >> state) & 1) = 1"
                " AND ($5 = '' OR assignment_group = $5)"
                " AND ($6 = '' OR EXISTS (SELECT 1 FROM change_cis c"
                "      WHERE c.change_id = change_calendar.change_id AND c.ci_id = $6))"
                " AND ($7 = '' OR EXISTS (SELECT 1 FROM change_services s"
                "      WHERE s.change_id = change_calendar.change_id AND s.service_id = $7))"
                " ORDER BY planned_start_us, seq LIMIT $8",
                {absl::ToUnixMicros(q.start - kMaxSlot), absl::ToUnixMicros(q.end),
                 absl::ToUnixMicros(q.start), state_mask, q.assignment_group, q.ci_id, q.service_id,
                 q.limit}));
  // Parsed in place: a month's calendar is thousands of changes, and every intermediate copy of
  // a record is allocations that showed in its profile.
  out.Reserve(out.size() + static_cast<int>(rows.size()));
  for (const auto& row : rows.rows()) {
    v1::Change* c = out.Add();
    if (!c->ParseFromString(row[0].AsString())) {
      return absl::DataLossError("stored change does not parse");
    }
    if (row[1].AsInt() == 0) *c = CalendarView(*c);
  }
  return absl::OkStatus();
}

absl::StatusOr<FailureStats> ChangeRepository::RecentOutcomes(
    storage::Transaction& txn, const std::vector<std::string>& ci_ids,
    const std::string& exclude_id, absl::Time since) {
  // Per CI, then de-duplicated by change: a change on two of the CIs counts once.
  std::set<std::string> seen;
  FailureStats stats;
  for (const std::string& ci : std::set<std::string>(ci_ids.begin(), ci_ids.end())) {
    ITSM_ASSIGN_OR_RETURN(
        storage::ResultSet rows,
        txn.Query("SELECT changes.id, outcome, caused_incidents FROM changes JOIN change_cis c"
                  " ON c.change_id = changes.id WHERE c.ci_id = $1 AND outcome <> 0"
                  " AND actual_end_us >= $2 AND changes.id <> $3",
                  {ci, absl::ToUnixMicros(since), exclude_id}));
    for (const auto& row : rows.rows()) {
      if (!seen.insert(row[0].AsString()).second) continue;
      ++stats.changes;
      const int64_t outcome = row[1].AsInt();
      // A change that possibly caused an incident failed its users, whatever its outcome says.
      if (outcome == v1::CHANGE_OUTCOME_FAILED || outcome == v1::CHANGE_OUTCOME_BACKED_OUT ||
          row[2].AsInt() > 0) {
        ++stats.failures;
      }
    }
  }
  return stats;
}

absl::StatusOr<std::vector<v1::Change>> ChangeRepository::ImplementedOn(storage::Transaction& txn,
                                                                        const std::string& ci_id,
                                                                        absl::Time ended_since) {
  // An implementation in progress has no end yet; a finished one ended at actual_end_us.
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(
          "SELECT changes.data FROM changes JOIN change_cis c ON c.change_id = changes.id"
          " WHERE c.ci_id = $1 AND (changes.state = $2 OR changes.actual_end_us >= $3)"
          " ORDER BY changes.seq",
          {ci_id, static_cast<int>(v1::CHANGE_STATE_IMPLEMENT), absl::ToUnixMicros(ended_since)}));
  std::vector<v1::Change> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(v1::Change c, Decode<v1::Change>(row[0], "change"));
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ChangeRepository::Neighbours(storage::Transaction& txn,
                                                                      const v1::Change& of,
                                                                      absl::Time ending_after,
                                                                      int limit) {
  int64_t states = 0;
  for (int s : kRecheckedStates) states |= int64_t{1} << s;
  const auto [start, end] = SlotColumns(of);
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT id FROM changes WHERE (($1 >> state) & 1) = 1 AND id <> $2"
                " AND planned_end_us > planned_start_us AND planned_end_us > $3"
                " AND ((planned_start_us < $5 AND planned_end_us > $4)"
                "      OR EXISTS (SELECT 1 FROM change_conflict_refs r"
                "                 WHERE r.change_id = changes.id AND r.other_id = $2))"
                " ORDER BY seq LIMIT $6",
                {states, of.id(), absl::ToUnixMicros(ending_after), start, end, limit}));
  std::vector<std::string> out;
  for (const auto& row : rows.rows()) out.push_back(row[0].AsString());
  return out;
}

absl::StatusOr<std::vector<std::string>> ChangeRepository::SlottedIds(
    storage::Transaction& txn, const std::vector<std::string>& ci_ids, absl::Time ending_after,
    int limit) {
  // The states whose slot may still move or be decided on: a change in NEW or ASSESS keeps the
  // conflicts its last schedule check found, and they are shown.
  int64_t states = 0;
  for (int s : kRecheckedStates) states |= int64_t{1} << s;
  std::set<std::string> ids;
  auto collect = [&](const std::string& ci) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                          txn.Query("SELECT id FROM changes WHERE (($1 >> state) & 1) = 1"
                                    " AND planned_end_us > planned_start_us AND planned_end_us > $2"
                                    " AND ($3 = '' OR EXISTS (SELECT 1 FROM change_cis c"
                                    "      WHERE c.change_id = changes.id AND c.ci_id = $3))"
                                    " ORDER BY seq LIMIT $4",
                                    {states, absl::ToUnixMicros(ending_after), ci, limit}));
    for (const auto& row : rows.rows()) ids.insert(row[0].AsString());
    return absl::OkStatus();
  };
  if (ci_ids.empty()) {
    ITSM_RETURN_IF_ERROR(collect(""));
  } else {
    for (const std::string& ci : std::set<std::string>(ci_ids.begin(), ci_ids.end())) {
      ITSM_RETURN_IF_ERROR(collect(ci));
      if (static_cast<int>(ids.size()) >= limit) break;
    }
  }
  std::vector<std::string> out(ids.begin(), ids.end());
  if (static_cast<int>(out.size()) > limit) out.resize(limit);
  return out;
}

// ---- Consumed events ----

absl::StatusOr<bool> EventMarks::MarkApplied(storage::Transaction& txn, const std::string& ce_id,
                                             absl::Time now) {
  ITSM_ASSIGN_OR_RETURN(int64_t inserted,
                        txn.Execute("INSERT INTO change_consumed_events(ce_id, applied_us)"
                                    " VALUES ($1, $2) ON CONFLICT (ce_id) DO NOTHING",
                                    {ce_id, absl::ToUnixMicros(now)}));
  return inserted == 1;
}

absl::StatusOr<int64_t> EventMarks::Prune(storage::Transaction& txn, absl::Time before) {
  return txn.Execute("DELETE FROM change_consumed_events WHERE applied_us < $1",
                     {absl::ToUnixMicros(before)});
}

absl::StatusOr<bool> MajorIncidentStore::Set(storage::Transaction& txn,
                                             const std::string& incident_id,
                                             const std::string& number,
                                             const std::vector<std::string>& ci_ids) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT ci_id FROM change_major_incidents WHERE incident_id = $1", {incident_id}));
  std::set<std::string> before;
  for (const auto& row : rows.rows()) before.insert(row[0].AsString());
  const std::set<std::string> after(ci_ids.begin(), ci_ids.end());
  if (before == after) return false;
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM change_major_incidents WHERE incident_id = $1", {incident_id})
          .status());
  for (const std::string& ci : after) {
    ITSM_RETURN_IF_ERROR(txn.Execute("INSERT INTO change_major_incidents(incident_id, ci_id,"
                                     " incident_number) VALUES ($1, $2, $3)",
                                     {incident_id, ci, number})
                             .status());
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> MajorIncidentStore::CisOf(storage::Transaction& txn,
                                                                   const std::string& incident_id) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT ci_id FROM change_major_incidents WHERE incident_id = $1"
                                  " ORDER BY ci_id",
                                  {incident_id}));
  std::vector<std::string> out;
  for (const auto& row : rows.rows()) out.push_back(row[0].AsString());
  return out;
}

absl::StatusOr<std::vector<MajorIncidentOnCi>> MajorIncidentStore::On(
    storage::Transaction& txn, const std::vector<std::string>& ci_ids) {
  std::vector<MajorIncidentOnCi> out;
  for (const std::string& ci : std::set<std::string>(ci_ids.begin(), ci_ids.end())) {
    ITSM_ASSIGN_OR_RETURN(
        storage::ResultSet rows,
        txn.Query("SELECT incident_id, incident_number FROM change_major_incidents"
                  " WHERE ci_id = $1 ORDER BY incident_id",
                  {ci}));
    for (const auto& row : rows.rows()) {
      out.push_back({row[0].AsString(), row[1].AsString(), ci});
    }
  }
  return out;
}

// ---- Templates ----

absl::StatusOr<v1::ChangeTemplate> TemplateStore::Get(storage::Transaction& txn,
                                                      const std::string& id_or_name) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM change_templates WHERE id = $1 OR "
                                  "name_lower = $2",
                                  {id_or_name, absl::AsciiStrToLower(id_or_name)}));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("template_id: no change template \"", id_or_name, "\""));
  }
  return Decode<v1::ChangeTemplate>(rows.row(0)[0], "template");
}

absl::Status TemplateStore::Insert(storage::Transaction& txn, v1::ChangeTemplate& tmpl) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet taken,
                        txn.Query("SELECT id FROM change_templates WHERE name_lower = $1",
                                  {absl::AsciiStrToLower(tmpl.name())}));
  if (!taken.empty()) {
    return absl::AlreadyExistsError(
        absl::StrCat("template.name: a template \"", tmpl.name(), "\" exists"));
  }
  return txn
      .Execute(
          "INSERT INTO change_templates(id, name_lower, active, version, data)"
          " VALUES ($1, $2, $3, $4, $5)",
          {tmpl.id(), absl::AsciiStrToLower(tmpl.name()), tmpl.active() ? 1 : 0, tmpl.version(),
           storage::Bytes{tmpl.SerializeAsString()}})
      .status();
}

absl::Status TemplateStore::Update(storage::Transaction& txn, const v1::ChangeTemplate& tmpl,
                                   int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet taken,
      txn.Query("SELECT id FROM change_templates WHERE name_lower = $1 AND id <> $2",
                {absl::AsciiStrToLower(tmpl.name()), tmpl.id()}));
  if (!taken.empty()) {
    return absl::AlreadyExistsError(
        absl::StrCat("template.name: a template \"", tmpl.name(), "\" exists"));
  }
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE change_templates SET name_lower = $1, active = $2, version = $3,"
                  " data = $4 WHERE id = $5 AND version = $6",
                  {absl::AsciiStrToLower(tmpl.name()), tmpl.active() ? 1 : 0, tmpl.version(),
                   storage::Bytes{tmpl.SerializeAsString()}, tmpl.id(), expected_version}));
  if (changed != 1) {
    return records::ChangedConcurrently("the template");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ChangeTemplate>> TemplateStore::List(storage::Transaction& txn,
                                                                    bool include_inactive) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM change_templates WHERE active = 1 OR $1 = 1"
                                  " ORDER BY name_lower",
                                  {include_inactive ? 1 : 0}));
  std::vector<v1::ChangeTemplate> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto t, Decode<v1::ChangeTemplate>(row[0], "template"));
    out.push_back(std::move(t));
  }
  return out;
}

// ---- Windows ----

absl::StatusOr<v1::ChangeWindow> WindowStore::Get(storage::Transaction& txn,
                                                  const std::string& id) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM change_windows WHERE id = $1", {id}));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("window.id: no window \"", id, "\""));
  return Decode<v1::ChangeWindow>(rows.row(0)[0], "window");
}

absl::Status WindowStore::Insert(storage::Transaction& txn, v1::ChangeWindow& window) {
  return txn
      .Execute(
          "INSERT INTO change_windows(id, name_lower, active, version, data)"
          " VALUES ($1, $2, $3, $4, $5)",
          {window.id(), absl::AsciiStrToLower(window.name()), window.active() ? 1 : 0,
           window.version(), storage::Bytes{window.SerializeAsString()}})
      .status();
}

absl::Status WindowStore::Update(storage::Transaction& txn, const v1::ChangeWindow& window,
                                 int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE change_windows SET name_lower = $1, active = $2, version = $3,"
                  " data = $4 WHERE id = $5 AND version = $6",
                  {absl::AsciiStrToLower(window.name()), window.active() ? 1 : 0, window.version(),
                   storage::Bytes{window.SerializeAsString()}, window.id(), expected_version}));
  if (changed != 1) {
    return records::ChangedConcurrently("the window");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ChangeWindow>> WindowStore::List(storage::Transaction& txn,
                                                                bool include_inactive) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM change_windows WHERE active = 1 OR $1 = 1"
                                  " ORDER BY name_lower, id",
                                  {include_inactive ? 1 : 0}));
  std::vector<v1::ChangeWindow> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto w, Decode<v1::ChangeWindow>(row[0], "window"));
    out.push_back(std::move(w));
  }
  return out;
}

// ---- Releases ----

namespace {

absl::Status WriteReleaseChanges(storage::Transaction& txn, const v1::Release& release) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM release_changes WHERE release_id = $1", {release.id()}).status());
  for (const std::string& c :
       std::set<std::string>(release.change_ids().begin(), release.change_ids().end())) {
    ITSM_RETURN_IF_ERROR(txn.Execute("INSERT INTO release_changes(release_id, change_id)"
                                     " VALUES ($1, $2)",
                                     {release.id(), c})
                             .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReleaseStore::Insert(storage::Transaction& txn, v1::Release& release) {
  ITSM_ASSIGN_OR_RETURN(const int64_t seq,
                        storage::IncrementCounter(txn, "change_counters", "value", "release"));
  release.set_number(absl::StrFormat("REL%07d", seq));
  const v1::Release& r = release;
  ITSM_RETURN_IF_ERROR(
      txn.Execute("INSERT INTO releases(id, seq, number, kind, state, create_time_us,"
                  " update_time_us, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                  {r.id(), seq, r.number(), static_cast<int>(r.kind()), static_cast<int>(r.state()),
                   Micros(r.create_time()), Micros(r.update_time()), r.version(),
                   storage::Bytes{r.SerializeAsString()}})
          .status());
  return WriteReleaseChanges(txn, release);
}

absl::Status ReleaseStore::Update(storage::Transaction& txn, const v1::Release& r,
                                  int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE releases SET kind = $1, state = $2, update_time_us = $3, version = $4,"
                  " data = $5 WHERE id = $6 AND version = $7",
                  {static_cast<int>(r.kind()), static_cast<int>(r.state()), Micros(r.update_time()),
                   r.version(), storage::Bytes{r.SerializeAsString()}, r.id(), expected_version}));
  if (changed != 1) {
    return records::ChangedConcurrently(absl::StrCat("release ", r.number()));
  }
  return WriteReleaseChanges(txn, r);
}

absl::StatusOr<v1::Release> ReleaseStore::Get(storage::Transaction& txn,
                                              const std::string& id_or_number) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM releases WHERE id = $1 OR number = $1", {id_or_number}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("id: no release \"", id_or_number, "\""));
  }
  return Decode<v1::Release>(rows.row(0)[0], "release");
}

absl::StatusOr<ReleasePage> ReleaseStore::List(storage::Transaction& txn,
                                               const v1::ListReleasesRequest& request) {
  ITSM_ASSIGN_OR_RETURN(
      records::PageStart start,
      records::StartPage(
          kListReleases, request, request.page(),
          {.default_size = kDefaultPageSize, .max_size = kMaxPageSize, .position_parts = 1}));
  int64_t after_seq = std::numeric_limits<int64_t>::max();
  if (!start.after.empty()) {
    ITSM_ASSIGN_OR_RETURN(after_seq, records::CursorInt(start.after[0]));
  }
  ITSM_ASSIGN_OR_RETURN(
      const int64_t state_mask,
      records::EnumSetMask("states", *v1::ReleaseState_descriptor(), request.states()));
  if (!v1::ReleaseKind_IsValid(request.kind())) {
    return absl::InvalidArgumentError(absl::StrCat("kind: unknown kind ", request.kind()));
  }
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT seq, data FROM releases"
                                  " WHERE ($1 = 0 OR (($1 >> state) & 1) = 1)"
                                  " AND ($2 = 0 OR kind = $2)"
                                  " AND ($3 = '' OR EXISTS (SELECT 1 FROM release_changes c"
                                  "      WHERE c.release_id = releases.id AND c.change_id = $3))"
                                  " AND seq < $4 ORDER BY seq DESC LIMIT $5",
                                  {state_mask, static_cast<int>(request.kind()),
                                   request.change_id(), after_seq, start.size + 1}));
  ReleasePage page;
  const size_t shown = records::RowsOnPage(rows, 1, start.size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(v1::Release r, Decode<v1::Release>(rows.row(i)[1], "release"));
    page.releases.push_back(std::move(r));
  }
  if (rows.size() > shown) {
    page.next_page_token =
        records::EncodePageCursor(start.scope, {absl::StrCat(rows.row(shown - 1)[0].AsInt())});
  }
  return page;
}

// ---- The policy ----

absl::StatusOr<v1::ChangePolicy> PolicyStore::Get(storage::Transaction& txn, const std::string&) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM change_policy WHERE id = $1", {kPolicyId}));
  if (rows.empty()) return DefaultChangePolicy();
  return Decode<v1::ChangePolicy>(rows.row(0)[0], "change policy");
}

absl::Status PolicyStore::Insert(storage::Transaction& txn, v1::ChangePolicy& policy) {
  return Update(txn, policy, 0);
}

absl::Status PolicyStore::Update(storage::Transaction& txn, const v1::ChangePolicy& policy,
                                 int64_t expected_version) {
  // The first stored version replaces the built-in default (version 0); two writers racing to
  // store it both insert, and the loser's ON CONFLICT changes nothing: ABORTED, as for any
  // stale version.
  absl::StatusOr<int64_t> changed =
      expected_version == 0
          ? txn.Execute(
                "INSERT INTO change_policy(id, version, data) VALUES ($1, $2, $3)"
                " ON CONFLICT (id) DO NOTHING",
                {kPolicyId, policy.version(), storage::Bytes{policy.SerializeAsString()}})
          : txn.Execute(
                "UPDATE change_policy SET version = $1, data = $2"
                " WHERE id = $3 AND version = $4",
                {policy.version(), storage::Bytes{policy.SerializeAsString()}, kPolicyId,
                 expected_version});
  ITSM_RETURN_IF_ERROR(changed.status());
  if (*changed != 1) {
    return absl::AbortedError("policy.version: the policy changed concurrently; read it again");
  }
  return absl::OkStatus();
}

}  // namespace itsm::change
