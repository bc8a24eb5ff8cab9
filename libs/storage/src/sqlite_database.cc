#include "src/sqlite_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/errors.h"
#include "src/connection_pool.h"
#include "src/sqlite_wal_gathering.h"

namespace itsm::storage::internal {
namespace {

// The table named by SQLite's "UNIQUE constraint failed: table.column, ..." message.
std::string ConstraintTable(absl::string_view message) {
  constexpr absl::string_view kMarker = "constraint failed: ";
  const size_t at = message.find(kMarker);
  if (at == absl::string_view::npos) return "";
  absl::string_view rest = message.substr(at + kMarker.size());
  return std::string(rest.substr(0, rest.find('.')));
}

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string msg = absl::StrCat(what, ": ", detail);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return MakeStorageError(ErrorKind::kUniqueViolation, msg, ConstraintTable(detail));
      }
      // Nothing bound where a value is required: the code's bug, which every event would hit.
      if (rc == SQLITE_CONSTRAINT_NOTNULL) return MakeStorageError(ErrorKind::kInternal, msg);
      return MakeStorageError(ErrorKind::kConstraintViolation, msg, ConstraintTable(detail));
    case SQLITE_TOOBIG:  // a value larger than SQLite stores: refused data (IsRefusal)
      return MakeStorageError(ErrorKind::kConstraintViolation, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:  // a race on the WAL's locks
      return MakeStorageError(ErrorKind::kConflict, msg);
    // The file, the disk or the process, not the statement: the same write succeeds once the
    // operator fixed them (a file made read-only, or moved, is SQLITE_READONLY_*).
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
      return MakeStorageError(ErrorKind::kUnavailable, msg);
    default:
      return MakeStorageError(ErrorKind::kInternal, msg);
  }
}

// One connection and its prepared statements, cached by SQL text: statements are prepared once
// per connection and reset for each use.
class SqliteConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* db() { return db_; }

  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    const std::string rewritten = RewritePlaceholdersForSqlite(sql);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, rewritten.c_str(), static_cast<int>(rewritten.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, absl::StrCat("prepare `", sql, "`"));
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

 private:
  sqlite3* db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

absl::Status Bind(sqlite3_stmt* stmt, const Params& params) {
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
    return MakeStorageError(ErrorKind::kInternal,
                            absl::StrCat("statement takes ", sqlite3_bind_parameter_count(stmt),
                                         " parameters, got ", params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i) + 1;
    int rc = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Null>) {
            return sqlite3_bind_null(stmt, idx);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            return sqlite3_bind_int64(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, double>) {
            return sqlite3_bind_double(stmt, idx, v);
          } else if constexpr (std::is_same_v<T, std::string>) {
            return sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
          } else {
            return sqlite3_bind_blob64(stmt, idx, v.data.data(), v.data.size(), SQLITE_STATIC);
          }
        },
        params[i].variant());
    if (rc != SQLITE_OK) return SqliteError(sqlite3_db_handle(stmt), rc, "bind");
  }
  return absl::OkStatus();
}

