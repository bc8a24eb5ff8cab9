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
// reached or cannot do the work now, INTERNAL for any other failure — other constraint
// violations and values the database refuses included: the domain rules check what they require
// before writing, so for a request such a refusal is a bug; for a consumed event it is that
// event's data (IsRefusal), which a consumer may skip.
//
// ABORTED and UNAVAILABLE are the transient ones (IsTransient): the database could not do the
// work now, and the same work may succeed when tried again. Every other failure comes back with
// the same input, so a writer of consumed events may give up that one event (never a transient
// failure: that would skip events because the database was away).
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

// Whether `status` is the database's failure rather than the work's: ABORTED (a serialization
// failure, a deadlock, a busy or locked SQLite, a lock or statement timeout) or UNAVAILABLE (the
// database unreachable, shutting down, read-only, out of disk, memory or connections). Retry
// the whole transaction. By code, so a status that is not a storage error counts alike (the
// group committer's UNAVAILABLE while the service stops).
bool IsTransient(const absl::Status& status);

// Whether the database refused this work's data: a constraint (unique, check, foreign key, a
// trigger's refusal on SQLite), a value it cannot store (too long, not text of its encoding, too
// large for an index entry or for SQLite). The same work is refused again; other work is not.
// Not the database's trouble (IsTransient), nor what the code got wrong (an unknown column after
// a bad migration, a NOT NULL column given nothing, a number out of range): those fail every
// piece of work alike, and skipping each would lose them all.
bool IsRefusal(const absl::Status& status);

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_ERRORS_H_
