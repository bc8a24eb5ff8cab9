#include "src/postgres_database.h"

#include <algorithm>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/errors.h"
#include "src/connection_pool.h"
#include "src/libpq.h"

namespace itsm::storage::internal {
namespace {

// libpq, loaded by OpenPostgres before any of this runs (nothing here exists before).
const Libpq& Pq() { return **LoadLibpq(); }

// Type OIDs from pg_type.h (not installed with libpq-dev's client headers).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

absl::Status PgError(PGconn* conn, const PGresult* res, absl::string_view what) {
  const char* sqlstate = res ? Pq().PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* table = res ? Pq().PQresultErrorField(res, PG_DIAG_TABLE_NAME) : nullptr;
  const std::string msg =
      absl::StrCat(what, ": ", res ? Pq().PQresultErrorMessage(res) : Pq().PQerrorMessage(conn));
  const absl::string_view state = sqlstate ? sqlstate : "";
  const absl::string_view table_name = table ? table : "";
  if (state == "23505") return MakeStorageError(ErrorKind::kUniqueViolation, msg, table_name);
  // The database refuses this data (IsRefusal): a constraint it violates, or a value it cannot
  // hold — too long (22001), bytes that are no text of its encoding (22021, 22P05), too large
  // for an index entry (54000). Not a NOT NULL violation (23502: the code bound nothing, a bug
  // that every event would hit), nor other data exceptions (a number out of range, a text that
  // is no number: the code's, not the event's).
  if ((state.substr(0, 2) == "23" && state != "23502") || state == "22001" || state == "22021" ||
      state == "22P05" || state == "54000") {
    return MakeStorageError(ErrorKind::kConstraintViolation, msg, table_name);
  }
  // Serialization failure or deadlock: the same transaction may succeed when run again.
  if (state == "40001" || state == "40P01") {
    return MakeStorageError(ErrorKind::kConflict, msg);
  }
  // Connection lost (08), the server stopping or starting (57P01-57P03), out of disk, memory or
  // connections (53), an I/O error on the server (58), a server that takes no writes (25006: a
  // standby after a failover, default_transaction_read_only), a lock or statement timeout or a
  // cancel (55P03, 57014: a caller is told to come back later, not that its write met another):
  // the server's trouble, not the statement's.
  const absl::string_view state_class = state.substr(0, 2);
  if (state_class == "08" || state_class == "53" || state_class == "58" || state == "57P01" ||
      state == "57P02" || state == "57P03" || state == "25006" || state == "55P03" ||
      state == "57014" || Pq().PQstatus(conn) != CONNECTION_OK) {
    return MakeStorageError(ErrorKind::kUnavailable, msg);
  }
  return MakeStorageError(ErrorKind::kInternal, msg);
}

class PgConnection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() { Pq().PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* conn() { return conn_; }

  // Prepares each distinct SQL text once per connection under a generated name.
  absl::StatusOr<std::string> Prepare(absl::string_view sql, int nparams) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    std::string name = absl::StrCat("itsm_", statements_.size());
    PGresult* res = Pq().PQprepare(conn_, name.c_str(), std::string(sql).c_str(), nparams, nullptr);
    absl::Status status = absl::OkStatus();
    if (Pq().PQresultStatus(res) != PGRES_COMMAND_OK) {
      status = PgError(conn_, res, absl::StrCat("prepare `", sql, "`"));
    }
    Pq().PQclear(res);
    if (!status.ok()) return status;
    statements_.emplace(std::string(sql), name);
    return name;
  }

  // After a broken connection the server forgot our prepared statements.
  void Reset() {
    Pq().PQreset(conn_);
    statements_.clear();
  }

 private:
  PGconn* conn_;
  absl::flat_hash_map<std::string, std::string> statements_;
};

Value ReadColumn(PGresult* res, int row, int col) {
  if (Pq().PQgetisnull(res, row, col)) return Value();
  const char* text = Pq().PQgetvalue(res, row, col);
  const int len = Pq().PQgetlength(res, row, col);
  switch (Pq().PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
      return Value(static_cast<int64_t>(std::strtoll(text, nullptr, 10)));
    case kBoolOid:
      return Value(static_cast<int64_t>(text[0] == 't' ? 1 : 0));
    case kFloat4Oid:
    case kFloat8Oid:
      return Value(std::strtod(text, nullptr));
    case kByteaOid: {
      size_t out_len = 0;
      unsigned char* raw =
          Pq().PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &out_len);
      Bytes bytes{std::string(reinterpret_cast<char*>(raw), out_len)};
      Pq().PQfreemem(raw);
      return Value(std::move(bytes));
    }
    default:
      return Value(std::string(text, len));
  }
}

