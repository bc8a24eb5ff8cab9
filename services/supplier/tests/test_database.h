// The supplier service's tests' database: a fresh one on the backend asked for, with the whole
// schema applied.
#ifndef ITSM_SERVICES_SUPPLIER_TESTS_TEST_DATABASE_H_
#define ITSM_SERVICES_SUPPLIER_TESTS_TEST_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"
#include "services/supplier/src/supplier_repository.h"

namespace itsm::supplier::testing {

inline absl::StatusOr<std::unique_ptr<storage::Database>> NewSupplierDatabase(
    itsm::testing::Backend backend) {
  ITSM_ASSIGN_OR_RETURN(std::unique_ptr<storage::Database> db, itsm::testing::NewDatabase(backend));
  ITSM_RETURN_IF_ERROR(storage::ApplySchema(*db, SupplierRepository::Schema()));
  return db;
}

// The same, by URL: a test that opens the database twice (two replicas) opens it with this.
inline absl::StatusOr<std::string> NewSupplierDatabaseUrl(itsm::testing::Backend backend) {
  ITSM_ASSIGN_OR_RETURN(std::string url, itsm::testing::NewDatabaseUrl(backend));
  ITSM_ASSIGN_OR_RETURN(std::unique_ptr<storage::Database> db, storage::OpenDatabase(url));
  ITSM_RETURN_IF_ERROR(storage::ApplySchema(*db, SupplierRepository::Schema()));
  return url;
}

}  // namespace itsm::supplier::testing

#endif  // ITSM_SERVICES_SUPPLIER_TESTS_TEST_DATABASE_H_
