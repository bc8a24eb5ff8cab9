#include "services/supplier/src/deadline_repository.h"

#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::supplier {
namespace {

constexpr char kColumns[] = "record_id, supplier_id, kind, lead_days, deadline_us, due_us";

std::vector<v1::Deadline> Rows(const storage::ResultSet& rows) {
  std::vector<v1::Deadline> out;
  for (const auto& row : rows.rows()) {
    v1::Deadline d;
    d.set_record_id(row[0].AsString());
    d.set_supplier_id(row[1].AsString());
    d.set_kind(static_cast<v1::DeadlineKind>(row[2].AsInt()));
    d.set_lead_days(static_cast<int32_t>(row[3].AsInt()));
    *d.mutable_deadline_time() = base::ToProtoTimestamp(absl::FromUnixMicros(row[4].AsInt()));
    *d.mutable_due_time() = base::ToProtoTimestamp(absl::FromUnixMicros(row[5].AsInt()));
    out.push_back(std::move(d));
  }
  return out;
}

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return absl::ToUnixMicros(base::FromProtoTimestamp(ts));
}

}  // namespace

absl::Status DeadlineRepository::Replace(storage::Transaction& txn, const std::string& record_id,
                                         const std::string& supplier_id,
                                         const std::vector<DeadlineAt>& deadlines) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM deadlines WHERE record_id = $1 AND fired = 0", {record_id})
          .status());
  for (const DeadlineAt& d : deadlines) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute(absl::StrCat("INSERT INTO deadlines(", kColumns,
                                 ", fired) VALUES ($1, $2, $3, $4, $5, $6, 0)"
                                 " ON CONFLICT (record_id, kind, lead_days, deadline_us)"
                                 " DO NOTHING"),
                    {record_id, supplier_id, static_cast<int>(d.kind), d.lead_days,
                     absl::ToUnixMicros(d.deadline), absl::ToUnixMicros(d.due)})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Deadline>> DeadlineRepository::ClaimDue(storage::Transaction& txn,
                                                                       absl::Time now, int limit) {
  // SQLite has one writer per file (BEGIN IMMEDIATE), so nobody else can claim meanwhile.
  const char* lock = txn.dialect() == storage::Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(absl::StrCat("SELECT ", kColumns,
                             " FROM deadlines WHERE fired = 0 AND due_us <= $1"
                             " ORDER BY due_us, record_id, kind, lead_days DESC LIMIT $2",
                             lock),
                {absl::ToUnixMicros(now), limit}));
  return Rows(rows);
}

absl::StatusOr<bool> DeadlineRepository::MarkFired(storage::Transaction& txn,
                                                   const v1::Deadline& d) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute(
          "UPDATE deadlines SET fired = 1 WHERE record_id = $1 AND kind = $2"
          " AND lead_days = $3 AND deadline_us = $4 AND fired = 0",
          {d.record_id(), static_cast<int>(d.kind()), d.lead_days(), Micros(d.deadline_time())}));
  return changed == 1;
}

absl::StatusOr<std::vector<v1::Deadline>> DeadlineRepository::Pending(
    storage::Transaction& txn, absl::Time before, const std::string& supplier_id,
    const std::vector<std::string>& after, int limit) {
  int64_t after_due = std::numeric_limits<int64_t>::min();
  std::string after_record;
  int64_t after_kind = 0;
  int64_t after_lead = 0;
  if (after.size() == 4) {
    if (!absl::SimpleAtoi(after[0], &after_due) || !absl::SimpleAtoi(after[2], &after_kind) ||
        !absl::SimpleAtoi(after[3], &after_lead)) {
      return base::FieldError("page.page_token", "not a token this service issued");
    }
    after_record = after[1];
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(
          absl::StrCat("SELECT ", kColumns,
                       " FROM deadlines WHERE fired = 0 AND due_us < $1"
                       " AND ($2 = '' OR supplier_id = $2)"
                       " AND (due_us > $3 OR (due_us = $3 AND (record_id > $4 OR (record_id = $4"
                       " AND (kind > $5 OR (kind = $5 AND lead_days > $6))))))"
                       " ORDER BY due_us, record_id, kind, lead_days LIMIT $7"),
          {before == absl::InfiniteFuture() ? std::numeric_limits<int64_t>::max()
                                            : absl::ToUnixMicros(before),
           supplier_id, after_due, after_record, after_kind, after_lead, limit}));
  return Rows(rows);
}

absl::StatusOr<int64_t> DeadlineRepository::CountDueBefore(storage::Transaction& txn,
                                                           absl::Time before) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT COUNT(*) FROM deadlines WHERE fired = 0 AND due_us < $1",
                                  {absl::ToUnixMicros(before)}));
  return rows.row(0)[0].AsInt();
}

}  // namespace itsm::supplier
