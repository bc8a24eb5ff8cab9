// Storage errors are typed: a caller decides by kind and table, never by the message. The
// message (the SQL, the database's own words) is for the logs: every storage error is marked
// private (itsm/base/error_detail.h), so the gRPC edge never sends it to a client.
//
//   absl::Status s = txn.Execute("INSERT INTO idempotency_keys ...", {...}).status();
//   if (storage::IsUniqueViolation(s, "idempotency_keys")) { ... another writer won ... }
//
// Codes: ALREADY_EXISTS for a unique violation (a repository turns it into its domain's
// ALREADY_EXISTS with a message of its own), ABORTED for a conflict (serialization failure,
// deadlock, a busy SQLite: retry the whole transaction), UNAVAILABLE when the database cannot be
// reached, INTERNAL for any other failure — other constraint violations included: the domain
// rules check what they require before writing, so a violated constraint is a bug.
#ifndef ITSM_STORAGE_ERRORS_H_
#define ITSM_STORAGE_ERRORS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace itsm::storage {

enum class ErrorKind {
  kUniqueViolation,
  kConstraintViolation,
  kConflict,
  kUnavailable,
  kInternal,
};

struct StorageError {
  ErrorKind kind;
  // The table a constraint violation happened on, when the database tells ("" otherwise).
  std::string table;
};

// What the backends return.
absl::Status MakeStorageError(ErrorKind kind, absl::string_view message,
                              absl::string_view table = {});

// The storage error `status` is, or nullopt for any other status.
std::optional<StorageError> StorageErrorOf(const absl::Status& status);

// A unique-constraint violation on `table`.
bool IsUniqueViolation(const absl::Status& status, absl::string_view table);

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_ERRORS_H_
