// A record's number is its kind's prefix and its seq, at least seven digits ("INC0001234"):
// people quote numbers, integrations keep ids, and every lookup accepts either.
#ifndef ITSM_SERVICES_INCIDENT_RECORD_NUMBER_H_
#define ITSM_SERVICES_INCIDENT_RECORD_NUMBER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "itsm/storage/database.h"

namespace itsm::incident {

// The kinds of record the service numbers, each with its table (never user text in SQL).
struct NumberedTable {
  const char* table;   // "incidents"
  const char* prefix;  // "INC"
};
inline constexpr NumberedTable kIncidentNumbers{"incidents", "INC"};
inline constexpr NumberedTable kProblemNumbers{"problems", "PRB"};
inline constexpr NumberedTable kRequestNumbers{"service_requests", "REQ"};

std::string RecordNumber(const NumberedTable& kind, int64_t seq);

// The stored `data` (or other `columns`) of the record `id_or_number` names: zero rows or one. A
// number is looked up by its seq (on SQLite the incidents' rowid) and an id by its unique index:
// one b-tree descent fewer than `id = $1 OR number = $1`, which SQLite answers by searching both
// indexes.
absl::StatusOr<storage::ResultSet> SelectRecordData(storage::Transaction& txn,
                                                    const NumberedTable& kind,
                                                    const std::string& id_or_number,
                                                    absl::string_view columns = "data");

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_RECORD_NUMBER_H_