Value ReadColumn(sqlite3_stmt* stmt, int col) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_INTEGER:
      return Value(static_cast<int64_t>(sqlite3_column_int64(stmt, col)));
    case SQLITE_FLOAT:
      return Value(sqlite3_column_double(stmt, col));
    case SQLITE_TEXT:
      return Value(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, col)),
                               sqlite3_column_bytes(stmt, col)));
    case SQLITE_BLOB: {
      const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, col));
      return Value(Bytes{std::string(data ? data : "", sqlite3_column_bytes(stmt, col))});
    }
    default:
      return Value();
  }
}

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(ConnectionPool<SqliteConnection>* pool, std::unique_ptr<SqliteConnection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  ~SqliteTransaction() override {
    // The connection goes back to the pool without the budget, and ROLLBACK must run whatever
    // the budget says.
    if (budgeted_) sqlite3_progress_handler(conn_->db(), 0, nullptr, nullptr);
    if (!done_) StepOnce("ROLLBACK");
    pool_->Release(std::move(conn_));
  }

  // From now on a statement fails (SQLITE_INTERRUPT) once `budget` is spent.
  void Limit(ReadBudget* budget) {
    budgeted_ = true;
    sqlite3_progress_handler(
        conn_->db(), kStepsPerBudgetCheck,
        [](void* b) -> int { return static_cast<ReadBudget*>(b)->Spent() ? 1 : 0; }, budget);
  }

  absl::StatusOr<ResultSet> Query(absl::string_view sql, const Params& params) override {
    absl::StatusOr<ResultSet> rows = QueryRows(sql, params);
    if (!rows.ok()) ++failed_statements_;
    return rows;
  }

  absl::StatusOr<int64_t> Execute(absl::string_view sql, const Params& params) override {
    absl::StatusOr<int64_t> changed = ExecuteStatement(sql, params);
    if (!changed.ok()) ++failed_statements_;
    return changed;
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    ++unknown_effects_;  // may create tables: not rows, yet only a rollback undoes them
    std::string script(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(conn_->db(), script.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return MakeStorageError(ErrorKind::kInternal, absl::StrCat("script failed: ", msg));
    }
    return absl::OkStatus();
  }

  absl::Status Savepoint(absl::string_view name) override {
    return Execute(absl::StrCat("SAVEPOINT ", name), {}).status();
  }
  absl::Status RollbackToSavepoint(absl::string_view name) override {
    return Execute(absl::StrCat("ROLLBACK TO SAVEPOINT ", name), {}).status();
  }
  absl::Status ReleaseSavepoint(absl::string_view name) override {
    return Execute(absl::StrCat("RELEASE SAVEPOINT ", name), {}).status();
  }

  absl::Status Commit() override {
    if (done_) return MakeStorageError(ErrorKind::kInternal, "transaction already finished");
    int rc = StepOnce("COMMIT");
    if (rc != SQLITE_OK) return SqliteError(conn_->db(), rc, "commit");
    done_ = true;
    return absl::OkStatus();
  }

  // SQLite counts the rows its statements changed (triggers' included) per connection.
  int64_t Footprint() const override {
    return sqlite3_total_changes64(conn_->db()) + failed_statements_ + unknown_effects_;
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  absl::Status Begin(TransactionMode mode) {
    const char* sql = mode == TransactionMode::kReadWrite ? "BEGIN IMMEDIATE" : "BEGIN";
    int rc = StepOnce(sql);
    if (rc != SQLITE_OK) {
      done_ = true;  // nothing to roll back
      return SqliteError(conn_->db(), rc, "begin");
    }
    return absl::OkStatus();
  }

 private:
  // BEGIN, COMMIT and ROLLBACK from the connection's prepared statements: sqlite3_exec parsed
  // them again for every transaction, 5-8 % of a read's CPU (profile of ListIncidents).
  // SQLITE_OK when the statement ran.
  int StepOnce(const char* sql) {
    absl::StatusOr<sqlite3_stmt*> stmt = conn_->Prepare(sql);
    if (!stmt.ok()) return sqlite3_exec(conn_->db(), sql, nullptr, nullptr, nullptr);
    const int rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }

  absl::StatusOr<ResultSet> QueryRows(absl::string_view sql, const Params& params) {
    ITSM_ASSIGN_OR_RETURN(Stepped first, Run(sql, params));
    sqlite3_stmt* stmt = first.stmt;
    std::vector<std::string> columns;
    const int ncol = sqlite3_column_count(stmt);
    for (int c = 0; c < ncol; ++c) columns.emplace_back(sqlite3_column_name(stmt, c));
    std::vector<std::vector<Value>> rows;
    int rc = first.rc;
    while (rc == SQLITE_ROW) {
      std::vector<Value> row;
      row.reserve(ncol);
      for (int c = 0; c < ncol; ++c) row.push_back(ReadColumn(stmt, c));
      rows.push_back(std::move(row));
      rc = sqlite3_step(stmt);
    }
    absl::Status status = Finish(stmt, rc, sql);
    if (!status.ok()) return status;
    return ResultSet(std::move(columns), std::move(rows));
  }

  absl::StatusOr<int64_t> ExecuteStatement(absl::string_view sql, const Params& params) {
    ITSM_ASSIGN_OR_RETURN(Stepped first, Run(sql, params));
    int rc = first.rc;
    while (rc == SQLITE_ROW) rc = sqlite3_step(first.stmt);
    ITSM_RETURN_IF_ERROR(Finish(first.stmt, rc, sql));
    return static_cast<int64_t>(sqlite3_changes64(conn_->db()));
  }

  // A statement after its first step, and that step's result.
  struct Stepped {
    sqlite3_stmt* stmt;
    int rc;
  };

  absl::StatusOr<Stepped> Run(absl::string_view sql, const Params& params) {
    if (done_) return MakeStorageError(ErrorKind::kInternal, "transaction already finished");
    ITSM_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn_->Prepare(sql));
    absl::Status bound = Bind(stmt, params);
    if (!bound.ok()) {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
      return bound;
    }
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      absl::Status status = SqliteError(conn_->db(), rc, absl::StrCat("`", sql, "`"));
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
      return status;
    }
    return Stepped{stmt, rc};
  }

  absl::Status Finish(sqlite3_stmt* stmt, int rc, absl::string_view sql) {
    absl::Status status = absl::OkStatus();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      status = SqliteError(conn_->db(), rc, absl::StrCat("`", sql, "`"));
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return status;
  }

  // A filtered page's walk takes some ten thousand steps; a check is a clock read.
  static constexpr int kStepsPerBudgetCheck = 1000;

  ConnectionPool<SqliteConnection>* pool_;
  std::unique_ptr<SqliteConnection> conn_;
  bool done_ = false;
  bool budgeted_ = false;
  int64_t failed_statements_ = 0;
  int64_t unknown_effects_ = 0;
};

