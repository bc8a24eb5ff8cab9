#include "src/incident_repository.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::incident {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// LIKE treats % and _ as wildcards: a user searching for "100%" means the characters.
std::string LikePattern(const std::string& needle) {
  std::string out = "%";
  for (char c : absl::AsciiStrToLower(needle)) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

std::string EncodePageToken(int64_t seq) { return absl::WebSafeBase64Escape(absl::StrCat("s", seq)); }

absl::StatusOr<int64_t> DecodePageToken(const std::string& token) {
  std::string raw;
  int64_t seq = 0;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 2 || raw[0] != 's' ||
      !absl::SimpleAtoi(raw.substr(1), &seq)) {
    return absl::InvalidArgumentError("page.page_token: not a token this service issued");
  }
  return seq;
}

absl::StatusOr<v1::Incident> Decode(const storage::Value& data) {
  v1::Incident incident;
  if (!incident.ParseFromString(data.AsString())) {
    return absl::DataLossError("stored incident does not parse");
  }
  return incident;
}

}  // namespace

const std::vector<storage::Migration>& IncidentRepository::Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "create incidents",
       R"sql(
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  title_lower TEXT NOT NULL,
  state INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  service TEXT NOT NULL,
  assignment_group TEXT NOT NULL,
  assignee TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE incident_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO incident_counters(name, value) VALUES ('incident', 0);
CREATE TABLE incident_idempotency (
  idempotency_key TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  created_at_us BIGINT NOT NULL
);
CREATE INDEX incidents_group ON incidents(assignment_group, seq);
CREATE INDEX incidents_assignee ON incidents(assignee, seq);
CREATE INDEX incidents_service ON incidents(service, seq);
CREATE INDEX incidents_state ON incidents(state, seq);
)sql",
       // PostgreSQL: BYTEA, and a sequence for numbers (no row lock shared by every create).
       R"sql(
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  title_lower TEXT NOT NULL,
  state INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  service TEXT NOT NULL,
  assignment_group TEXT NOT NULL,
  assignee TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL,
  data BYTEA NOT NULL
);
CREATE SEQUENCE incident_number_seq;
CREATE TABLE incident_idempotency (
  idempotency_key TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  created_at_us BIGINT NOT NULL
);
CREATE INDEX incidents_group ON incidents(assignment_group, seq);
CREATE INDEX incidents_assignee ON incidents(assignee, seq);
CREATE INDEX incidents_service ON incidents(service, seq);
CREATE INDEX incidents_state ON incidents(state, seq);
)sql"},
  };
  return kMigrations;
}

absl::Status IncidentRepository::Insert(storage::Transaction& txn, v1::Incident& incident) {
  // Numbers may have gaps (a rolled-back create still used its number): users accept that in
  // every peer product, and it keeps numbering off the critical path of concurrent creates.
  const char* next_sql =
      txn.dialect() == storage::Dialect::kPostgres
          ? "SELECT nextval('incident_number_seq')"
          : "UPDATE incident_counters SET value = value + 1 WHERE name = 'incident' RETURNING value";
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet next, txn.Query(next_sql));
  const int64_t seq = next.row(0)[0].AsInt();
  incident.set_number(absl::StrFormat("INC%07d", seq));
  return txn
      .Execute(
          "INSERT INTO incidents(id, seq, number, title_lower, state, priority, service,"
          " assignment_group, assignee, create_time_us, update_time_us, version, data)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
          {incident.id(), seq, incident.number(), absl::AsciiStrToLower(incident.title()),
           static_cast<int>(incident.state()), static_cast<int>(incident.priority()),
           incident.service(), incident.assignment_group(), incident.assignee(),
           absl::ToUnixMicros(base::FromProtoTimestamp(incident.create_time())),
           absl::ToUnixMicros(base::FromProtoTimestamp(incident.update_time())),
           incident.version(), storage::Bytes{incident.SerializeAsString()}})
      .status();
}

absl::StatusOr<v1::Incident> IncidentRepository::Get(storage::Transaction& txn,
                                                     const std::string& id_or_number) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM incidents WHERE id = $1 OR number = $1", {id_or_number}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("id: no incident \"", id_or_number, "\""));
  }
  return Decode(rows.row(0)[0]);
}

