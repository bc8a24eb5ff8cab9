#include "itsm/testing/test_env.h"

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
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

}  // namespace itsm::testing
