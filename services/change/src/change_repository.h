// The change service's own tables: changes (with their CIs and services as index tables),
// standard change templates, windows and the change policy, plus the suite's outbox,
// idempotency keys and audit trail. Each row keeps the columns filters need and the whole record
// serialised, so records grow fields without a migration. Every method works inside the
// caller's transaction. The stores at the end are the record toolkit's RecordStore of each kind.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_REPOSITORY_H_
#define ITSM_SERVICES_CHANGE_CHANGE_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/records/audit_trail.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"
#include "services/change/src/conflict_detector.h"

namespace itsm::change {

// The states in which a change's stored conflicts are kept current by re-checks (every open
// state before REVIEW).
inline constexpr v1::ChangeState kRecheckedStates[] = {
    v1::CHANGE_STATE_NEW, v1::CHANGE_STATE_ASSESS, v1::CHANGE_STATE_AUTHORISE,
    v1::CHANGE_STATE_SCHEDULED, v1::CHANGE_STATE_IMPLEMENT};

// The states in which a change is in the schedule other changes are checked against.
inline constexpr v1::ChangeState kScheduledStates[] = {
    v1::CHANGE_STATE_AUTHORISE, v1::CHANGE_STATE_SCHEDULED, v1::CHANGE_STATE_IMPLEMENT};

inline bool InSchedule(v1::ChangeState state) {
  for (v1::ChangeState s : kScheduledStates) {
    if (s == state) return true;
  }
  return false;
}

// Whether a conflict of this kind is with another change (its other_id is a change's).
inline bool IsWithAChange(v1::ConflictKind kind) {
  return kind == v1::CONFLICT_KIND_SAME_CI || kind == v1::CONFLICT_KIND_DEPENDENT_CI ||
         kind == v1::CONFLICT_KIND_ASSIGNEE_DOUBLE_BOOKED ||
         kind == v1::CONFLICT_KIND_GROUP_DOUBLE_BOOKED;
}

struct ChangePage {
  std::vector<v1::Change> changes = {};
  std::string next_page_token;  // empty on the last page
};

struct FailureStats {
  int changes = 0;
  int failures = 0;  // FAILED or BACKED_OUT
};

// The calendar's and the conflict check's filter: scheduled slots (scheduled_slot.h)
// overlapping [start, end).
struct SlotQuery {
  absl::Time start = {};
  absl::Time end = {};
  std::vector<v1::ChangeState> states = {};  // empty: every state but CANCELLED
  std::string service_id = {};
  std::string ci_id = {};
  std::string assignment_group = {};
  int limit = 20000;
};

// What the calendar (and the conflict check, which reads the same rows) keeps of a change: every
// field but its texts (description, reason, plans, notes), tasks, links to incidents and
// problems, risk answers and factors, and the approval's levels and votes (its outcome stays).
v1::Change CalendarView(const v1::Change& change);

class ChangeRepository {
 public:
  static const std::vector<storage::Migration>& Migrations();
  static std::vector<storage::SchemaComponent> Schema();

  // Numbers the change (CHG0000001) and inserts it.
  static absl::Status Insert(storage::Transaction& txn, v1::Change& change);
  // ABORTED when the stored row is no longer at `expected_version`.
  static absl::Status Update(storage::Transaction& txn, const v1::Change& change,
                             int64_t expected_version);
  // By UUID or number. NOT_FOUND names what was looked for.
  static absl::StatusOr<v1::Change> Get(storage::Transaction& txn, const std::string& id_or_number);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry) {
    return records::AuditTrail::Append(txn, record_id, entry);
  }
  // Newest first, keyset-paginated on the change sequence.
  static absl::StatusOr<ChangePage> List(storage::Transaction& txn,
                                         const v1::ListChangesRequest& request);
  // Changes whose scheduled slot overlaps the query's range, by its start, as CalendarView
  // (from the calendar projection).
  static absl::StatusOr<std::vector<v1::Change>> InSlot(storage::Transaction& txn,
                                                        const SlotQuery& query);
  // The same, appended to `out` (a response's list) without intermediate copies.
  static absl::Status InSlotInto(storage::Transaction& txn, const SlotQuery& query,
                                 google::protobuf::RepeatedPtrField<v1::Change>& out);
  // Changes on any of `ci_ids` (other than `exclude_id`) that went to review since `since`.
  static absl::StatusOr<FailureStats> RecentOutcomes(storage::Transaction& txn,
                                                     const std::vector<std::string>& ci_ids,
                                                     const std::string& exclude_id,
                                                     absl::Time since);
  // Changes on `ci_id` being implemented (IMPLEMENT) or whose implementation ended at or after
  // `ended_since`, by number: those that may have caused an incident on it.
  static absl::StatusOr<std::vector<v1::Change>> ImplementedOn(storage::Transaction& txn,
                                                               const std::string& ci_id,
                                                               absl::Time ended_since);
  // Ids of the changes whose conflicts may involve `of` (kRecheckedStates, with a scheduled slot
  // that ends after `ending_after`): those whose slot overlaps its slot, and those whose stored
  // conflicts name it (from its slot before a move, or its state before a cancel); `of` apart. At
  // most `limit`, the first created.
  static absl::StatusOr<std::vector<std::string>> Neighbours(storage::Transaction& txn,
                                                             const v1::Change& of,
                                                             absl::Time ending_after, int limit);
  // Ids of the changes whose conflicts are re-checked (kRecheckedStates, with a scheduled slot)
  // that end after `ending_after` and name one of `ci_ids` (every such change when `ci_ids` is
  // empty): at most `limit`, the first created.
  static absl::StatusOr<std::vector<std::string>> SlottedIds(storage::Transaction& txn,
                                                             const std::vector<std::string>& ci_ids,
                                                             absl::Time ending_after, int limit);
};

