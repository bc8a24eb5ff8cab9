// Calendars and SLA definitions in the service's own database. Each table keeps the columns that
// lookups need plus the whole record as serialised protobuf; every version of every record is
// kept in a *_versions table (a clock can be recomputed against the version it ran under).
// Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_SLA_SLA_REPOSITORY_H_
#define ITSM_SERVICES_SLA_SLA_REPOSITORY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/records/audit_trail.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::sla {

// What a compliance report reads of a clock (the columns of sla_clocks).
struct ClockFacts {
  int64_t start_us = 0;
  std::string service;
  std::string sla_definition_id;
  std::string sla_definition_name;  // empty unless ClockFilter::with_definition_names
  int priority = 0;
  int clock_kind = 0;
  int stage = 0;
  bool breached = false;
  int64_t business_s = 0;
  int64_t event_us = 0;
};

// Clocks that started in [from_us, to_us); empty or 0 fields do not filter.
struct ClockFilter {
  int64_t from_us = INT64_MIN;
  int64_t to_us = INT64_MAX;
  std::string service = {};
  int priority = 0;
  std::string sla_definition_id = {};
  int agreement_kind = 0;
  bool with_definition_names = false;
};

// One clock event as applied to the SLA history (table sla_clock_events).
struct StoredClockEvent {
  std::string clock_id;
  // 1, 2, ... per clock, in the order applied.
  int64_t seq = 0;
  std::string ce_id;
  std::string incident_id;
  int64_t event_us = 0;
  // The CloudEvents type, e.g. "itsm.sla.v1.SlaClockPaused", and the event as published.
  std::string event_type;
  std::string data;
};

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
  // By id or name; version 0 is the current one. NOT_FOUND "<field>: no calendar ..." (or
  // "version: ..." for a version it never had).
  static absl::StatusOr<v1::Calendar> GetCalendar(storage::Transaction& txn,
                                                  const std::string& id_or_name,
                                                  int64_t version = 0,
                                                  const char* field = "calendar_id");
  // Ordered by name; one more than page.size when another page exists.
  static absl::StatusOr<std::vector<v1::Calendar>> ListCalendars(storage::Transaction& txn,
                                                                 const Page& page);
  // Replaces the row at `expected_version` with `calendar` (its version already incremented).
  // ABORTED when the stored version is not `expected_version`.
  static absl::Status UpdateCalendar(storage::Transaction& txn, const v1::Calendar& calendar,
                                     int64_t expected_version);
  static absl::Status DeleteCalendar(storage::Transaction& txn, const std::string& id);

  // Serialises the service's writers (every calendar and definition write takes it first): a row
  // lock that works the same on SQLite and PostgreSQL, held until the writer's batch commits.
  // The overlap check of definitions reads then writes, and a calendar deleted meanwhile must not
  // be picked up by a definition; taking this one lock before any other also gives every write the
  // same lock order, so two replicas' batches cannot deadlock on each other's rows.
  static absl::Status SerialiseWrites(storage::Transaction& txn);
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

  // The SLA history (docs/sla.md section 7). Stores a clock's state unless the stored one is
  // newer (by event_time); true when it was written.
  static absl::StatusOr<bool> UpsertClock(storage::Transaction& txn, const v1::SlaClock& clock);
  // The stored state of one clock; nullopt if there is none.
  static absl::StatusOr<std::optional<v1::SlaClock>> FindClock(storage::Transaction& txn,
                                                               const std::string& clock_id);
  // Ordered by clock id.
  static absl::StatusOr<std::vector<v1::SlaClock>> ClocksOfIncident(storage::Transaction& txn,
                                                                    const std::string& incident_id);
  static absl::StatusOr<int64_t> CountClocks(storage::Transaction& txn);
  // Calls `visit` for every clock matching `filter`, in (start time, clock id) order, reading
  // the table in bounded pages.
  static absl::Status ScanClocks(storage::Transaction& txn, const ClockFilter& filter,
                                 const std::function<void(const ClockFacts&)>& visit);
  // Each clock's timeline: at most this many events per clock, the latest (decision in
  // docs/decisions.md; more takes 250 holds and resumes of one record).
  static constexpr int64_t kMaxEventsPerClock = 500;
  // Appends an applied clock event (`seq` is assigned here); false when its ce_id is stored
  // already, or, with `only_if_unknown`, when the clock has events already. Beyond
  // kMaxEventsPerClock the clock's oldest events are deleted.
  static absl::StatusOr<bool> AppendClockEvent(storage::Transaction& txn,
                                               const StoredClockEvent& event, bool only_if_unknown);
  // The record's clock events, by clock id, then in order (event time, then as applied).
  static absl::StatusOr<std::vector<StoredClockEvent>> ClockEvents(storage::Transaction& txn,
                                                                   const std::string& incident_id);
  // The position of the consumer of itsm.sla.v1 (the next offset to apply), written in the
  // transaction of the clocks it applied; per topic and partition, for one Kafka cluster.
  static absl::Status StorePosition(storage::Transaction& txn, const std::string& topic,
                                    int32_t partition, const std::string& cluster_id,
                                    int64_t next_offset);
  // The positions stored for `cluster_id` (positions of another cluster are not returned).
  static absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> Positions(
      storage::Transaction& txn, const std::string& cluster_id);
};

// The record toolkit's store interface (records::RecordStore) of each record kind, for
// records::UnitOfWork.
struct CalendarStore {
  static absl::StatusOr<v1::Calendar> Get(storage::Transaction& txn, const std::string& id) {
    return SlaRepository::GetCalendar(txn, id, 0, "calendar.id");
  }
  static absl::Status Insert(storage::Transaction& txn, v1::Calendar& calendar) {
    return SlaRepository::InsertCalendar(txn, calendar);
  }
  static absl::Status Update(storage::Transaction& txn, const v1::Calendar& calendar,
                             int64_t expected_version) {
    return SlaRepository::UpdateCalendar(txn, calendar, expected_version);
  }
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& id,
                                  const common::v1::AuditEntry& entry) {
    return records::AuditTrail::Append(txn, id, entry);
  }
};

struct DefinitionStore {
  static absl::StatusOr<v1::SlaDefinition> Get(storage::Transaction& txn, const std::string& id) {
    return SlaRepository::GetDefinition(txn, id);
  }
  static absl::Status Insert(storage::Transaction& txn, v1::SlaDefinition& definition) {
    return SlaRepository::InsertDefinition(txn, definition);
  }
  static absl::Status Update(storage::Transaction& txn, const v1::SlaDefinition& definition,
                             int64_t expected_version) {
    return SlaRepository::UpdateDefinition(txn, definition, expected_version);
  }
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& id,
                                  const common::v1::AuditEntry& entry) {
    return records::AuditTrail::Append(txn, id, entry);
  }
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_REPOSITORY_H_
