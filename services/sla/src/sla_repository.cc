#include "services/sla/src/sla_repository.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/record_change.h"

namespace itsm::sla {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

template <typename T>
absl::StatusOr<T> Decode(const storage::Value& data, const char* what) {
  return records::DecodeStored<T>(data.AsString(), what);
}

constexpr char kSchema[] = R"sql(
CREATE TABLE sla_calendars (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE sla_calendar_versions (
  id TEXT NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (id, version)
);
CREATE TABLE sla_definitions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  retired INTEGER NOT NULL,
  calendar_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE sla_definition_versions (
  id TEXT NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (id, version)
);
CREATE INDEX sla_definitions_calendar ON sla_definitions(calendar_id);
CREATE TABLE sla_locks (name TEXT PRIMARY KEY, n BIGINT NOT NULL);
INSERT INTO sla_locks(name, n) VALUES ('definitions', 0);
)sql";

// Audit entries of both record kinds (ids are UUIDs: they never collide across kinds).
constexpr char kAuditSchema[] = R"sql(
CREATE TABLE sla_audit_entries (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  kind TEXT NOT NULL,
  time_us BIGINT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (record_id, version)
);
)sql";

// The SLA history (docs/sla.md section 7): the last state of every clock, projected from the
// timer's events on itsm.sla.v1, and how far that topic was applied (in the same transactions).
// A column per report filter and dimension, each with an index that ends in start_us (reports
// select clocks by start time); the start index covers every column a report reads, so an
// unfiltered report scans the index alone, in start order, without visiting the table (one
// random read per clock otherwise). The whole SlaClock in `data` for the status call.
constexpr char kClocksSchema[] = R"sql(
CREATE TABLE sla_clocks (
  clock_id TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  service TEXT NOT NULL,
  sla_definition_id TEXT NOT NULL,
  sla_definition_name TEXT NOT NULL,
  priority INTEGER NOT NULL,
  agreement_kind INTEGER NOT NULL,
  clock_kind INTEGER NOT NULL,
  stage INTEGER NOT NULL,
  breached INTEGER NOT NULL,
  start_us BIGINT NOT NULL,
  event_us BIGINT NOT NULL,
  business_s BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX sla_clocks_incident ON sla_clocks(incident_id);
CREATE INDEX sla_clocks_start ON sla_clocks(start_us, clock_id, service, sla_definition_id,
  priority, agreement_kind, clock_kind, stage, breached, business_s, event_us,
  sla_definition_name);
CREATE INDEX sla_clocks_service ON sla_clocks(service, start_us);
CREATE INDEX sla_clocks_priority ON sla_clocks(priority, start_us);
CREATE INDEX sla_clocks_definition ON sla_clocks(sla_definition_id, start_us);
CREATE INDEX sla_clocks_kind ON sla_clocks(agreement_kind, start_us);
CREATE TABLE sla_consumer_positions (
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  cluster_id TEXT NOT NULL,
  next_offset BIGINT NOT NULL,
  PRIMARY KEY (topic, partition_id)
);
)sql";

// Each clock's timeline (docs/sla.md section 7, ExplainClocks): one row per clock event
// applied, as published (`data`, of type `event_type`), numbered per clock in the order applied
// (`seq`); `ce_id` unique, so a redelivered or replayed event adds nothing. At most
// SlaRepository::kMaxEventsPerClock rows per clock: the oldest go.
constexpr char kClockEventsSchema[] = R"sql(
CREATE TABLE sla_clock_events (
  clock_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  ce_id TEXT NOT NULL UNIQUE,
  incident_id TEXT NOT NULL,
  event_us BIGINT NOT NULL,
  event_type TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (clock_id, seq)
);
CREATE INDEX sla_clock_events_incident ON sla_clock_events(incident_id);
)sql";

// Clocks read per query of a report scan: bounded memory whatever the range.
constexpr int kScanPage = 20000;

}  // namespace

absl::StatusOr<Page> ParsePage(const std::string& scope, const common::v1::PageRequest& request) {
  Page page;
  page.size = request.page_size();
  if (page.size < 0 || page.size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be 0..", kMaxPageSize, ", got ", page.size));
  }
  if (page.size == 0) page.size = kDefaultPageSize;
  ITSM_ASSIGN_OR_RETURN(auto after, records::DecodePageCursor(scope, request.page_token()));
  if (after.size() == 2) {
    page.after_name = after[0];
    page.after_id = after[1];
  } else if (!after.empty()) {
    return absl::InvalidArgumentError("page.page_token: not a token this service issued");
  }
  return page;
}