class PgTransaction final : public Transaction {
 public:
  PgTransaction(ConnectionPool<PgConnection>* pool, std::unique_ptr<PgConnection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  ~PgTransaction() override {
    if (!done_) {
      PGresult* res = Pq().PQexec(conn_->conn(), "ROLLBACK");
      Pq().PQclear(res);
    }
    if (Pq().PQstatus(conn_->conn()) != CONNECTION_OK) conn_->Reset();
    pool_->Release(std::move(conn_));
  }

  absl::StatusOr<ResultSet> Query(absl::string_view sql, const Params& params) override {
    ITSM_ASSIGN_OR_RETURN(PGresult * res, Run(sql, params));
    CountFootprint(sql, res);
    std::vector<std::string> columns;
    const int ncol = Pq().PQnfields(res);
    for (int c = 0; c < ncol; ++c) columns.emplace_back(Pq().PQfname(res, c));
    std::vector<std::vector<Value>> rows;
    const int nrow = Pq().PQntuples(res);
    rows.reserve(nrow);
    for (int r = 0; r < nrow; ++r) {
      std::vector<Value> row;
      row.reserve(ncol);
      for (int c = 0; c < ncol; ++c) row.push_back(ReadColumn(res, r, c));
      rows.push_back(std::move(row));
    }
    Pq().PQclear(res);
    return ResultSet(std::move(columns), std::move(rows));
  }

  absl::StatusOr<int64_t> Execute(absl::string_view sql, const Params& params) override {
    ITSM_ASSIGN_OR_RETURN(PGresult * res, Run(sql, params));
    CountFootprint(sql, res);
    const char* affected = Pq().PQcmdTuples(res);
    int64_t n = affected && *affected ? std::strtoll(affected, nullptr, 10) : 0;
    Pq().PQclear(res);
    return n;
  }

  absl::Status ExecuteScript(absl::string_view sql) override {
    ++footprint_;  // a script's effects are not counted statement by statement
    return Simple(std::string(sql), "script");
  }

  absl::Status Savepoint(absl::string_view name) override {
    return Simple(absl::StrCat("SAVEPOINT ", name), "savepoint");
  }
  absl::Status RollbackToSavepoint(absl::string_view name) override {
    return Simple(absl::StrCat("ROLLBACK TO SAVEPOINT ", name), "rollback to savepoint");
  }
  absl::Status ReleaseSavepoint(absl::string_view name) override {
    return Simple(absl::StrCat("RELEASE SAVEPOINT ", name), "release savepoint");
  }

  absl::Status Commit() override {
    if (done_) return MakeStorageError(ErrorKind::kInternal, "transaction already finished");
    // COMMIT of a transaction that had an error reports ROLLBACK, not an error: check that too.
    PGresult* res = Pq().PQexec(conn_->conn(), "COMMIT");
    absl::Status status = absl::OkStatus();
    if (Pq().PQresultStatus(res) != PGRES_COMMAND_OK) {
      status = PgError(conn_->conn(), res, "commit");
    } else if (absl::string_view(Pq().PQcmdStatus(res)) == "ROLLBACK") {
      status = MakeStorageError(ErrorKind::kConflict,
                                "commit: the transaction had failed and was rolled back");
    }
    Pq().PQclear(res);
    done_ = true;
    return status;
  }

  int64_t Footprint() const override { return footprint_; }

  Dialect dialect() const override { return Dialect::kPostgres; }

  absl::Status Begin(TransactionMode mode) {
    absl::Status status = Simple(mode == TransactionMode::kReadOnly
                                     ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                     : "BEGIN",
                                 "begin");
    if (!status.ok()) done_ = true;
    return status;
  }

 private:
  absl::Status Simple(const std::string& sql, absl::string_view what) {
    PGresult* res = Pq().PQexec(conn_->conn(), sql.c_str());
    absl::Status status = absl::OkStatus();
    if (Pq().PQresultStatus(res) != PGRES_COMMAND_OK &&
        Pq().PQresultStatus(res) != PGRES_TUPLES_OK) {
      ++footprint_;
      status = PgError(conn_->conn(), res, what);
    }
    Pq().PQclear(res);
    return status;
  }

  absl::StatusOr<PGresult*> Run(absl::string_view sql, const Params& params) {
    if (done_) return MakeStorageError(ErrorKind::kInternal, "transaction already finished");
    absl::StatusOr<std::string> prepared = conn_->Prepare(sql, static_cast<int>(params.size()));
    if (!prepared.ok()) {
      ++footprint_;  // a failed PREPARE aborts the transaction too
      return prepared.status();
    }
    const std::string& name = *prepared;
    // Text format for everything but bytes, which travel raw in binary format.
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Null>) {
              values[i] = nullptr;
            } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
              text[i] = absl::StrCat(v);
              values[i] = text[i].c_str();
            } else if constexpr (std::is_same_v<T, std::string>) {
              values[i] = v.c_str();
            } else {
              values[i] = v.data.data();
              lengths[i] = static_cast<int>(v.data.size());
              formats[i] = 1;
            }
          },
          params[i].variant());
    }
    PGresult* res =
        Pq().PQexecPrepared(conn_->conn(), name.c_str(), static_cast<int>(params.size()),
                            values.data(), lengths.data(), formats.data(), 0);
    const ExecStatusType st = Pq().PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      ++footprint_;  // the transaction is aborted now: only a rollback makes it usable again
      absl::Status status = PgError(conn_->conn(), res, absl::StrCat("`", sql, "`"));
      Pq().PQclear(res);
      return status;
    }
    return res;
  }

  // Transaction::Footprint of a statement that ran: the rows an INSERT, UPDATE, DELETE or MERGE
  // changed (its command tag says how many), nothing for a plain SELECT, one for anything else
  // (a `WITH` may write and still be tagged SELECT).
  void CountFootprint(absl::string_view sql, PGresult* res) {
    const absl::string_view tag = Pq().PQcmdStatus(res);
    for (absl::string_view writes : {"INSERT", "UPDATE", "DELETE", "MERGE"}) {
      if (absl::StartsWith(tag, writes)) {
        footprint_ += std::strtoll(Pq().PQcmdTuples(res), nullptr, 10);
        return;
      }
    }
    const bool plain_select =
        absl::StartsWith(tag, "SELECT") &&
        absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(sql), "SELECT");
    if (!plain_select) ++footprint_;
  }

  ConnectionPool<PgConnection>* pool_;
  std::unique_ptr<PgConnection> conn_;
  bool done_ = false;
  int64_t footprint_ = 0;
};

