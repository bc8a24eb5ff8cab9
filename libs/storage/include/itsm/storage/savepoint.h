// A unit of work inside a longer transaction that the database may refuse on its own: a batch of
// consumed events applied in one transaction, where one event whose write the database refuses
// (a constraint, a value it cannot store) must not take the others down with it, nor be
// retried for ever.
//
//   absl::Status refused;
//   ITSM_RETURN_IF_ERROR(storage::RunRefusable(txn, "event", [&] { return Apply(txn, e); },
//                                              &refused));
//   if (!refused.ok()) { ... skip the event: nothing of it is written, the transaction goes on ...}
//
// The unit runs inside a savepoint: PostgreSQL refuses every later statement of a transaction
// whose statement failed, unless it rolls back to a savepoint taken before it; SQLite undoes the
// failed statement only, not what the unit wrote before it.
#ifndef ITSM_STORAGE_SAVEPOINT_H_
#define ITSM_STORAGE_SAVEPOINT_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "itsm/storage/database.h"

namespace itsm::storage {

// Runs `unit` inside savepoint `savepoint` of `txn`. `*refused` is the unit's own result: OK
// (what it wrote stays), or its error when that error is the unit's own — the database refused
// its data (IsRefusal), or the unit found its input invalid (INVALID_ARGUMENT): what it wrote is
// undone, and the transaction goes on as if it had not run. The
// return value is the transaction's failure, after which it must be given up: a transient error
// (the database's: retry the whole transaction, never skip the unit), any other error (a
// statement or schema that is wrong, a damaged row the unit read, a broken invariant would fail
// every unit alike: stalled and alerted on, never skipped one by one), or a savepoint statement
// that failed.
absl::Status RunRefusable(Transaction& txn, absl::string_view savepoint,
                          const std::function<absl::Status()>& unit, absl::Status* refused);

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_SAVEPOINT_H_
