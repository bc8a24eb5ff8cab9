// The durable deadline schedule (table deadlines): one row per deadline of a contract or
// supplier, keyed by (record, kind, lead days, the instant it is about). A row fires once: it is
// marked fired in the transaction that writes its event to the outbox, and kept, so that a
// recomputation that finds the same deadline again does not schedule it a second time.
#ifndef ITSM_SERVICES_SUPPLIER_DEADLINE_REPOSITORY_H_
#define ITSM_SERVICES_SUPPLIER_DEADLINE_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "services/supplier/src/contract_deadlines.h"

namespace itsm::supplier {

class DeadlineRepository {
 public:
  // Replaces the record's deadlines not fired yet by `deadlines`; a deadline that already fired
  // is not scheduled again.
  static absl::Status Replace(storage::Transaction& txn, const std::string& record_id,
                              const std::string& supplier_id,
                              const std::vector<DeadlineAt>& deadlines);
  // Up to `limit` deadlines due at `now` and not fired, soonest first. On PostgreSQL the rows are
  // locked and rows another transaction holds are skipped (FOR UPDATE SKIP LOCKED), so replicas
  // sharing the database claim disjoint rows.
  static absl::StatusOr<std::vector<v1::Deadline>> ClaimDue(storage::Transaction& txn,
                                                            absl::Time now, int limit);
  // Marks the deadline fired. False when it was fired (or replaced) meanwhile: do not fire it.
  static absl::StatusOr<bool> MarkFired(storage::Transaction& txn, const v1::Deadline& deadline);
  // Not fired, due before `before` (InfiniteFuture: all), of `supplier_id` (empty: all), soonest
  // first, after the (due, record, kind, lead) position `after` (empty: from the start).
  static absl::StatusOr<std::vector<v1::Deadline>> Pending(storage::Transaction& txn,
                                                           absl::Time before,
                                                           const std::string& supplier_id,
                                                           const std::vector<std::string>& after,
                                                           int limit);
  // Not fired and due before `before` (metrics).
  static absl::StatusOr<int64_t> CountDueBefore(storage::Transaction& txn, absl::Time before);
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_DEADLINE_REPOSITORY_H_