class PgLockSession final : public LockSession {
 public:
  explicit PgLockSession(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}
  // Unlocks before closing: the server would release the locks when it notices the closed
  // connection, a moment later; unlocking first means the next holder can take them as soon as
  // this returns. A dead connection fails at once, and its locks are gone anyway.
  ~PgLockSession() override {
    PGresult* res = Pq().PQexec(conn_->conn(), "SELECT pg_advisory_unlock_all()");
    Pq().PQclear(res);
  }

  absl::StatusOr<bool> TryLock(int64_t key) override {
    const std::string text = absl::StrCat(key);
    const char* values[] = {text.c_str()};
    // Autocommit: the lock is the session's, so no transaction stays open to hold it.
    PGresult* res = Pq().PQexecParams(conn_->conn(), "SELECT pg_try_advisory_lock($1::bigint)", 1,
                                      nullptr, values, nullptr, nullptr, 0);
    if (Pq().PQresultStatus(res) != PGRES_TUPLES_OK) {
      absl::Status status = PgError(conn_->conn(), res, "try advisory lock");
      Pq().PQclear(res);
      return status;
    }
    const bool locked = Pq().PQgetvalue(res, 0, 0)[0] == 't';
    Pq().PQclear(res);
    return locked;
  }

  absl::Status Check() override {
    PGresult* res = Pq().PQexec(conn_->conn(), "SELECT 1");
    absl::Status status = absl::OkStatus();
    if (Pq().PQresultStatus(res) != PGRES_TUPLES_OK) {
      // Whatever went wrong, the locks can no longer be vouched for.
      status =
          MakeStorageError(ErrorKind::kUnavailable,
                           absl::StrCat("lock session lost: ", Pq().PQerrorMessage(conn_->conn())));
    }
    Pq().PQclear(res);
    return status;
  }