// De-duplication marks of the consumed events applied (change_reactions.h): an event whose
// ce_id is marked was applied, in the transaction that stored the mark.
struct EventMarks {
  // True when the mark is new (apply the event), false when it was there (a redelivery).
  static absl::StatusOr<bool> MarkApplied(storage::Transaction& txn, const std::string& ce_id,
                                          absl::Time now);
  // Forgets marks older than `before`; how many.
  static absl::StatusOr<int64_t> Prune(storage::Transaction& txn, absl::Time before);
};

// The open major incidents by CI, projected from the incident topic.
struct MajorIncidentStore {
  // The incident's rows replaced by one per CI (none: it is not an open major incident).
  // Whether anything changed.
  static absl::StatusOr<bool> Set(storage::Transaction& txn, const std::string& incident_id,
                                  const std::string& number,
                                  const std::vector<std::string>& ci_ids);
  static absl::StatusOr<std::vector<std::string>> CisOf(storage::Transaction& txn,
                                                        const std::string& incident_id);
  // The open major incidents on any of `ci_ids`.
  static absl::StatusOr<std::vector<MajorIncidentOnCi>> On(storage::Transaction& txn,
                                                           const std::vector<std::string>& ci_ids);
};

struct TemplateStore {
  static absl::StatusOr<v1::ChangeTemplate> Get(storage::Transaction& txn,
                                                const std::string& id_or_name);
  // ALREADY_EXISTS "template.name: ..." when the name is taken.
  static absl::Status Insert(storage::Transaction& txn, v1::ChangeTemplate& tmpl);
  static absl::Status Update(storage::Transaction& txn, const v1::ChangeTemplate& tmpl,
                             int64_t expected_version);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& id,
                                  const common::v1::AuditEntry& entry) {
    return records::AuditTrail::Append(txn, id, entry);
  }
  // By name.
  static absl::StatusOr<std::vector<v1::ChangeTemplate>> List(storage::Transaction& txn,
                                                              bool include_inactive);
};

struct WindowStore {
  static absl::StatusOr<v1::ChangeWindow> Get(storage::Transaction& txn, const std::string& id);
  static absl::Status Insert(storage::Transaction& txn, v1::ChangeWindow& window);
  static absl::Status Update(storage::Transaction& txn, const v1::ChangeWindow& window,
                             int64_t expected_version);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& id,
                                  const common::v1::AuditEntry& entry) {
    return records::AuditTrail::Append(txn, id, entry);
  }
  // By name, then id.
  static absl::StatusOr<std::vector<v1::ChangeWindow>> List(storage::Transaction& txn,
                                                            bool include_inactive);
};

// Releases (REL0000001), with their changes as an index table.
struct ReleasePage {
  std::vector<v1::Release> releases = {};
  std::string next_page_token;  // empty on the last page
};

struct ReleaseStore {
  // Numbers the release and inserts it.
  static absl::Status Insert(storage::Transaction& txn, v1::Release& release);
  // ABORTED when the stored row is no longer at `expected_version`.
  static absl::Status Update(storage::Transaction& txn, const v1::Release& release,
                             int64_t expected_version);
  // By UUID or number. NOT_FOUND names what was looked for.
  static absl::StatusOr<v1::Release> Get(storage::Transaction& txn,
                                         const std::string& id_or_number);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& id,
                                  const common::v1::AuditEntry& entry) {
    return records::AuditTrail::Append(txn, id, entry);
  }
  // Newest first, keyset-paginated on the release sequence.
  static absl::StatusOr<ReleasePage> List(storage::Transaction& txn,
                                          const v1::ListReleasesRequest& request);
};

// The one policy record. Before any is stored, Get answers DefaultChangePolicy() at version 0,
// and the first Update (expected version 0) inserts it.
struct PolicyStore {
  static absl::StatusOr<v1::ChangePolicy> Get(storage::Transaction& txn,
                                              const std::string& id = "policy");
  static absl::Status Insert(storage::Transaction& txn, v1::ChangePolicy& policy);
  static absl::Status Update(storage::Transaction& txn, const v1::ChangePolicy& policy,
                             int64_t expected_version);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& id,
                                  const common::v1::AuditEntry& entry) {
    return records::AuditTrail::Append(txn, id, entry);
  }
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_REPOSITORY_H_
