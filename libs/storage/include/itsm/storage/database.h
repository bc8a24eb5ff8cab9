// The storage interface every service uses: a pool of connections to one database, parameterised
// SQL only, explicit transactions. Two backends implement it: SQLite (WAL, the embedded default,
// one file per service) and PostgreSQL (libpq, for several replicas sharing one database).
//
// SQL is written once for both: parameters are $1, $2, ... (rewritten for SQLite); values never
// enter SQL text. Where the dialects differ (types, locking), a Migration carries both texts or
// the caller asks Database::dialect().
//
//   ITSM_ASSIGN_OR_RETURN(auto db, OpenDatabase("sqlite:///var/lib/itsm/incident.db"));
//   ITSM_ASSIGN_OR_RETURN(auto txn, db->Begin(TransactionMode::kReadWrite));
//   ITSM_RETURN_IF_ERROR(txn->Execute("INSERT INTO t(id, name) VALUES ($1, $2)", {id, name}));
//   ITSM_RETURN_IF_ERROR(txn->Commit());
#ifndef ITSM_STORAGE_DATABASE_H_
#define ITSM_STORAGE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "itsm/storage/value.h"

namespace itsm::storage {

enum class Dialect { kSqlite, kPostgres };

enum class TransactionMode {
  // Reads see one snapshot; no writes.
  kReadOnly,
  // Takes the write lock up front (SQLite BEGIN IMMEDIATE), so that two writers never deadlock
  // upgrading a read lock; PostgreSQL runs READ COMMITTED.
  kReadWrite,
};

// The rows a query returned, materialised (result sets here are pages, not streams).
class ResultSet {
 public:
  ResultSet() = default;
  ResultSet(std::vector<std::string> columns, std::vector<std::vector<Value>> rows)
      : columns_(std::move(columns)), rows_(std::move(rows)) {}

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  const std::vector<Value>& row(size_t i) const { return rows_[i]; }
  // One cell's text or bytes moved out of the set (Value::TakeString): a page of stored records
  // is handed on without a copy of each.
  std::string TakeString(size_t row, size_t column) { return rows_[row][column].TakeString(); }
  const std::vector<std::vector<Value>>& rows() const { return rows_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<Value>> rows_;
};

// A transaction on one pooled connection. Destroying it without Commit() rolls it back, so an
// early return on error can never leave a half-written record.
//
// Errors: ALREADY_EXISTS for a unique-constraint violation, ABORTED for a serialization failure
// or deadlock (retry the whole transaction), UNAVAILABLE when the database cannot be reached,
// INTERNAL for anything else (a bug in the SQL). errors.h says which are transient.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Runs a statement that returns rows.
  virtual absl::StatusOr<ResultSet> Query(absl::string_view sql, const Params& params = {}) = 0;
  // Runs a statement and returns how many rows it changed.
  virtual absl::StatusOr<int64_t> Execute(absl::string_view sql, const Params& params = {}) = 0;
  // Runs several statements without parameters (migrations only).
  virtual absl::Status ExecuteScript(absl::string_view sql) = 0;

  // Savepoints let one failed unit inside a batched transaction be undone alone.
  virtual absl::Status Savepoint(absl::string_view name) = 0;
  virtual absl::Status RollbackToSavepoint(absl::string_view name) = 0;
  virtual absl::Status ReleaseSavepoint(absl::string_view name) = 0;

  // A count that grows whenever this transaction may have done something only a rollback undoes:
  // each row inserted, updated or deleted, each statement whose effect it cannot tell (a script,
  // a `WITH` that may write), each failed statement (on PostgreSQL it aborts the transaction).
  // Equal before and after a piece of work: that work left nothing to undo (the group committer
  // runs a batch without a savepoint per unit because of it).
  virtual int64_t Footprint() const = 0;

