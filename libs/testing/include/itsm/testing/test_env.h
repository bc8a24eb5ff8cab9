// Helpers for tests: scratch folders removed afterwards, and one throwaway PostgreSQL cluster per
// test binary (started on first use, stopped at exit) so that storage tests run on both backends.
#ifndef ITSM_TESTING_TEST_ENV_H_
#define ITSM_TESTING_TEST_ENV_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "itsm/storage/database.h"

namespace itsm::testing {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

enum class Backend { kSqlite, kPostgres };
std::string BackendName(Backend b);

// A database URL on `backend` that no other test uses: a new SQLite file in a scratch folder
// kept until the binary exits, or a new database in the shared PostgreSQL cluster.
absl::StatusOr<std::string> NewDatabaseUrl(Backend backend);

// NewDatabaseUrl + OpenDatabase.
absl::StatusOr<std::unique_ptr<storage::Database>> NewDatabase(
    Backend backend, const storage::DatabaseOptions& options = {});

// A database that refuses one row, for tests of what a writer does when the database itself
// says no: a trigger on `table` fails every INSERT and UPDATE whose `column` equals `value`,
// with a message naming the fault. SQLite fails as a constraint would (RAISE(ABORT): a
// constraint violation); PostgreSQL raises `sqlstate`: by default a check violation, or e.g.
// "40001" to fail as a serialization failure does (a transient error, retried).
struct WriteFault {
  std::string name;  // of the trigger: a plain identifier, unique in the database
  std::string table;
  std::string column;
  std::string value;
  std::string sqlstate = "23514";
};
// INVALID_ARGUMENT for a sqlstate other than a constraint's (class 23) on SQLite, whose
// triggers can only fail that way.
absl::Status AddWriteFault(storage::Database& db, const WriteFault& fault);
absl::Status RemoveWriteFault(storage::Database& db, const WriteFault& fault);
// Makes writes fail as a transient error does, until the answer is destroyed (SQLite) or the
// fault removed (PostgreSQL): on SQLite every write of another connection (this one holds the
// write lock: busy); on PostgreSQL the writes of `serialization_failure`'s row (a trigger
// raising 40001, whatever its sqlstate says).
absl::StatusOr<std::unique_ptr<storage::Transaction>> MakeWritesTransient(
    storage::Database& db, WriteFault serialization_failure);

}  // namespace itsm::testing

#endif  // ITSM_TESTING_TEST_ENV_H_
