#include "services/incident/src/problem_repository.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/enum_set.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/page_start.h"
#include "itsm/records/record_change.h"
#include "itsm/storage/like.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/record_number.h"

namespace itsm::incident {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return absl::ToUnixMicros(base::FromProtoTimestamp(ts));
}

template <typename T>
absl::StatusOr<T> DecodeAs(const storage::Value& v) {
  T out;
  if (!out.ParseFromString(v.AsString()))
    return absl::DataLossError("stored record does not parse");
  return out;
}

std::string ProblemText(const v1::Problem& p) {
  return absl::AsciiStrToLower(
      absl::StrCat(p.title(), "\n", p.description(), "\n", p.root_cause(), "\n", p.workaround()));
}

// The page size and the sequence the page starts before (a token holds the last row's sequence).
absl::StatusOr<std::pair<int, int64_t>> PageBounds(const std::string& scope,
                                                   const common::v1::PageRequest& page) {
  int size = page.page_size();
  if (size < 0 || size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be 0..", kMaxPageSize, ", got ", size));
  }
  if (size == 0) size = kDefaultPageSize;
  int64_t before = std::numeric_limits<int64_t>::max();
  ITSM_ASSIGN_OR_RETURN(auto after, records::DecodePageCursor(scope, page.page_token()));
  if (after.size() == 1) {
    ITSM_ASSIGN_OR_RETURN(before, records::CursorInt(after[0]));
  } else if (!after.empty()) {
    return base::FieldError("page.page_token", "not a token this service issued");
  }
  return std::make_pair(size, before);
}

template <typename T>
absl::StatusOr<std::pair<std::vector<T>, std::string>> ToPage(const storage::ResultSet& rows,
                                                              int size, const std::string& scope) {
  std::pair<std::vector<T>, std::string> out;
  const size_t shown = records::RowsOnPage(rows, 1, size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(T record, DecodeAs<T>(rows.row(i)[1]));
    out.first.push_back(std::move(record));
  }
  if (rows.size() > shown) {
    out.second = records::EncodePageCursor(scope, {absl::StrCat(rows.row(shown - 1)[0].AsInt())});
  }
  return out;
}

}  // namespace

absl::Status ProblemRepository::Insert(storage::Transaction& txn, v1::Problem& p) {
  ITSM_ASSIGN_OR_RETURN(const int64_t seq, IncidentRepository::NextNumber(txn, "problem"));
  p.set_number(RecordNumber(kProblemNumbers, seq));
  return txn
      .Execute(
          "INSERT INTO problems(id, seq, number, state, known_error, service, text_lower,"
          " create_time_us, update_time_us, version, data, priority)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
          {p.id(), seq, p.number(), static_cast<int>(p.state()), p.has_known_error_time(),
           p.service(), ProblemText(p), Micros(p.create_time()), Micros(p.update_time()),
           p.version(), storage::Bytes{p.SerializeAsString()}, static_cast<int>(p.priority())})
      .status();
}

absl::Status ProblemRepository::Update(storage::Transaction& txn, const v1::Problem& p,
                                       int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute(
          "UPDATE problems SET state = $1, known_error = $2, service = $3, text_lower = $4,"
          " update_time_us = $5, version = $6, data = $7, priority = $10"
          " WHERE id = $8 AND version = $9",
          {static_cast<int>(p.state()), p.has_known_error_time(), p.service(), ProblemText(p),
           Micros(p.update_time()), p.version(), storage::Bytes{p.SerializeAsString()}, p.id(),
           expected_version, static_cast<int>(p.priority())}));
  if (changed != 1) {
    return records::ChangedConcurrently(absl::StrCat("problem ", p.number()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Problem> ProblemRepository::Get(storage::Transaction& txn,
                                                   const std::string& id_or_number,
                                                   const char* field) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        SelectRecordData(txn, kProblemNumbers, id_or_number));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat(field, ": no problem \"", id_or_number, "\""));
  }
  return DecodeAs<v1::Problem>(rows.row(0)[0]);
}