std::string PageToken(const std::string& scope, const std::string& name, const std::string& id) {
  return records::EncodePageCursor(scope, {name, id});
}

std::vector<storage::SchemaComponent> SlaRepository::Schema() {
  // The toolkit's audit table before the service's migrations: the seventh moves the entries of
  // the service's own table into it.
  return {{"outbox", outbox::Outbox::Migrations()},
          {records::IdempotencyStore::kComponent, records::IdempotencyStore::Migrations()},
          {records::AuditTrail::kComponent, records::AuditTrail::Migrations()},
          {"sla", Migrations()}};
}

const std::vector<storage::Migration>& SlaRepository::Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "create calendars and definitions", kSchema, ""},
      {2, "audit trail of calendars and definitions", kAuditSchema, ""},
      {3, "SLA history: clock states and the positions of itsm.sla.v1", kClocksSchema, ""},
      {4, "clock timelines: every clock event applied", kClockEventsSchema, ""},
      // The store gauges count open clocks by stage and ended ones by outcome (SlaStoreGauges):
      // without it each round read the widest index whole, two entries per incident ever made.
      {5, "an index for the store gauges' counts by stage",
       "CREATE INDEX sla_clocks_stage ON sla_clocks(stage, clock_kind, agreement_kind, priority, "
       "breached);",
       ""},
      // Orders a clock's states of one instant (SlaClock.sequence; 0 before it existed).
      {6, "the sequence of a clock's last state",
       "ALTER TABLE sla_clocks ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;", ""},
      // Served by GetCalendarHistory and GetSlaDefinitionHistory through the record toolkit's
      // reader, like every other service's trail (decision 227). Ids are UUIDs of either kind.
      {7, "the audit trail in the record toolkit's table",
       "INSERT INTO audit_entries(record_id, version, time_us, data)"
       " SELECT record_id, version, time_us, data FROM sla_audit_entries;"
       " DROP TABLE sla_audit_entries;",
       ""},
  };
  return kMigrations;
}

absl::Status SlaRepository::InsertCalendar(storage::Transaction& txn, const v1::Calendar& c) {
  const std::string data = c.SerializeAsString();
  absl::Status s =
      txn.Execute("INSERT INTO sla_calendars(id, name, version, data) VALUES ($1, $2, $3, $4)",
                  {c.id(), c.name(), c.version(), storage::Bytes{data}})
          .status();
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("calendar.name: a calendar named \"", c.name(), "\" exists"));
  }
  ITSM_RETURN_IF_ERROR(s);
  return txn
      .Execute("INSERT INTO sla_calendar_versions(id, version, data) VALUES ($1, $2, $3)",
               {c.id(), c.version(), storage::Bytes{data}})
      .status();
}

absl::StatusOr<v1::Calendar> SlaRepository::GetCalendar(storage::Transaction& txn,
                                                        const std::string& id_or_name,
                                                        int64_t version, const char* field) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT id, version, data FROM sla_calendars WHERE id = $1 OR name = $1",
                {id_or_name}));
  if (version == 0 || (!rows.empty() && rows.row(0)[1].AsInt() == version)) {
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat(field, ": no calendar \"", id_or_name, "\""));
    }
    return Decode<v1::Calendar>(rows.row(0)[2], "calendar");
  }
  // Older versions stay readable, also after the calendar was deleted (by id then).
  const std::string id = rows.empty() ? id_or_name : rows.row(0)[0].AsString();
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet old,
      txn.Query("SELECT data FROM sla_calendar_versions WHERE id = $1 AND version = $2",
                {id, version}));
  if (old.empty()) {
    return absl::NotFoundError(
        absl::StrCat("version: calendar \"", id_or_name, "\" has no version ", version));
  }
  return Decode<v1::Calendar>(old.row(0)[0], "calendar");
}