  virtual absl::Status Commit() = 0;
  virtual Dialect dialect() const = 0;
};

// A connection of its own, outside the pool, for locks that must outlive any transaction: on
// PostgreSQL, session-level advisory locks. Such a lock never occupies a pooled connection and
// needs no open transaction; the server releases it when the connection ends: when this object
// is destroyed, or when the process dies (kill -9 closes its socket), so another process can take
// it over. The connection is never silently re-established: a new one would not hold the locks.
//
// Not thread-safe: one owner uses it.
class LockSession {
 public:
  // Releases its locks (before it returns) and closes the connection.
  virtual ~LockSession() = default;
  // Takes the lock `key` unless another session holds it. True when this session holds it now.
  // UNAVAILABLE when the connection died (make a new session).
  virtual absl::StatusOr<bool> TryLock(int64_t key) = 0;
  // OK while the connection is alive, so the locks it took are still held; UNAVAILABLE once it
  // died: the server released them, and another session may hold them now.
  virtual absl::Status Check() = 0;
};

struct DatabaseOptions {
  // Connections in the pool. SQLite: the readers'; writes, which SQLite serialises anyway, have
  // one connection more of their own.
  int pool_size = 4;
  // How long Begin() waits for a free connection, and SQLite for a lock.
  int busy_timeout_ms = 5000;
  // SQLite: FULL fsyncs every commit (no acknowledged write is lost on power failure);
  // NORMAL only fsyncs at WAL checkpoints. FULL is the default; group commit pays for it.
  bool sqlite_synchronous_full = true;
  // SQLite: how much of the database file is read through a memory map (PRAGMA mmap_size)
  // rather than copied page by page into each connection's cache; 0 (the default) maps nothing.
  // SQLite caps it at its build's maximum (2 GiB less 64 KiB in Debian's). Decision 224.
  int64_t sqlite_mmap_bytes = 0;
};

// How long a read begun without waiting may work in the database, counted from this object's
// creation. SQLite checks it every thousand steps of its virtual machine (a few microseconds),
// so a read runs a little past it before it stops. Used by one thread.
class ReadBudget {
 public:
  explicit ReadBudget(absl::Duration budget) : deadline_(absl::Now() + budget) {}
  // True once the budget ran out; the check that found it so sets it.
  bool exceeded() const { return exceeded_; }
  // Called by the database as it works: false while there is budget left.
  bool Spent() {
    if (!exceeded_ && absl::Now() > deadline_) exceeded_ = true;
    return exceeded_;
  }

 private:
  absl::Time deadline_;
  bool exceeded_ = false;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual absl::StatusOr<std::unique_ptr<Transaction>> Begin(TransactionMode mode) = 0;
  // A read-only transaction begun without waiting, for a read short enough to run on a thread
  // that must never block (a gRPC callback thread): on SQLite when a connection is free now;
  // null when none is, or when the database is across a network (PostgreSQL), or when BEGIN
  // failed (the caller then takes the ordinary path, which reports the error). With a `budget`,
  // every statement fails once the transaction's database work ran past it, and the budget
  // says so (ReadBudget::exceeded): what the read produced is then to be thrown away.
  virtual std::unique_ptr<Transaction> BeginReadWithoutWaiting(ReadBudget* budget) = 0;
  virtual Dialect dialect() const = 0;
  // A new LockSession on a connection of its own (PostgreSQL). UNIMPLEMENTED on SQLite: a file
  // belongs to one process, so there is nobody to lock out. UNAVAILABLE when the database cannot
  // be reached. With an `idle_limit`, the server ends the session, and so frees its locks, once
  // its holder has sent nothing for that long: a holder frozen or hung, whose connection stays
  // open, loses its locks as a dead one does (PostgreSQL 14 and later: idle_session_timeout;
  // an older server keeps the session). Zero: no limit.
  virtual absl::StatusOr<std::unique_ptr<LockSession>> OpenLockSession(
      absl::Duration idle_limit) = 0;
  // The URL with any password removed, for logs.
  virtual std::string DisplayUrl() const = 0;
};

// Opens a database by URL:
//   sqlite:///absolute/path.db, sqlite://relative/path.db, sqlite::memory: (tests only)
//   postgresql://user@host:port/dbname?sslmode=disable (any libpq connection URI)
// The file's folder is created for SQLite. INVALID_ARGUMENT for an unknown scheme; UNAVAILABLE
// when the database cannot be reached.
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(absl::string_view url,
                                                       const DatabaseOptions& options = {});

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_DATABASE_H_