 private:
  std::unique_ptr<PgConnection> conn_;
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string conninfo, DatabaseOptions options)
      : conninfo_(std::move(conninfo)), options_(options) {}

  absl::Status Open() {
    for (int i = 0; i < std::max(1, options_.pool_size); ++i) {
      ITSM_ASSIGN_OR_RETURN(auto conn, Connect());
      pool_.Add(std::move(conn));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<LockSession>> OpenLockSession(absl::Duration idle_limit) override {
    ITSM_ASSIGN_OR_RETURN(auto conn, Connect());
    if (idle_limit > absl::ZeroDuration()) {
      // Refused by a server older than 14 (no such setting): the session then has no limit.
      const std::string set =
          absl::StrCat("SET idle_session_timeout = ",
                       std::max<int64_t>(1, absl::ToInt64Milliseconds(idle_limit)));
      Pq().PQclear(Pq().PQexec(conn->conn(), set.c_str()));
    }
    return std::unique_ptr<LockSession>(std::make_unique<PgLockSession>(std::move(conn)));
  }

  absl::StatusOr<std::unique_ptr<Transaction>> Begin(TransactionMode mode) override {
    // A pooled connection the server closed (a restart, a failover) is found dead only when
    // used, and BEGIN is its first use: nothing has run, so the transaction ends (its connection
    // reset on the way back to the pool) and begins again, on each pooled connection at most once.
    // A server that is really down fails each reset at once.
    for (int attempt = 0;; ++attempt) {
      ITSM_ASSIGN_OR_RETURN(auto conn, pool_.Acquire(absl::Milliseconds(options_.busy_timeout_ms)));
      if (Pq().PQstatus(conn->conn()) != CONNECTION_OK) conn->Reset();
      PGconn* raw = conn->conn();
      auto txn = std::make_unique<PgTransaction>(&pool_, std::move(conn));
      absl::Status begun = txn->Begin(mode);
      if (begun.ok()) return std::unique_ptr<Transaction>(std::move(txn));
      const bool found_dead = Pq().PQstatus(raw) != CONNECTION_OK;
      if (!found_dead || attempt >= options_.pool_size) return begun;
    }
  }

  // A read waits on the network: never on a thread that must not block.
  std::unique_ptr<Transaction> BeginReadWithoutWaiting(ReadBudget*) override { return nullptr; }
  Dialect dialect() const override { return Dialect::kPostgres; }

  std::string DisplayUrl() const override { return RedactPassword(conninfo_); }

 private:
  absl::StatusOr<std::unique_ptr<PgConnection>> Connect() {
    PGconn* conn = Pq().PQconnectdb(conninfo_.c_str());
    auto owned = std::make_unique<PgConnection>(conn);
    if (Pq().PQstatus(conn) != CONNECTION_OK) {
      // libpq's message may quote the connection string whole (a URI it cannot parse).
      return absl::UnavailableError(
          absl::StrCat("cannot connect to PostgreSQL ", DisplayUrl(), ": ",
                       RedactConnectionError(Pq().PQerrorMessage(conn), conninfo_)));
    }
    // Keep NOTICE chatter (e.g. "relation already exists, skipping") out of our logs.
    Pq().PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    return owned;
  }

  std::string conninfo_;
  DatabaseOptions options_;
  ConnectionPool<PgConnection> pool_;
};

}  // namespace

std::string RedactPassword(const std::string& conninfo, std::vector<std::string>* secrets) {
  std::string shown = conninfo;
  // URI form: postgresql://user:secret@host/db. Up to the last "@" before the query: a password
  // may hold an "@" its writer did not percent-encode.
  if (size_t scheme = shown.find("://"); scheme != std::string::npos) {
    const size_t query = shown.find('?', scheme + 3);
    const size_t at = shown.rfind('@', query == std::string::npos ? std::string::npos : query);
    const size_t colon = shown.find(':', scheme + 3);
    if (at != std::string::npos && at > scheme && colon != std::string::npos && colon < at) {
      if (secrets != nullptr) secrets->push_back(shown.substr(colon + 1, at - colon - 1));
      shown.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // Keyword form (password=secret, password = 'with spaces') and URI parameters (&password=).
  constexpr std::string_view kKey = "password";
  for (size_t pos = shown.find(kKey); pos != std::string::npos; pos = shown.find(kKey, pos + 1)) {
    size_t start = shown.find_first_not_of(' ', pos + kKey.size());
    if (start == std::string::npos || shown[start] != '=') continue;
    start = shown.find_first_not_of(' ', start + 1);
    if (start == std::string::npos) break;
    size_t end = start;
    if (shown[start] == '\'') {
      // Quoted: up to the closing quote; a backslash escapes the next character.
      for (end = start + 1; end < shown.size() && shown[end] != '\''; ++end) {
        if (shown[end] == '\\') ++end;
      }
      end = std::min(end + 1, shown.size());
    } else {
      end = shown.find_first_of(" &", start);
      if (end == std::string::npos) end = shown.size();
    }
    if (secrets != nullptr) secrets->push_back(shown.substr(start, end - start));
    shown.replace(start, end - start, "***");
  }
  return shown;
}

std::string RedactConnectionError(const std::string& message, const std::string& conninfo) {
  std::vector<std::string> secrets;
  const std::string shown = RedactPassword(conninfo, &secrets);
  std::string out = absl::StrReplaceAll(message, {{conninfo, shown}});
  // libpq may quote a part of the password as something else (with an unencoded "@", what
  // follows it is taken for the host): every piece of it goes too.
  for (const std::string& secret : secrets) {
    for (absl::string_view piece : absl::StrSplit(secret, absl::ByAnyChar("@/:'"))) {
      if (piece.size() >= 3) out = absl::StrReplaceAll(out, {{piece, "***"}});
    }
  }
  return RedactPassword(out);
}

absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo,
                                                       const DatabaseOptions& options) {
  ITSM_RETURN_IF_ERROR(LoadLibpq().status());
  auto db = std::make_unique<PostgresDatabase>(conninfo, options);
  ITSM_RETURN_IF_ERROR(db->Open());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace itsm::storage::internal