absl::StatusOr<std::vector<v1::Calendar>> SlaRepository::ListCalendars(storage::Transaction& txn,
                                                                       const Page& page) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(
          "SELECT data FROM sla_calendars WHERE $1 = '' OR name > $1 OR (name = $1 AND id > $2)"
          " ORDER BY name, id LIMIT $3",
          {page.after_name, page.after_id, page.size + 1}));
  std::vector<v1::Calendar> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto c, Decode<v1::Calendar>(row[0], "calendar"));
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status SlaRepository::UpdateCalendar(storage::Transaction& txn, const v1::Calendar& c,
                                           int64_t expected_version) {
  const std::string data = c.SerializeAsString();
  auto changed = txn.Execute(
      "UPDATE sla_calendars SET name = $1, version = $2, data = $3 WHERE id = $4 AND version = $5",
      {c.name(), c.version(), storage::Bytes{data}, c.id(), expected_version});
  if (changed.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("calendar.name: a calendar named \"", c.name(), "\" exists"));
  }
  ITSM_RETURN_IF_ERROR(changed.status());
  if (*changed == 0) {
    return absl::AbortedError(absl::StrCat("version: calendar ", c.id(), " changed since version ",
                                           expected_version, " was read; read it again"));
  }
  return txn
      .Execute("INSERT INTO sla_calendar_versions(id, version, data) VALUES ($1, $2, $3)",
               {c.id(), c.version(), storage::Bytes{data}})
      .status();
}

absl::Status SlaRepository::DeleteCalendar(storage::Transaction& txn, const std::string& id) {
  return txn.Execute("DELETE FROM sla_calendars WHERE id = $1", {id}).status();
}

absl::Status SlaRepository::SerialiseWrites(storage::Transaction& txn) {
  return txn.Execute("UPDATE sla_locks SET n = n + 1 WHERE name = 'definitions'").status();
}

absl::Status SlaRepository::InsertDefinition(storage::Transaction& txn,
                                             const v1::SlaDefinition& d) {
  const std::string data = d.SerializeAsString();
  ITSM_RETURN_IF_ERROR(
      txn.Execute(
             "INSERT INTO sla_definitions(id, name, retired, calendar_id, version, data)"
             " VALUES ($1, $2, $3, $4, $5, $6)",
             {d.id(), d.name(), d.retired(), d.calendar_id(), d.version(), storage::Bytes{data}})
          .status());
  return txn
      .Execute("INSERT INTO sla_definition_versions(id, version, data) VALUES ($1, $2, $3)",
               {d.id(), d.version(), storage::Bytes{data}})
      .status();
}

absl::StatusOr<v1::SlaDefinition> SlaRepository::GetDefinition(storage::Transaction& txn,
                                                               const std::string& id,
                                                               int64_t version) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      version == 0
          ? txn.Query("SELECT data FROM sla_definitions WHERE id = $1", {id})
          : txn.Query("SELECT data FROM sla_definition_versions WHERE id = $1 AND version = $2",
                      {id, version}));
  if (rows.empty()) {
    return absl::NotFoundError(version == 0 ? absl::StrCat("id: no SLA definition \"", id, "\"")
                                            : absl::StrCat("version: SLA definition \"", id,
                                                           "\" has no version ", version));
  }
  return Decode<v1::SlaDefinition>(rows.row(0)[0], "SLA definition");
}

absl::StatusOr<std::vector<v1::SlaDefinition>> SlaRepository::AllDefinitions(
    storage::Transaction& txn, bool include_retired) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM sla_definitions WHERE retired = 0 OR $1 = 1"
                                  " ORDER BY name, id",
                                  {include_retired}));
  std::vector<v1::SlaDefinition> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto d, Decode<v1::SlaDefinition>(row[0], "SLA definition"));
    out.push_back(std::move(d));
  }
  return out;
}

absl::Status SlaRepository::UpdateDefinition(storage::Transaction& txn, const v1::SlaDefinition& d,
                                             int64_t expected_version) {
  const std::string data = d.SerializeAsString();
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE sla_definitions SET name = $1, retired = $2, calendar_id = $3,"
                  " version = $4, data = $5 WHERE id = $6 AND version = $7",
                  {d.name(), d.retired(), d.calendar_id(), d.version(), storage::Bytes{data},
                   d.id(), expected_version}));
  if (changed == 0) {
    return absl::AbortedError(absl::StrCat("version: SLA definition ", d.id(),
                                           " changed since version ", expected_version,
                                           " was read; read it again"));
  }
  return txn
      .Execute("INSERT INTO sla_definition_versions(id, version, data) VALUES ($1, $2, $3)",
               {d.id(), d.version(), storage::Bytes{data}})
      .status();
}

absl::StatusOr<std::vector<std::string>> SlaRepository::DefinitionsUsingCalendar(
    storage::Transaction& txn, const std::string& calendar_id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT id FROM sla_definitions WHERE calendar_id = $1 AND retired = 0 ORDER BY id",
                {calendar_id}));
  std::vector<std::string> out;
  for (const auto& row : rows.rows()) out.push_back(row[0].AsString());
  return out;
}

}  // namespace itsm::sla

