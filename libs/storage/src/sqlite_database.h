#ifndef ITSM_STORAGE_SRC_SQLITE_DATABASE_H_
#define ITSM_STORAGE_SRC_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "itsm/storage/database.h"

namespace itsm::storage::internal {

// `path` is a file path or ":memory:" (one shared in-memory database for the whole pool).
absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     const DatabaseOptions& options);

// Rewrites $1, $2, ... as ?1, ?2, ...: SQLite would read "$1" as a *named* parameter numbered by
// order of first appearance, which breaks statements that use $2 before $1.
std::string RewritePlaceholdersForSqlite(absl::string_view sql);

}  // namespace itsm::storage::internal

#endif  // ITSM_STORAGE_SRC_SQLITE_DATABASE_H_
