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

}  // namespace itsm::testing

#endif  // ITSM_TESTING_TEST_ENV_H_