// A database holds what others on the machine must not read (webhook signing secrets, the
// receivers' URLs with their credentials, every record), so its file is its owner's alone:
// created 0600 whatever the umask, and tightened to 0600 if an earlier version left it readable
// by others. SQLite gives the -wal and -shm files the database file's mode when it creates them;
// ones already there are tightened too. Best effort: a file system without Unix modes keeps its
// own.
void KeepDatabaseFilesPrivate(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st;
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      ::chmod(file.c_str(), st.st_mode & 0700);
    }
  }
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, DatabaseOptions options)
      : path_(std::move(path)), options_(options) {}

  absl::Status Open() {
    if (path_ != ":memory:") KeepDatabaseFilesPrivate(path_);
    for (int i = 0; i < std::max(1, options_.pool_size); ++i) {
      ITSM_ASSIGN_OR_RETURN(auto conn, OpenConnection(options_.sqlite_mmap_bytes));
      pool_.Add(std::move(conn));
    }
    // SQLite takes one writer at a time (BEGIN IMMEDIATE waits for the lock), so writes share
    // one connection of their own: a write never waits for a connection that readers hold, and
    // the writer reads the pages it changes by copy, not through the map (decision 224: mapped,
    // a create cost ~4 µs more, the map being redone as every checkpoint grows the file).
    ITSM_ASSIGN_OR_RETURN(auto writer, OpenConnection(/*mmap_bytes=*/0));
    write_pool_.Add(std::move(writer));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(TransactionMode mode) override {
    ConnectionPool<SqliteConnection>& pool =
        mode == TransactionMode::kReadWrite ? write_pool_ : pool_;
    ITSM_ASSIGN_OR_RETURN(auto conn, pool.Acquire(absl::Milliseconds(options_.busy_timeout_ms)));
    auto txn = std::make_unique<SqliteTransaction>(&pool, std::move(conn));
    ITSM_RETURN_IF_ERROR(txn->Begin(mode));
    return std::unique_ptr<Transaction>(std::move(txn));
  }

  std::unique_ptr<Transaction> BeginReadWithoutWaiting(ReadBudget* budget) override {
    auto conn = pool_.TryAcquire();
    if (conn == nullptr) return nullptr;
    auto txn = std::make_unique<SqliteTransaction>(&pool_, std::move(conn));
    if (!txn->Begin(TransactionMode::kReadOnly).ok()) return nullptr;
    if (budget != nullptr) txn->Limit(budget);
    return txn;
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  absl::StatusOr<std::unique_ptr<LockSession>> OpenLockSession(absl::Duration) override {
    return absl::UnimplementedError("SQLite has no lock sessions: one process owns the file");
  }
  std::string DisplayUrl() const override { return absl::StrCat("sqlite://", path_); }

 private:
  absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenConnection(int64_t mmap_bytes) {
    const bool memory = path_ == ":memory:";
    // A named shared-cache memory database, so that every pooled connection sees the same data.
    const std::string name = memory
                                 ? absl::StrCat("file:itsm-mem-", reinterpret_cast<uintptr_t>(this),
                                                "?mode=memory&cache=shared")
                                 : path_;
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    // With synchronous=FULL each commit syncs its WAL, so its frame writes can be gathered into
    // one system call (sqlite_wal_gathering.h); with NORMAL they must reach the file as written.
    const char* vfs = !memory && options_.sqlite_synchronous_full ? WalGatheringVfsName() : nullptr;
    int rc = sqlite3_open_v2(name.c_str(), &db, flags, vfs);
    auto conn = std::make_unique<SqliteConnection>(db);
    if (rc != SQLITE_OK) {
      return absl::UnavailableError(
          absl::StrCat("cannot open SQLite database ", path_, ": ", sqlite3_errstr(rc)));
    }
    // Asked for read-write, SQLite opens a file it cannot write read-only, silently: the service
    // would start, answer reads and fail every write until restarted, even once the file
    // system is writable again. Refused here, the process exits and its supervisor retries.
    if (!memory && sqlite3_db_readonly(db, "main") == 1) {
      return absl::UnavailableError(absl::StrCat("cannot open SQLite database ", path_,
                                                 " for writing: the file or its file system is "
                                                 "read-only"));
    }
    sqlite3_busy_timeout(db, options_.busy_timeout_ms);
    // Extended codes tell a unique violation (ALREADY_EXISTS) from other constraint failures.
    sqlite3_extended_result_codes(db, 1);
    // temp_store=MEMORY keeps statement journals (a statement's undo record inside a longer
    // transaction, needed when it may fail half-way) off disk: a temporary file per write
    // transaction cost open/write/unlink system calls, and the journal never outlives the
    // transaction, so durability is unchanged (decision 135).
    std::string pragmas =
        absl::StrCat(memory ? "" : "PRAGMA journal_mode=WAL;",
                     "PRAGMA synchronous=", options_.sqlite_synchronous_full ? "FULL" : "NORMAL",
                     "; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                     memory ? "" : absl::StrCat("PRAGMA mmap_size=", mmap_bytes, ";"));
    char* err = nullptr;
    rc = sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return absl::UnavailableError(absl::StrCat("cannot configure SQLite ", path_, ": ", msg));
    }
    return conn;
  }

  std::string path_;
  DatabaseOptions options_;
  ConnectionPool<SqliteConnection> pool_;        // reads
  ConnectionPool<SqliteConnection> write_pool_;  // one connection: writes
};

}  // namespace

std::string RewritePlaceholdersForSqlite(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && absl::ascii_isdigit(sql[i + 1])) {
      out.push_back('?');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     const DatabaseOptions& options) {
  if (path != ":memory:") {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create folder ", parent.string(), ": ", ec.message()));
    }
  }
  auto db = std::make_unique<SqliteDatabase>(path, options);
  ITSM_RETURN_IF_ERROR(db->Open());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace itsm::storage::internal
