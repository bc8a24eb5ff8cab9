// Calendars and SLA definitions in the service's own database. Each table keeps the columns that
// lookups need plus the whole record as serialised protobuf; every version of every record is
// kept in a *_versions table (a clock can be recomputed against the version it ran under).
// Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_SLA_SLA_REPOSITORY_H_
#define ITSM_SERVICES_SLA_SLA_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::sla {

struct Page {
  int size = 50;
  // After this (name, id); empty for the first page.
  std::string after_name = {};
  std::string after_id = {};
};

// INVALID_ARGUMENT for a bad page size or a token this service did not issue.
// A page of a list in (name, id) order; `scope` is records::PageScope of the list call.
absl::StatusOr<Page> ParsePage(const std::string& scope, const common::v1::PageRequest& request);
std::string PageToken(const std::string& scope, const std::string& name, const std::string& id);

class SlaRepository {
 public:
  static const std::vector<storage::Migration>& Migrations();
  // The service database's whole schema: the outbox, the record toolkit, then these tables.
  static std::vector<storage::SchemaComponent> Schema();

  // ALREADY_EXISTS when the name is taken.
  static absl::Status InsertCalendar(storage::Transaction& txn, const v1::Calendar& calendar);
  // By id or name; version 0 is the current one. NOT_FOUND names what was looked for.
  static absl::StatusOr<v1::Calendar> GetCalendar(storage::Transaction& txn,
                                                  const std::string& id_or_name,
                                                  int64_t version = 0);
  // Ordered by name; one more than page.size when another page exists.
  static absl::StatusOr<std::vector<v1::Calendar>> ListCalendars(storage::Transaction& txn,
                                                                 const Page& page);
  // Replaces the row at `expected_version` with `calendar` (its version already incremented).
  // ABORTED when the stored version is not `expected_version`.
  static absl::Status UpdateCalendar(storage::Transaction& txn, const v1::Calendar& calendar,
                                     int64_t expected_version);
  static absl::Status DeleteCalendar(storage::Transaction& txn, const std::string& id);

  // Serialises writers of definitions (the overlap check reads then writes): a row lock that
  // works the same on SQLite and PostgreSQL.
  static absl::Status LockDefinitions(storage::Transaction& txn);
  static absl::Status InsertDefinition(storage::Transaction& txn, const v1::SlaDefinition& d);
  static absl::StatusOr<v1::SlaDefinition> GetDefinition(storage::Transaction& txn,
                                                         const std::string& id,
                                                         int64_t version = 0);
  // Every definition (retired ones too when asked), ordered by name then id.
  static absl::StatusOr<std::vector<v1::SlaDefinition>> AllDefinitions(storage::Transaction& txn,
                                                                       bool include_retired);
  static absl::Status UpdateDefinition(storage::Transaction& txn, const v1::SlaDefinition& d,
                                       int64_t expected_version);
  // Ids of definitions that are not retired and use the calendar.
  static absl::StatusOr<std::vector<std::string>> DefinitionsUsingCalendar(
      storage::Transaction& txn, const std::string& calendar_id);
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_REPOSITORY_H_
