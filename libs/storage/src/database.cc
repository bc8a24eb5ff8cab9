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
  // A misspelt scheme is shown with its password hidden; anything else not at all: a libpq
  // keyword string, or a password given where the URL belongs, is all secret as far as we know.
  if (absl::StrContains(url, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("database url: expected sqlite://<path> or postgresql://..., got \"",
                     internal::RedactPassword(std::string(url)), "\""));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("database url: expected sqlite://<path> or postgresql://...; the value given (",
                   url.size(), " characters, not shown: it may hold a password) is neither"));
}

}  // namespace itsm::storage