namespace itsm::sla {

absl::StatusOr<bool> SlaRepository::UpsertClock(storage::Transaction& txn, const v1::SlaClock& c) {
  const std::string data = c.SerializeAsString();
  const int64_t event_us = absl::ToUnixMicros(base::FromProtoTimestamp(c.event_time()));
  // Replays and redeliveries may bring an older state after a newer one: the newer stays. Of
  // one instant, the later event (sequence) stays; an equal one is applied again, harmlessly:
  // the same state.
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute(
          "INSERT INTO sla_clocks(clock_id, incident_id, service, sla_definition_id,"
          " sla_definition_name, priority, agreement_kind, clock_kind, stage, breached, start_us,"
          " event_us, business_s, data, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
          " $11, $12, $13, $14, $15)"
          " ON CONFLICT (clock_id) DO UPDATE SET incident_id = excluded.incident_id,"
          " service = excluded.service, sla_definition_id = excluded.sla_definition_id,"
          " sla_definition_name = excluded.sla_definition_name, priority = excluded.priority,"
          " agreement_kind = excluded.agreement_kind, clock_kind = excluded.clock_kind,"
          " stage = excluded.stage, breached = excluded.breached, start_us = excluded.start_us,"
          " event_us = excluded.event_us, business_s = excluded.business_s, data = excluded.data,"
          " seq = excluded.seq"
          " WHERE sla_clocks.event_us < excluded.event_us OR (sla_clocks.event_us ="
          " excluded.event_us AND sla_clocks.seq <= excluded.seq)",
          {c.clock_id(), c.incident_id(), c.service(), c.sla_definition_id(),
           c.sla_definition_name(), static_cast<int64_t>(c.priority()),
           static_cast<int64_t>(c.agreement_kind()), static_cast<int64_t>(c.clock_kind()),
           static_cast<int64_t>(c.stage()), c.breached(),
           absl::ToUnixMicros(base::FromProtoTimestamp(c.start_time())), event_us,
           c.business_elapsed().seconds(), storage::Bytes{data}, c.sequence()}));
  return changed > 0;
}

absl::StatusOr<std::optional<v1::SlaClock>> SlaRepository::FindClock(storage::Transaction& txn,
                                                                     const std::string& clock_id) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM sla_clocks WHERE clock_id = $1", {clock_id}));
  if (rows.size() == 0) return std::nullopt;
  return Decode<v1::SlaClock>(rows.row(0)[0], "clock");
}

absl::StatusOr<std::vector<v1::SlaClock>> SlaRepository::ClocksOfIncident(
    storage::Transaction& txn, const std::string& incident_id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM sla_clocks WHERE incident_id = $1 ORDER BY clock_id",
                {incident_id}));
  std::vector<v1::SlaClock> out;
  out.reserve(rows.size());
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto c, Decode<v1::SlaClock>(row[0], "clock"));
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<int64_t> SlaRepository::CountClocks(storage::Transaction& txn) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows, txn.Query("SELECT COUNT(*) FROM sla_clocks"));
  return rows.row(0)[0].AsInt();
}

absl::Status SlaRepository::ScanClocks(storage::Transaction& txn, const ClockFilter& f,
                                       const std::function<void(const ClockFacts&)>& visit) {
  // Keyset pages in (start_us, clock_id) order: each query reads at most kScanPage rows, and
  // the filters' indexes (service, priority, definition, kind, each then start_us) narrow it.
  std::string where = "start_us >= $1 AND start_us < $2";
  storage::Params params = {f.from_us, f.to_us};
  auto add = [&](const char* column, storage::Value v) {
    params.push_back(std::move(v));
    absl::StrAppend(&where, " AND ", column, " = $", params.size());
  };
  if (!f.service.empty()) add("service", f.service);
  if (f.priority != 0) add("priority", static_cast<int64_t>(f.priority));
  if (!f.sla_definition_id.empty()) add("sla_definition_id", f.sla_definition_id);
  if (f.agreement_kind != 0) add("agreement_kind", static_cast<int64_t>(f.agreement_kind));
  const size_t after_start = params.size() + 1;
  const std::string sql = absl::StrCat(
      "SELECT clock_id, start_us, service, sla_definition_id, ",
      f.with_definition_names ? "sla_definition_name" : "''",
      ", priority, clock_kind, stage, breached, business_s, event_us FROM sla_clocks WHERE ", where,
      " AND (start_us > $", after_start, " OR (start_us = $", after_start, " AND clock_id > $",
      after_start + 1, ")) ORDER BY start_us, clock_id LIMIT ", kScanPage);
  // Clock ids are never empty: (from_us, "") precedes every clock of the range.
  params.push_back(f.from_us);
  params.push_back(std::string());
  ClockFacts facts;
  while (true) {
    ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows, txn.Query(sql, params));
    for (const auto& row : rows.rows()) {
      facts.start_us = row[1].AsInt();
      facts.service = row[2].AsString();
      facts.sla_definition_id = row[3].AsString();
      facts.sla_definition_name = row[4].AsString();
      facts.priority = static_cast<int>(row[5].AsInt());
      facts.clock_kind = static_cast<int>(row[6].AsInt());
      facts.stage = static_cast<int>(row[7].AsInt());
      facts.breached = row[8].AsInt() != 0;
      facts.business_s = row[9].AsInt();
      facts.event_us = row[10].AsInt();
      visit(facts);
    }
    if (rows.size() < static_cast<size_t>(kScanPage)) return absl::OkStatus();
    const auto& last = rows.row(rows.size() - 1);
    params[after_start - 1] = last[1].AsInt();
    params[after_start] = last[0].AsString();
  }
}