absl::StatusOr<std::optional<IncidentRepository::IdempotentResult>>
IncidentRepository::FindIdempotencyKey(storage::Transaction& txn, const std::string& key) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT incident_id, request_fingerprint FROM incident_idempotency"
                " WHERE idempotency_key = $1",
                {key}));
  if (rows.empty()) return std::nullopt;
  return IdempotentResult{rows.row(0)[0].AsString(), rows.row(0)[1].AsString()};
}

absl::Status IncidentRepository::SaveIdempotencyKey(storage::Transaction& txn,
                                                    const std::string& key,
                                                    const std::string& incident_id,
                                                    const std::string& request_fingerprint) {
  return txn
      .Execute(
          "INSERT INTO incident_idempotency(idempotency_key, incident_id, request_fingerprint,"
          " created_at_us) VALUES ($1, $2, $3, $4)",
          {key, incident_id, request_fingerprint, absl::ToUnixMicros(absl::Now())})
      .status();
}

absl::StatusOr<IncidentPage> IncidentRepository::List(storage::Transaction& txn,
                                                      const v1::ListIncidentsRequest& request) {
  int page_size = request.page().page_size();
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be 0..", kMaxPageSize, ", got ", page_size));
  }
  if (page_size == 0) page_size = kDefaultPageSize;
  int64_t before_seq = std::numeric_limits<int64_t>::max();
  if (!request.page().page_token().empty()) {
    ITSM_ASSIGN_OR_RETURN(before_seq, DecodePageToken(request.page().page_token()));
  }
  // Sets of states and priorities travel as bit masks, so the statement text never changes
  // with the filter: one prepared statement serves every query.
  int64_t state_mask = 0;
  for (int s : request.states()) {
    if (!v1::IncidentState_IsValid(s) || s == v1::INCIDENT_STATE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat("states: unknown state ", s));
    }
    state_mask |= int64_t{1} << s;
  }
  int64_t priority_mask = 0;
  for (int p : request.priorities()) {
    if (!v1::Priority_IsValid(p) || p == v1::PRIORITY_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat("priorities: unknown priority ", p));
    }
    priority_mask |= int64_t{1} << p;
  }
  const int64_t created_after = request.has_created_after()
                                    ? absl::ToUnixMicros(base::FromProtoTimestamp(request.created_after()))
                                    : std::numeric_limits<int64_t>::min();
  const int64_t created_before = request.has_created_before()
                                     ? absl::ToUnixMicros(base::FromProtoTimestamp(request.created_before()))
                                     : std::numeric_limits<int64_t>::max();
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT seq, data FROM incidents"
                " WHERE ($1 = 0 OR (($1 >> state) & 1) = 1)"
                " AND ($2 = 0 OR (($2 >> priority) & 1) = 1)"
                " AND ($3 = '' OR assignment_group = $3)"
                " AND ($4 = '' OR assignee = $4)"
                " AND ($5 = '' OR service = $5)"
                " AND ($6 = '' OR title_lower LIKE $6 ESCAPE '\\')"
                " AND create_time_us >= $7 AND create_time_us < $8"
                " AND seq < $9"
                " ORDER BY seq DESC LIMIT $10",
                {state_mask, priority_mask, request.assignment_group(), request.assignee(),
                 request.service(),
                 request.title_contains().empty() ? std::string()
                                                  : LikePattern(request.title_contains()),
                 created_after, created_before, before_seq, page_size + 1}));
  IncidentPage page;
  const size_t shown = std::min(rows.size(), static_cast<size_t>(page_size));
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(v1::Incident incident, Decode(rows.row(i)[1]));
    page.incidents.push_back(std::move(incident));
  }
  // One row more than asked for tells whether another page exists.
  if (rows.size() > static_cast<size_t>(page_size)) {
    page.next_page_token = EncodePageToken(rows.row(shown - 1)[0].AsInt());
  }
  return page;
}

}  // namespace itsm::incident
