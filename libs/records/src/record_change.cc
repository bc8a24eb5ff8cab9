#include "itsm/records/record_change.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/time_util.h"
#include "itsm/events/cloud_event.h"
#include "itsm/outbox/outbox.h"

namespace itsm::records {

absl::Status EventStream::Publish(storage::Transaction& txn, const std::string& key,
                                  const google::protobuf::Message& event, absl::Time at) const {
  return outbox::Outbox::Append(txn, {topic, key, events::MakeCloudEvent(event, source, key, at)});
}

common::v1::AuditEntry AuditEntryFor(const base::Caller& caller, int64_t version, absl::Time at,
                                     std::string action,
                                     std::vector<common::v1::FieldChange> changes) {
  common::v1::AuditEntry entry;
  entry.set_version(version);
  entry.set_actor(caller.actor);
  *entry.mutable_time() = base::ToProtoTimestamp(at);
  entry.set_action(std::move(action));
  for (auto& change : changes) *entry.add_changes() = std::move(change);
  entry.set_request_id(caller.request_id);
  return entry;
}

absl::Status CheckVersion(int64_t stored, int64_t given, const char* field) {
  if (given <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required (the version that was read), got ", given));
  }
  if (given < stored) {
    return absl::AbortedError(absl::StrCat(field, ": expected ", stored, ", found ", given,
                                           " (the record changed since it was read)"));
  }
  if (given > stored) {
    // Not a race but a version nobody read: refused the same way, told as what it is.
    return absl::AbortedError(absl::StrCat(field, ": expected ", stored, ", found ", given,
                                           " (the record has never been at version ", given, ")"));
  }
  return absl::OkStatus();
}

namespace {
constexpr char kChangedConcurrently[] = "itsm.records/changed-concurrently";
}  // namespace

absl::Status ChangedConcurrently(absl::string_view what) {
  absl::Status status =
      absl::AbortedError(absl::StrCat("version: ", what, " changed concurrently; read it again"));
  status.SetPayload(kChangedConcurrently, absl::Cord("1"));
  return status;
}

bool IsChangedConcurrently(const absl::Status& status) {
  return status.GetPayload(kChangedConcurrently).has_value();
}

}  // namespace itsm::records