absl::StatusOr<bool> SlaRepository::AppendClockEvent(storage::Transaction& txn,
                                                     const StoredClockEvent& e,
                                                     bool only_if_unknown) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet last,
      txn.Query("SELECT MAX(seq) FROM sla_clock_events WHERE clock_id = $1", {e.clock_id}));
  const bool known = last.size() > 0 && !last.row(0)[0].is_null();
  if (known && only_if_unknown) return false;
  const int64_t seq = known ? last.row(0)[0].AsInt() + 1 : 1;
  // A ce_id applied before (a redelivery, a replay, a second replica's write) adds nothing.
  ITSM_ASSIGN_OR_RETURN(
      int64_t added,
      txn.Execute("INSERT INTO sla_clock_events(clock_id, seq, ce_id, incident_id, event_us,"
                  " event_type, data) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                  {e.clock_id, seq, e.ce_id, e.incident_id, e.event_us, e.event_type,
                   storage::Bytes{e.data}}));
  if (added == 0) return false;
  if (seq > kMaxEventsPerClock) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("DELETE FROM sla_clock_events WHERE clock_id = $1 AND seq <= $2",
                    {e.clock_id, seq - kMaxEventsPerClock})
            .status());
  }
  return true;
}

absl::StatusOr<std::vector<StoredClockEvent>> SlaRepository::ClockEvents(
    storage::Transaction& txn, const std::string& incident_id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT clock_id, seq, ce_id, incident_id, event_us, event_type, data"
                " FROM sla_clock_events WHERE incident_id = $1 ORDER BY clock_id, event_us, seq",
                {incident_id}));
  std::vector<StoredClockEvent> out;
  out.reserve(rows.size());
  for (const auto& row : rows.rows()) {
    StoredClockEvent e;
    e.clock_id = row[0].AsString();
    e.seq = row[1].AsInt();
    e.ce_id = row[2].AsString();
    e.incident_id = row[3].AsString();
    e.event_us = row[4].AsInt();
    e.event_type = row[5].AsString();
    e.data = row[6].AsString();
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status SlaRepository::StorePosition(storage::Transaction& txn, const std::string& topic,
                                          int32_t partition, const std::string& cluster_id,
                                          int64_t next_offset) {
  // Replaced whatever it was, even by a lower offset: a topic that started again (a broker that
  // lost its data, possibly with the same cluster id) is read from its beginning, and its
  // offsets are the ones that count from then on.
  return txn
      .Execute(
          "INSERT INTO sla_consumer_positions(topic, partition_id, cluster_id, next_offset)"
          " VALUES ($1, $2, $3, $4) ON CONFLICT (topic, partition_id) DO UPDATE SET"
          " cluster_id = excluded.cluster_id, next_offset = excluded.next_offset",
          {topic, static_cast<int64_t>(partition), cluster_id, next_offset})
      .status();
}

absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> SlaRepository::Positions(
    storage::Transaction& txn, const std::string& cluster_id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT topic, partition_id, next_offset FROM sla_consumer_positions"
                " WHERE cluster_id = $1",
                {cluster_id}));
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  for (const auto& row : rows.rows()) {
    out[{row[0].AsString(), static_cast<int32_t>(row[1].AsInt())}] = row[2].AsInt();
  }
  return out;
}

}  // namespace itsm::sla
