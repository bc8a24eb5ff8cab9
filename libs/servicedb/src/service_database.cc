#include "itsm/servicedb/service_database.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/base/ready_file.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/metrics.h"
#include "prometheus/histogram.h"

namespace itsm::servicedb {
namespace log = runtime::log;

std::unique_ptr<storage::Database> OpenDatabaseOrExit(
    runtime::ServiceRuntime& rt, const std::vector<storage::SchemaComponent>& components) {
  const runtime::Config& config = rt.config();
  storage::DatabaseOptions options;
  options.pool_size = static_cast<int>(config.GetInt("database_pool_size"));
  // An enum option: Load accepted only full or normal.
  options.sqlite_synchronous_full = config.GetString("sqlite_synchronous") == "full";
  options.sqlite_mmap_bytes = config.GetInt("sqlite_mmap_mb") << 20;
  const std::string url = config.DatabaseUrl();
  auto db = storage::OpenDatabase(url, options);
  if (!db.ok()) {
    log::Error("cannot open the database", {{"error", db.status().ToString()}});
    std::exit(1);
  }
  // While it exists, a supervisor waiting for the ready file does not count the time against
  // its start timeout: a migration may copy a large table.
  const std::string ready_file = config.GetString("ready_file");
  const std::string migrating_file = ready_file.empty() ? "" : base::MigratingFileOf(ready_file);
  if (!migrating_file.empty()) std::ofstream(migrating_file) << "migrating\n";
  const absl::Time migration_start = absl::Now();
  absl::Status migrated = storage::ApplySchema(**db, components);
  if (!migrating_file.empty()) std::remove(migrating_file.c_str());
  if (!migrated.ok()) {
    log::Error("cannot migrate the database", {{"error", migrated.ToString()}});
    std::exit(1);
  }
  if (const absl::Duration took = absl::Now() - migration_start; took > absl::Seconds(1)) {
    log::Info("database migrated", {{"seconds", absl::StrCat(absl::ToDoubleSeconds(took))}});
  }
  log::Info("database ready", {{"url", (*db)->DisplayUrl()}});
  return *std::move(db);
}

void ObserveGroupCommits(storage::GroupCommitter& committer, prometheus::Registry& registry) {
  auto& units =
      prometheus::BuildHistogram()
          .Name("itsm_storage_group_commit_units")
          .Help("Units of work (e.g. creates) committed per transaction.")
          .Register(registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
  auto& seconds = prometheus::BuildHistogram()
                      .Name("itsm_storage_group_commit_seconds")
                      .Help("Time of one group-commit transaction, BEGIN to end of COMMIT.")
                      .Register(registry)
                      .Add({}, runtime::LatencyBuckets());
  auto& ran_again = prometheus::BuildCounter()
                        .Name("itsm_storage_group_commit_isolated_reruns_total")
                        .Help(
                            "Group-commit transactions run a second time with a savepoint per "
                            "unit, because a unit failed after writing.")
                        .Register(registry)
                        .Add({});
  committer.SetBatchObserver(
      [&units, &seconds, &ran_again](size_t n, absl::Duration elapsed, bool ran_again_isolated) {
        units.Observe(static_cast<double>(n));
        seconds.Observe(absl::ToDoubleSeconds(elapsed));
        if (ran_again_isolated) ran_again.Increment();
      });
}

}  // namespace itsm::servicedb
