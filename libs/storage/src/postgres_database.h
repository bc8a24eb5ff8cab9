#ifndef ITSM_STORAGE_SRC_POSTGRES_DATABASE_H_
#define ITSM_STORAGE_SRC_POSTGRES_DATABASE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/storage/database.h"

namespace itsm::storage::internal {

// `conninfo` is any libpq connection string or URI.
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo,
                                                       const DatabaseOptions& options);

// The connection string with any password replaced by ***, for logs; what was replaced is added
// to `secrets` when given.
std::string RedactPassword(const std::string& conninfo,
                           std::vector<std::string>* secrets = nullptr);
// libpq's message about `conninfo`, with no part of its password left.
std::string RedactConnectionError(const std::string& message, const std::string& conninfo);

}  // namespace itsm::storage::internal

#endif  // ITSM_STORAGE_SRC_POSTGRES_DATABASE_H_
