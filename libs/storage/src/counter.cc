#include "itsm/storage/counter.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"

namespace itsm::storage {

absl::StatusOr<int64_t> IncrementCounter(Transaction& txn, absl::string_view table,
                                         absl::string_view column, absl::string_view name) {
  const std::string update =
      absl::StrCat("UPDATE ", table, " SET ", column, " = ", column, " + 1 WHERE name = $1");
  ResultSet rows;
  if (txn.dialect() == Dialect::kPostgres) {
    ITSM_ASSIGN_OR_RETURN(rows, txn.Query(absl::StrCat(update, " RETURNING ", column), {name}));
  } else {
    ITSM_ASSIGN_OR_RETURN(const int64_t changed, txn.Execute(update, {name}));
    if (changed == 1) {
      ITSM_ASSIGN_OR_RETURN(
          rows,
          txn.Query(absl::StrCat("SELECT ", column, " FROM ", table, " WHERE name = $1"), {name}));
    }
  }
  if (rows.empty()) {
    return absl::InternalError(absl::StrCat("no counter row \"", name, "\" in ", table));
  }
  return rows.row(0)[0].AsInt();
}

}  // namespace itsm::storage
