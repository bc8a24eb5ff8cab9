#include "itsm/storage/migrations.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "itsm/base/status_macros.h"

namespace itsm::storage {
namespace {

constexpr absl::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL,"
    " applied_at_us BIGINT NOT NULL, PRIMARY KEY (component, version))";

absl::Status LockForMigrations(Transaction& txn) {
  if (txn.dialect() != Dialect::kPostgres) return absl::OkStatus();  // BEGIN IMMEDIATE suffices
  // Held until the transaction ends; a replica starting at the same moment waits here.
  return txn.Query("SELECT pg_advisory_xact_lock(7318029)", {}).status();
}

}  // namespace

std::string PostgresDialectOf(absl::string_view sqlite_sql) {
  std::string out = absl::StrReplaceAll(
      sqlite_sql, {{"INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"}});
  // BLOB as a whole word only (not inside a name such as blob_size).
  for (size_t pos = out.find("BLOB"); pos != std::string::npos; pos = out.find("BLOB", pos + 5)) {
    const bool word_start = pos == 0 || !(absl::ascii_isalnum(out[pos - 1]) || out[pos - 1] == '_');
    const bool word_end =
        pos + 4 == out.size() || !(absl::ascii_isalnum(out[pos + 4]) || out[pos + 4] == '_');
    if (word_start && word_end) out.replace(pos, 4, "BYTEA");
  }
  return out;
}

absl::Status ApplyMigrations(Database& db, absl::string_view component,
                             const std::vector<Migration>& migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InternalError(absl::StrCat("migrations of ", component,
                                              " must be numbered 1, 2, 3...; entry ", i,
                                              " has version ", migrations[i].version));
    }
  }
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(TransactionMode::kReadWrite));
    ITSM_RETURN_IF_ERROR(LockForMigrations(*txn));
    ITSM_RETURN_IF_ERROR(txn->ExecuteScript(kCreateTable));
    ITSM_RETURN_IF_ERROR(txn->Commit());
  }
  for (const Migration& m : migrations) {
    ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(TransactionMode::kReadWrite));
    ITSM_RETURN_IF_ERROR(LockForMigrations(*txn));
    ITSM_ASSIGN_OR_RETURN(
        ResultSet applied,
        txn->Query("SELECT MAX(version) FROM schema_migrations WHERE component = $1", {component}));
    const int64_t current = applied.row(0)[0].AsInt();
    if (current >= m.version) continue;
    const std::string script = db.dialect() != Dialect::kPostgres ? m.sql
                               : !m.postgres_sql.empty()          ? m.postgres_sql
                                                                  : PostgresDialectOf(m.sql);
    absl::Status status = txn->ExecuteScript(script);
    if (!status.ok()) {
      return absl::InternalError(absl::StrCat("migration ", component, " ", m.version, " (", m.name,
                                              ") failed: ", status.message()));
    }
    ITSM_RETURN_IF_ERROR(
        txn->Execute("INSERT INTO schema_migrations(component, version, name, applied_at_us) "
                     "VALUES ($1, $2, $3, $4)",
                     {component, m.version, m.name, absl::ToUnixMicros(absl::Now())})
            .status());
    ITSM_RETURN_IF_ERROR(txn->Commit());
  }
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(
      ResultSet latest,
      txn->Query("SELECT MAX(version) FROM schema_migrations WHERE component = $1", {component}));
  const int64_t in_db = latest.row(0)[0].AsInt();
  if (in_db > static_cast<int64_t>(migrations.size())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database schema of ", component, " is at version ", in_db,
        " but this binary knows only ", migrations.size(), ": refusing to run an older binary"));
  }
  return absl::OkStatus();
}

absl::Status ApplySchema(Database& db, const std::vector<SchemaComponent>& components) {
  for (const auto& component : components) {
    absl::Status status = ApplyMigrations(db, component.name, component.migrations);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("component ", component.name, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace itsm::storage