absl::StatusOr<std::pair<std::vector<v1::Problem>, std::string>> ProblemRepository::List(
    storage::Transaction& txn, const v1::ListProblemsRequest& request) {
  const std::string scope =
      records::PageScope("itsm.incident.v1.IncidentService/ListProblems", request);
  ITSM_ASSIGN_OR_RETURN(auto bounds, PageBounds(scope, request.page()));
  ITSM_ASSIGN_OR_RETURN(
      const int64_t state_mask,
      records::EnumSetMask("states", *v1::ProblemState_descriptor(), request.states()));
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT seq, data FROM problems"
                " WHERE ($1 = 0 OR (($1 >> state) & 1) = 1)"
                " AND ($2 = 0 OR known_error = 1)"
                " AND ($3 = '' OR text_lower LIKE $3 ESCAPE '\\')"
                " AND ($4 = '' OR service = $4)"
                " AND seq < $5 ORDER BY seq DESC LIMIT $6",
                {state_mask, request.known_errors_only() ? 1 : 0,
                 request.text().empty() ? std::string() : storage::ContainsPattern(request.text()),
                 request.service(), bounds.second, bounds.first + 1}));
  return ToPage<v1::Problem>(rows, bounds.first, scope);
}

absl::Status ServiceRequestRepository::Insert(storage::Transaction& txn, v1::ServiceRequest& r) {
  ITSM_ASSIGN_OR_RETURN(const int64_t seq, IncidentRepository::NextNumber(txn, "request"));
  r.set_number(RecordNumber(kRequestNumbers, seq));
  return txn
      .Execute(
          "INSERT INTO service_requests(id, seq, number, state, requested_for,"
          " assignment_group, catalog_item, create_time_us, update_time_us, version, data,"
          " priority)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
          {r.id(), seq, r.number(), static_cast<int>(r.state()), r.requested_for(),
           r.assignment_group(), r.catalog_item(), Micros(r.create_time()), Micros(r.update_time()),
           r.version(), storage::Bytes{r.SerializeAsString()}, static_cast<int>(r.priority())})
      .status();
}

absl::Status ServiceRequestRepository::Update(storage::Transaction& txn,
                                              const v1::ServiceRequest& r,
                                              int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute(
          "UPDATE service_requests SET state = $1, requested_for = $2, assignment_group = $3,"
          " catalog_item = $4, update_time_us = $5, version = $6, data = $7, priority = $10"
          " WHERE id = $8 AND version = $9",
          {static_cast<int>(r.state()), r.requested_for(), r.assignment_group(), r.catalog_item(),
           Micros(r.update_time()), r.version(), storage::Bytes{r.SerializeAsString()}, r.id(),
           expected_version, static_cast<int>(r.priority())}));
  if (changed != 1) {
    return records::ChangedConcurrently(absl::StrCat("service request ", r.number()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ServiceRequest> ServiceRequestRepository::Get(storage::Transaction& txn,
                                                                 const std::string& id_or_number) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        SelectRecordData(txn, kRequestNumbers, id_or_number));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("id: no service request \"", id_or_number, "\""));
  }
  return DecodeAs<v1::ServiceRequest>(rows.row(0)[0]);
}

absl::StatusOr<std::pair<std::vector<v1::ServiceRequest>, std::string>>
ServiceRequestRepository::List(storage::Transaction& txn,
                               const v1::ListServiceRequestsRequest& request) {
  const std::string scope =
      records::PageScope("itsm.incident.v1.IncidentService/ListServiceRequests", request);
  ITSM_ASSIGN_OR_RETURN(auto bounds, PageBounds(scope, request.page()));
  ITSM_ASSIGN_OR_RETURN(
      const int64_t state_mask,
      records::EnumSetMask("states", *v1::ServiceRequestState_descriptor(), request.states()));
  // A requester's list (always narrowed to their own) seeks service_requests_requested_for;
  // written "$2 = '' OR ...", SQLite's one plan for every value would walk the whole table for
  // the few that match (decision 179).
  constexpr char kFilters[] =
      " AND ($3 = '' OR assignment_group = $3)"
      " AND ($4 = '' OR catalog_item = $4)"
      " AND seq < $5 ORDER BY seq DESC LIMIT $6";
  static const std::string kAny = absl::StrCat(
      "SELECT seq, data FROM service_requests WHERE ($1 = 0 OR (($1 >> state) & 1) = 1)"
      " AND ($2 = '' OR requested_for = $2)",
      kFilters);
  static const std::string kRequestedFor = absl::StrCat(
      "SELECT seq, data FROM service_requests WHERE ($1 = 0 OR (($1 >> state) & 1) = 1)"
      " AND requested_for = $2",
      kFilters);
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query(request.requested_for().empty() ? kAny : kRequestedFor,
                                  {state_mask, request.requested_for(), request.assignment_group(),
                                   request.catalog_item(), bounds.second, bounds.first + 1}));
  return ToPage<v1::ServiceRequest>(rows, bounds.first, scope);
}

}  // namespace itsm::incident
