// A service's own database, wired into the runtime: opened from the runtime's configuration
// (database_url, or the SQLite file <data_dir>/<service>.db; database_pool_size;
// sqlite_synchronous), migrated, and its group commits measured. Kept apart from libs/runtime so
// that a service without a database (the SLA timer) links neither SQLite nor libpq.
//
//   runtime::ServiceRuntime rt(argc, argv, {"incident", 50051, 9151});
//   auto db = servicedb::OpenDatabaseOrExit(rt, IncidentRepository::Schema());
//   storage::GroupCommitter committer(*db);
//   servicedb::ObserveGroupCommits(committer, rt.metrics());
//   ...
//   rt.OnShutdown("database", [&] { db.reset(); });  // registered first: closed last
#ifndef ITSM_SERVICEDB_SERVICE_DATABASE_H_
#define ITSM_SERVICEDB_SERVICE_DATABASE_H_

#include <memory>
#include <vector>

#include "itsm/runtime/service_runtime.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "itsm/storage/migrations.h"
#include "prometheus/registry.h"

namespace itsm::servicedb {

// Opens the configured database and applies each component's migrations; exits with code 1 and
// a clear log line when the database is unreachable or a migration fails (code 2 for a bad
// sqlite_synchronous value).
std::unique_ptr<storage::Database> OpenDatabaseOrExit(
    runtime::ServiceRuntime& rt, const std::vector<storage::SchemaComponent>& components);

// Records every group-commit batch of `committer`:
//   itsm_storage_group_commit_units (histogram: units per transaction)
//   itsm_storage_group_commit_seconds (histogram: BEGIN to end of COMMIT, fsync included)
void ObserveGroupCommits(storage::GroupCommitter& committer, prometheus::Registry& registry);

}  // namespace itsm::servicedb

#endif  // ITSM_SERVICEDB_SERVICE_DATABASE_H_
