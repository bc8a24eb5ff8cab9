#include "itsm/records/idempotency.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/unique_insert.h"

namespace itsm::records {
namespace {

constexpr char kTable[] = "idempotency_keys";
constexpr char kSavepoint[] = "idempotency_claim";
constexpr int kPruneBatch = 1000;

absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Find(storage::Transaction& txn,
                                                                        absl::string_view method,
                                                                        absl::string_view key) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT record_id, request_fingerprint FROM idempotency_keys"
                                  " WHERE method = $1 AND idempotency_key = $2",
                                  {method, key}));
  if (rows.empty()) return std::nullopt;
  return std::pair{rows.row(0)[0].AsString(), rows.row(0)[1].AsString()};
}

absl::StatusOr<IdempotencyClaim> Earlier(const std::pair<std::string, std::string>& row,
                                         absl::string_view fingerprint) {
  if (row.second != fingerprint) {
    return absl::AlreadyExistsError("idempotency_key: already used for a different request");
  }
  return IdempotencyClaim{false, row.first};
}

}  // namespace

const std::vector<storage::Migration>& IdempotencyStore::Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "create idempotency_keys",
       R"sql(
CREATE TABLE idempotency_keys (
  method TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  record_id TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  PRIMARY KEY (method, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(create_time_us);
)sql"},
  };
  return kMigrations;
}

absl::StatusOr<IdempotencyClaim> IdempotencyStore::Claim(
    storage::Transaction& txn, absl::string_view method, absl::string_view caller,
    absl::string_view given_key, absl::string_view fingerprint, absl::string_view record_id,
    absl::Time now) {
  if (given_key.empty()) return IdempotencyClaim{true, std::string(record_id)};
  // A key of spaces is a client's empty value sent as a key: every such request would be "the
  // same request" as the first, and the second answered ALREADY_EXISTS (found from outside).
  if (base::IsBlank(given_key)) {
    return base::FieldError("idempotency_key", "blank; leave it out or send a key of your own");
  }
  // Stored under the caller's name: a line break cannot occur in either (every string field
  // refuses control characters), so two callers' keys never meet.
  const std::string key = absl::StrCat(caller, "\n", given_key);
  ITSM_ASSIGN_OR_RETURN(auto earlier, Find(txn, method, key));
  if (earlier) return Earlier(*earlier, fingerprint);
  // The insert waits for any other transaction holding the same key; if that one commits, ours
  // loses (storage::InsertUnlessTaken) and the winner's row is now visible.
  ITSM_ASSIGN_OR_RETURN(bool inserted,
                        storage::InsertUnlessTaken(
                            txn, kTable, kSavepoint,
                            "INSERT INTO idempotency_keys(method, idempotency_key, record_id,"
                            " request_fingerprint, create_time_us) VALUES ($1, $2, $3, $4, $5)",
                            {method, key, record_id, fingerprint, absl::ToUnixMicros(now)}));
  if (!inserted) {
    ITSM_ASSIGN_OR_RETURN(earlier, Find(txn, method, key));
    if (!earlier) {
      // The winner rolled back between its insert and our read: rare; the client retries.
      return absl::AbortedError("idempotency_key: a concurrent call with this key failed; retry");
    }
    return Earlier(*earlier, fingerprint);
  }
  return IdempotencyClaim{true, std::string(record_id)};
}

absl::StatusOr<int64_t> IdempotencyStore::DeleteBefore(storage::Database& db, absl::Time before,
                                                       int limit) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadWrite));
  // Through the primary key, so that PostgreSQL and SQLite both take LIMIT in the subquery.
  ITSM_ASSIGN_OR_RETURN(
      int64_t n, txn->Execute("DELETE FROM idempotency_keys WHERE (method, idempotency_key) IN ("
                              "SELECT method, idempotency_key FROM idempotency_keys"
                              " WHERE create_time_us < $1 ORDER BY create_time_us LIMIT $2)",
                              {absl::ToUnixMicros(before), limit}));
  ITSM_RETURN_IF_ERROR(txn->Commit());
  return n;
}

IdempotencyPruner::IdempotencyPruner(storage::Database& db, absl::Duration retention,
                                     absl::Duration interval)
    : db_(db), retention_(retention), interval_(interval) {}

IdempotencyPruner::~IdempotencyPruner() { Stop(); }

absl::StatusOr<int64_t> IdempotencyPruner::PruneOnce(absl::Time now) {
  int64_t total = 0;
  for (;;) {
    ITSM_ASSIGN_OR_RETURN(int64_t n,
                          IdempotencyStore::DeleteBefore(db_, now - retention_, kPruneBatch));
    total += n;
    if (n < kPruneBatch) return total;
  }
}

void IdempotencyPruner::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "idem-sweeper");
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      (void)PruneOnce(absl::Now());  // a failure is retried at the next interval
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
    }
  });
}

void IdempotencyPruner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace itsm::records
