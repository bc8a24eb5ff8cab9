// Idempotency keys for create calls, one table for every record kind of a service.
//
// A create with a key first claims (method, key) for the record it is about to write, in the
// same transaction as the record. The claim is a unique row, so of several calls racing with one
// key — on one writer, on several writers, on several replicas sharing a PostgreSQL — exactly one
// inserts it; the others' inserts wait for that transaction, fail with a typed unique violation
// (never recognised by message text), and read the winner's row. Every caller thus gets the one
// record; a key reused for a different request is ALREADY_EXISTS.
//
//   ITSM_ASSIGN_OR_RETURN(auto claim, IdempotencyStore::Claim(txn, kCreateIncident, actor, key,
//                                                            base::MessageFingerprint(request),
//                                                            incident.id(), now));
//   if (!claim.first) return repo.Get(txn, claim.record_id);   // answered before
//   ... insert the record, its audit entry and its events ...
//
// Keys are kept for a retention (IdempotencyPruner), after which the same key creates again.
#ifndef ITSM_RECORDS_IDEMPOTENCY_H_
#define ITSM_RECORDS_IDEMPOTENCY_H_

#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::records {

struct IdempotencyClaim {
  // True: this call holds the key and creates the record. False: an earlier call with the same
  // request created `record_id`; answer with it and write nothing.
  bool first = true;
  std::string record_id;
};

class IdempotencyStore {
 public:
  // The idempotency_keys table; apply under the component name kComponent, before the service's
  // own migrations (which may move older keys into it).
  static constexpr char kComponent[] = "records";
  static const std::vector<storage::Migration>& Migrations();

  // Claims `key` of `method` (the full gRPC method name) for `record_id` inside `txn`. An empty
  // key claims nothing: {first = true, record_id}. ALREADY_EXISTS "idempotency_key: ..." when the
  // key was used for a request with another fingerprint. Keys are the caller's own (`caller`,
  // the verified actor): the same key from another caller is another key, so that nobody gets
  // back a record someone else created by sending the same body under the same key.
  static absl::StatusOr<IdempotencyClaim> Claim(storage::Transaction& txn, absl::string_view method,
                                                absl::string_view caller, absl::string_view key,
                                                absl::string_view fingerprint,
                                                absl::string_view record_id, absl::Time now);

  // Deletes keys created before `before`, at most `limit`. Returns how many.
  static absl::StatusOr<int64_t> DeleteBefore(storage::Database& db, absl::Time before, int limit);
};

// Deletes keys older than the retention, in small transactions, on a thread of its own.
class IdempotencyPruner {
 public:
  IdempotencyPruner(storage::Database& db, absl::Duration retention,
                    absl::Duration interval = absl::Minutes(10));
  ~IdempotencyPruner();
  IdempotencyPruner(const IdempotencyPruner&) = delete;
  IdempotencyPruner& operator=(const IdempotencyPruner&) = delete;

  // One pass: deletes every key older than the retention. Returns how many.
  absl::StatusOr<int64_t> PruneOnce(absl::Time now);
  void Start();
  void Stop();

 private:
  storage::Database& db_;
  const absl::Duration retention_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace itsm::records

#endif  // ITSM_RECORDS_IDEMPOTENCY_H_
