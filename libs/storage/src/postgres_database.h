#ifndef ITSM_STORAGE_SRC_POSTGRES_DATABASE_H_
#define ITSM_STORAGE_SRC_POSTGRES_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "itsm/storage/database.h"

namespace itsm::storage::internal {

// `conninfo` is any libpq connection string or URI.
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo,
                                                       const DatabaseOptions& options);

// The connection string with any password replaced by ***, for logs.
std::string RedactPassword(const std::string& conninfo);

}  // namespace itsm::storage::internal

#endif  // ITSM_STORAGE_SRC_POSTGRES_DATABASE_H_
