#include "itsm/testing/test_env.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "itsm/base/status_macros.h"
#include "itsm/supervisor/backends.h"

namespace itsm::testing {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(base && *base ? base : "/tmp", "/itsm-test-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "/tmp/itsm-test-fallback";
  return pattern;
}

// Lives until the process exits: the destructor of this static stops the cluster and removes it.
struct SharedPostgres {
  ScratchDir dir;
  std::unique_ptr<supervisor::PostgresServer> server;
  absl::Status status = absl::OkStatus();
  ~SharedPostgres() { server.reset(); }
};

SharedPostgres& Postgres() {
  static SharedPostgres* shared = [] {
    static SharedPostgres pg;
    auto server = supervisor::PostgresServer::Start(pg.dir.path() + "/pg");
    if (server.ok()) {
      pg.server = std::move(*server);
    } else {
      pg.status = server.status();
    }
    return &pg;
  }();
  return *shared;
}

}  // namespace

ScratchDir::ScratchDir() : path_(MakeTempDir()) {}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string BackendName(Backend b) { return b == Backend::kSqlite ? "Sqlite" : "Postgres"; }

absl::StatusOr<std::string> NewDatabaseUrl(Backend backend) {
  static std::atomic<int> counter{0};
  const int n = counter++;
  if (backend == Backend::kSqlite) {
    static ScratchDir sqlite_dir;
    return absl::StrCat("sqlite://", sqlite_dir.path(), "/db", n, ".sqlite");
  }
  SharedPostgres& pg = Postgres();
  if (!pg.status.ok()) return pg.status;
  return pg.server->CreateDatabase(absl::StrCat("test", n));
}

absl::StatusOr<std::unique_ptr<storage::Database>> NewDatabase(
    Backend backend, const storage::DatabaseOptions& options) {
  ITSM_ASSIGN_OR_RETURN(std::string url, NewDatabaseUrl(backend));
  return storage::OpenDatabase(url, options);
}

namespace {

absl::Status RunScript(storage::Database& db, const std::string& sql) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadWrite));
  ITSM_RETURN_IF_ERROR(txn->ExecuteScript(sql));
  return txn->Commit();
}

// `text` as an SQL string literal (a trigger's body cannot take parameters).
std::string Quoted(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
}

}  // namespace

absl::Status AddWriteFault(storage::Database& db, const WriteFault& f) {
  const std::string message = Quoted(absl::StrCat("write fault ", f.name, ": ", f.table, ".",
                                                  f.column, " = ", f.value, " refused"));
  if (db.dialect() == storage::Dialect::kSqlite) {
    if (f.sqlstate.substr(0, 2) != "23") {
      return absl::InvalidArgumentError("SQLite triggers fail as a constraint violation only");
    }
    std::string sql;
    for (const char* op : {"INSERT", "UPDATE"}) {
      absl::StrAppend(&sql, "CREATE TRIGGER ", f.name, "_", op, " BEFORE ", op, " ON ", f.table,
                      " WHEN NEW.", f.column, " = ", Quoted(f.value), " BEGIN SELECT RAISE(ABORT, ",
                      message, "); END;");
    }
    return RunScript(db, sql);
  }
  return RunScript(
      db, absl::StrCat("CREATE FUNCTION ", f.name,
                       "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                       " IF NEW.",
                       f.column, "::text = ", Quoted(f.value), " THEN RAISE EXCEPTION ", message,
                       " USING ERRCODE = ", Quoted(f.sqlstate),
                       "; END IF; RETURN NEW; END $$; CREATE TRIGGER ", f.name,
                       " BEFORE INSERT OR UPDATE ON ", f.table, " FOR EACH ROW EXECUTE FUNCTION ",
                       f.name, "();"));
}

absl::Status RemoveWriteFault(storage::Database& db, const WriteFault& f) {
  if (db.dialect() == storage::Dialect::kSqlite) {
    return RunScript(
        db, absl::StrCat("DROP TRIGGER ", f.name, "_INSERT; DROP TRIGGER ", f.name, "_UPDATE;"));
  }
  return RunScript(db, absl::StrCat("DROP TRIGGER ", f.name, " ON ", f.table, "; DROP FUNCTION ",
                                    f.name, "();"));
}

absl::StatusOr<std::unique_ptr<storage::Transaction>> MakeWritesTransient(
    storage::Database& db, WriteFault serialization_failure) {
  if (db.dialect() == storage::Dialect::kSqlite) {
    return db.Begin(storage::TransactionMode::kReadWrite);
  }
  serialization_failure.sqlstate = "40001";
  ITSM_RETURN_IF_ERROR(AddWriteFault(db, serialization_failure));
  return nullptr;
}

}  // namespace itsm::testing
