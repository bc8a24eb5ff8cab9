// One change of one record as the domain rules produce it — the record after the change, the
// audit entry's action and field changes, the events that announce it — and the two places it
// goes besides the record's own row: the audit trail and the outbox.
//
//   ITSM_ASSIGN_OR_RETURN(Change<v1::Incident> change, rules.Transition(stored, request, actor));
//   // UnitOfWork::Save writes change.after, AuditEntryFor(...) and every event, or nothing.
#ifndef ITSM_RECORDS_RECORD_CHANGE_H_
#define ITSM_RECORDS_RECORD_CHANGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "itsm/base/caller.h"
#include "itsm/base/time_util.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/records/record_diff.h"
#include "itsm/storage/database.h"

namespace itsm::records {

template <typename Record>
struct Change {
  Record after;
  // "update", "assign", "resolve", "comment", ... (the audit entry's action).
  std::string action;
  std::vector<common::v1::FieldChange> changes;
  // In the order they must be published.
  std::vector<std::shared_ptr<google::protobuf::Message>> events;
  // A write that changes nothing is not a change: no version, no audit entry, no event.
  bool changed() const { return !changes.empty(); }
};

// The change from `before` to the edited `after`: the field diff, and `after` at the next version
// and updated at `now` — or, when no field differs, no change at all (`after` is `before`). The
// caller adds the events that announce it.
template <typename Record>
Change<Record> Versioned(const Record& before, Record after, std::string action, absl::Time now);

// Where a service's events go: its topic, and the CloudEvents source it names itself by.
struct EventStream {
  std::string topic;
  std::string source;

  // Appends `event` about the record `key` (its id: one record's events share a partition) to the
  // outbox inside `txn`.
  absl::Status Publish(storage::Transaction& txn, const std::string& key,
                       const google::protobuf::Message& event, absl::Time at) const;
};

// The audit entry of a change that produced `version`.
common::v1::AuditEntry AuditEntryFor(const base::Caller& caller, int64_t version, absl::Time at,
                                     std::string action,
                                     std::vector<common::v1::FieldChange> changes);

// The stored version against the one the caller read: INVALID_ARGUMENT when none was given,
// ABORTED "<field>: expected <stored>, found <given>" when stale or ahead of the record (a
// version it has never had, said so).
absl::Status CheckVersion(int64_t stored, int64_t given, const char* field = "version");

// What a store's Update returns when the record is no longer at the version it was loaded at:
// another writer saved it in between (PostgreSQL's commit writers run side by side). ABORTED
// "version: <what> changed concurrently; read it again", marked so that UnitOfWork::Modify can
// load the record again and reapply the operation, which refuses a caller's stale version itself.
absl::Status ChangedConcurrently(absl::string_view what);
bool IsChangedConcurrently(const absl::Status& status);

// A record as a repository stored it (its serialised protobuf); DATA_LOSS "stored <what> does not
// parse" when it does not.
template <typename Record>
absl::StatusOr<Record> DecodeStored(const std::string& bytes, const char* what) {
  Record record;
  if (!record.ParseFromString(bytes)) {
    return absl::DataLossError(std::string("stored ") + what + " does not parse");
  }
  return record;
}

template <typename Record>
Change<Record> Versioned(const Record& before, Record after, std::string action, absl::Time now) {
  Change<Record> out;
  out.action = std::move(action);
  out.changes = DiffFields(before, after);
  if (out.changes.empty()) {
    out.after = before;
    return out;
  }
  after.set_version(before.version() + 1);
  *after.mutable_update_time() = base::ToProtoTimestamp(now);
  out.after = std::move(after);
  return out;
}

}  // namespace itsm::records

#endif  // ITSM_RECORDS_RECORD_CHANGE_H_
