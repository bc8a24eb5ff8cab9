// The change between two versions of a record that has `version` and `update_time`: the field
// diff (records::DiffFields) and, when anything differs, the record at the next version stamped
// `now`. The domain rules then add the events that announce it.
//
//   Change<v1::Contract> out = VersionedChange(stored, std::move(after), "update", clock.Now());
//   if (out.changed()) out.events.push_back(...);
#ifndef ITSM_RECORDS_VERSIONED_CHANGE_H_
#define ITSM_RECORDS_VERSIONED_CHANGE_H_

#include <string>
#include <utility>

#include "absl/time/time.h"
#include "itsm/base/time_util.h"
#include "itsm/records/record_change.h"
#include "itsm/records/record_diff.h"

namespace itsm::records {

template <typename Record>
Change<Record> VersionedChange(const Record& before, Record after, std::string action,
                               absl::Time now) {
  Change<Record> out;
  out.changes = DiffFields(before, after);
  if (out.changes.empty()) {
    out.after = before;  // nothing changed: no version, no audit entry, no event
    return out;
  }
  after.set_version(before.version() + 1);
  *after.mutable_update_time() = base::ToProtoTimestamp(now);
  out.after = std::move(after);
  out.action = std::move(action);
  return out;
}

}  // namespace itsm::records

#endif  // ITSM_RECORDS_VERSIONED_CHANGE_H_
