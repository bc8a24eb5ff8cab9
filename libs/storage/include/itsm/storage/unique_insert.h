// An insert that may lose a race on a unique key, inside a larger transaction: the way several
// writers (several replicas sharing a PostgreSQL) claim one key so that exactly one wins.
//
//   ITSM_ASSIGN_OR_RETURN(bool won, storage::InsertUnlessTaken(txn, "alert_groups",
//       "alert_group_claim", "INSERT INTO alert_groups(group_hash, ...) VALUES ($1, ...)", {...}));
//   if (!won) { ... read the winner's row: it is committed and visible now ... }
//
// The insert waits for any other transaction holding the same key; if that one commits, this
// insert fails with a typed unique violation, undone alone by a savepoint (PostgreSQL refuses
// every later statement of a transaction whose statement failed, unless it rolls back to a
// savepoint taken before it).
#ifndef ITSM_STORAGE_UNIQUE_INSERT_H_
#define ITSM_STORAGE_UNIQUE_INSERT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/database.h"
#include "itsm/storage/errors.h"

namespace itsm::storage {

// True when `sql` inserted; false when a unique key of `table` was taken (nothing written).
// Any other failure is returned as it is.
inline absl::StatusOr<bool> InsertUnlessTaken(Transaction& txn, absl::string_view table,
                                              absl::string_view savepoint, absl::string_view sql,
                                              const Params& params) {
  ITSM_RETURN_IF_ERROR(txn.Savepoint(savepoint));
  absl::Status inserted = txn.Execute(sql, params).status();
  if (IsUniqueViolation(inserted, table)) {
    ITSM_RETURN_IF_ERROR(txn.RollbackToSavepoint(savepoint));
    ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint(savepoint));
    return false;
  }
  ITSM_RETURN_IF_ERROR(inserted);
  ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint(savepoint));
  return true;
}

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_UNIQUE_INSERT_H_
