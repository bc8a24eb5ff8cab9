// A counter kept in one row of a table (record numbers, a graph's version), taken inside the
// transaction that uses its value, so a rolled-back transaction leaves the counter as it was.
//
//   ITSM_ASSIGN_OR_RETURN(int64_t seq,
//       storage::IncrementCounter(txn, "change_counters", "value", "change"));
#ifndef ITSM_STORAGE_COUNTER_H_
#define ITSM_STORAGE_COUNTER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "itsm/storage/database.h"

namespace itsm::storage {

// Adds one to the integer `column` of the row of `table` whose `name` column is `name`, and
// returns the new value. `table` and `column` are the code's identifiers, never caller text.
// INTERNAL when the row does not exist (a migration creates it).
//
// On SQLite an UPDATE and then a SELECT: `UPDATE ... RETURNING` makes SQLite open and free a
// temporary b-tree for the returned rows on every run (its pager, its page buffers and
// malloc_consolidate), 8 % of the incident writer's CPU at 4 creates in flight. PostgreSQL runs
// one `UPDATE ... RETURNING`, one round trip.
absl::StatusOr<int64_t> IncrementCounter(Transaction& txn, absl::string_view table,
                                         absl::string_view column, absl::string_view name);

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_COUNTER_H_
