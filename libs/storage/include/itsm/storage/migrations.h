// Versioned schema migrations that each component ships with its code and applies at start.
//
// A component (a service, or a library such as the outbox that owns tables) lists its migrations
// in order; ApplyMigrations runs those not yet recorded in schema_migrations, each in its own
// transaction. On PostgreSQL an advisory lock serialises replicas starting at the same moment.
// A database that holds a version newer than the code knows is refused (no silent downgrade).
#ifndef ITSM_STORAGE_MIGRATIONS_H_
#define ITSM_STORAGE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "itsm/storage/database.h"

namespace itsm::storage {

struct Migration {
  // 1, 2, 3, ... without gaps, per component.
  int version;
  std::string name;
  // The SQL script, written for SQLite. On PostgreSQL the two type spellings that differ are
  // translated (see PostgresDialectOf), unless postgres_sql is set.
  std::string sql;
  // The PostgreSQL script, only where more than those types differ (e.g. a sequence).
  std::string postgres_sql = {};
};

// SQLite's spellings in PostgreSQL's: BLOB -> BYTEA, and
// INTEGER PRIMARY KEY AUTOINCREMENT -> BIGSERIAL PRIMARY KEY.
std::string PostgresDialectOf(absl::string_view sqlite_sql);

absl::Status ApplyMigrations(Database& db, absl::string_view component,
                             const std::vector<Migration>& migrations);

// One component's migrations: a service, and each library that owns tables (the outbox, the
// record toolkit), applies its own.
struct SchemaComponent {
  std::string name;
  std::vector<Migration> migrations;
};

// A database's whole schema: the components in order (a later one may read an earlier one's
// tables, e.g. to move rows into them). The first failure stops, naming its component.
absl::Status ApplySchema(Database& db, const std::vector<SchemaComponent>& components);

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_MIGRATIONS_H_
