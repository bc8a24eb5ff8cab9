// The write path of one record kind, inside one transaction (the group committer's unit):
//
//   load the versioned record → domain operation → save with a version check → audit entry →
//   outbox events
//
// so that a change, its history and its events are stored together or not at all. The domain
// operation is a pure function of the stored record (it returns a Change); the store is the
// record kind's repository, which provides, as static functions:
//
//   absl::StatusOr<Record> Get(storage::Transaction&, const std::string& id_or_number);
//   absl::Status Insert(storage::Transaction&, Record&);                  // numbers it
//   absl::Status Update(storage::Transaction&, const Record&, int64_t expected_version);
//   absl::Status AppendAudit(storage::Transaction&, const std::string& record_id,
//                            const common::v1::AuditEntry&);
//
//   UnitOfWork<v1::Incident, IncidentRepository> work(txn, caller, kIncidentEvents);
//   ITSM_ASSIGN_OR_RETURN(v1::Incident after, work.Modify(request.id(), [&](const auto& stored) {
//     return rules.Transition(stored, request, caller.actor);
//   }));
#ifndef ITSM_RECORDS_UNIT_OF_WORK_H_
#define ITSM_RECORDS_UNIT_OF_WORK_H_

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "itsm/base/caller.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/record_change.h"
#include "itsm/storage/database.h"

namespace itsm::records {

template <typename Store, typename Record>
concept RecordStore = requires(storage::Transaction& txn, Record& record, const std::string& id,
                               const common::v1::AuditEntry& entry) {
  { Store::Get(txn, id) } -> std::convertible_to<absl::StatusOr<Record>>;
  { Store::Insert(txn, record) } -> std::convertible_to<absl::Status>;
  { Store::Update(txn, record, int64_t{}) } -> std::convertible_to<absl::Status>;
  { Store::AppendAudit(txn, id, entry) } -> std::convertible_to<absl::Status>;
};

// A create call's idempotency: the full gRPC method, the caller's key (empty: none) and the
// request's fingerprint (base::MessageFingerprint; empty without a key).
struct IdempotentCall {
  std::string method;
  std::string key;
  std::string fingerprint;
};
// The call of `request`, whose key is its `idempotency_key` field (none when it has no such
// field).
IdempotentCall IdempotentCallOf(std::string method, const google::protobuf::Message& request);

template <typename Record, typename Store>
requires RecordStore<Store, Record>
class UnitOfWork {
 public:
  // How many times Modify loads and applies before a record that keeps changing under it is
  // reported as changed concurrently.
  static constexpr int kModifyAttempts = 5;

  UnitOfWork(storage::Transaction& txn, const base::Caller& caller, const EventStream& events)
      : txn_(txn), caller_(caller), events_(events) {}

  storage::Transaction& txn() { return txn_; }
  const base::Caller& caller() const { return caller_; }

  absl::StatusOr<Record> Load(const std::string& id_or_number) {
    return Store::Get(txn_, id_or_number);
  }

  // Loads the record, applies `operation` (const Record& → absl::StatusOr<Change<Record>>) and
  // saves what it returns. Returns the record after the change (the stored one when nothing
  // changed).
  //
  // When another writer saved the record between the load and the save (PostgreSQL runs several
  // commit writers; a transaction there sees each statement's latest commits), the operation runs
  // again on the record as now stored: a write the caller did not tie to a version (a note, an
  // alert) is applied, and one that names a version is refused by the operation's own check.
  template <typename Operation>
  absl::StatusOr<Record> Modify(const std::string& id_or_number, Operation&& operation) {
    for (int attempt = 1;; ++attempt) {
      ITSM_ASSIGN_OR_RETURN(Record stored, Load(id_or_number));
      ITSM_ASSIGN_OR_RETURN(Change<Record> change, operation(stored));
      if (!change.changed()) return stored;
      absl::Status saved = Store::Update(txn_, change.after, stored.version());
      if (IsChangedConcurrently(saved) && attempt < kModifyAttempts) continue;
      ITSM_RETURN_IF_ERROR(saved);
      ITSM_RETURN_IF_ERROR(AuditAndPublish(change.after, std::move(change.action),
                                           std::move(change.changes), change.events));
      return std::move(change.after);
    }
  }

  // Stores `change` of a record that was at `expected_version` when loaded: ABORTED when another
  // writer saved it since. A change that changes nothing writes nothing.
  absl::Status Save(const Change<Record>& change, int64_t expected_version) {
    if (!change.changed()) return absl::OkStatus();
    ITSM_RETURN_IF_ERROR(Store::Update(txn_, change.after, expected_version));
    return AuditAndPublish(change.after, change.action, change.changes, change.events);
  }

  // Creates `record` (numbered by the store) unless `call` repeats an earlier create: then it
  // writes nothing and returns the earlier record. `created` gives the create's change (its
  // events) for the numbered record, which it is handed as an rvalue: it may move it into the
  // change's `after`, which is returned.
  template <typename Created>
  absl::StatusOr<Record> Create(const IdempotentCall& call, Record record, Created&& created) {
    return Create(
        call, std::move(record), [](Record&) { return absl::OkStatus(); },
        std::forward<Created>(created));
  }

  // Create for a record that must be checked against other stored records first (a reference
  // exists, a rule across records holds): `prepare` (Record& → absl::Status) runs once the key is
  // claimed and before the insert, and may complete the record (a name resolved to an id). It
  // runs after the claim because a repeated call must get the earlier record even when the check
  // would now refuse it — e.g. the new record would overlap the one the first call created.
  template <typename Prepare, typename Created>
  absl::StatusOr<Record> Create(const IdempotentCall& call, Record record, Prepare&& prepare,
                                Created&& created) {
    ITSM_ASSIGN_OR_RETURN(
        IdempotencyClaim claim,
        IdempotencyStore::Claim(txn_, call.method, caller_.actor, call.key, call.fingerprint,
                                record.id(), base::FromProtoTimestamp(record.create_time())));
    if (!claim.first) return Store::Get(txn_, claim.record_id);
    ITSM_RETURN_IF_ERROR(prepare(record));
    ITSM_RETURN_IF_ERROR(Store::Insert(txn_, record));
    Change<Record> change = created(std::move(record));
    ITSM_RETURN_IF_ERROR(AuditAndPublish(change.after, std::move(change.action),
                                         std::move(change.changes), change.events));
    return std::move(change.after);
  }

 private:
  // The audit entry and the events of a change whose record (`after`) is already stored. The
  // field changes move into the audit entry when the caller is done with them (a create's, or
  // Modify's), instead of being copied there.
  absl::Status AuditAndPublish(
      const Record& after, std::string action, std::vector<common::v1::FieldChange> changes,
      const std::vector<std::shared_ptr<google::protobuf::Message>>& events) {
    const absl::Time at = base::FromProtoTimestamp(after.update_time());
    ITSM_RETURN_IF_ERROR(Store::AppendAudit(
        txn_, after.id(),
        AuditEntryFor(caller_, after.version(), at, std::move(action), std::move(changes))));
    for (const auto& event : events) {
      ITSM_RETURN_IF_ERROR(events_.Publish(txn_, after.id(), *event, at));
    }
    return absl::OkStatus();
  }

  storage::Transaction& txn_;
  const base::Caller& caller_;
  const EventStream& events_;
};

}  // namespace itsm::records

#endif  // ITSM_RECORDS_UNIT_OF_WORK_H_
