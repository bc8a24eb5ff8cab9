#include "itsm/storage/database.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/postgres_database.h"
#include "src/sqlite_database.h"

namespace itsm::storage {

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(absl::string_view url,
                                                       const DatabaseOptions& options) {
  if (url == "sqlite::memory:") return internal::OpenSqlite(":memory:", options);
  if (absl::StartsWith(url, "sqlite://")) {
    std::string path(url.substr(absl::string_view("sqlite://").size()));
    if (path.empty()) return absl::InvalidArgumentError("database url: sqlite:// needs a path");
    return internal::OpenSqlite(path, options);
  }
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    return internal::OpenPostgres(std::string(url), options);
  }
  // Shown with any password hidden: a misspelt scheme or a libpq keyword string may carry one.
  return absl::InvalidArgumentError(
      absl::StrCat("database url: expected sqlite://<path> or postgresql://..., got \"",
                   internal::RedactPassword(std::string(url)), "\""));
}

}  // namespace itsm::storage
