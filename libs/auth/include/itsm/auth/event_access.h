// Who may read a topic's events outside Kafka (the gateway's GET /v1/events): the roles that may
// call *every* read RPC (Get*, List*, Export*) of the services of the topic's package, taken from
// the same `(itsm.common.v1.access)` declarations AccessPolicy reads — one table decides both.
// Every read, because one topic carries several kinds of record (the incident topic has problems
// and notes as well as incidents) and an event shows its record whole. Roles held to their own
// records (`own_records_roles`, the requester) are not readers: an event stream has no record to
// check them against before it is sent (decision 121).
//
//   EventAccess access = EventAccess::ForTopics({"itsm.incident.v1", "itsm.supplier.v1"});
//   ITSM_RETURN_IF_ERROR(access.MayRead("itsm.supplier.v1", identity));
#ifndef ITSM_AUTH_EVENT_ACCESS_H_
#define ITSM_AUTH_EVENT_ACCESS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "itsm/auth/identity.h"

namespace itsm::auth {

class EventAccess {
 public:
  // `topics` are package names ("itsm.incident.v1"); a topic whose package has no linked service
  // or no read RPC is readable by admin only.
  static EventAccess ForTopics(const std::vector<std::string>& topics);

  // The roles that may read every event of `topic`, admin aside.
  RoleSet Readers(absl::string_view topic) const;
  // OK, or PERMISSION_DENIED naming the topic, the caller and the roles that may read it.
  absl::Status MayRead(absl::string_view topic, const Identity& identity) const;

 private:
  absl::flat_hash_map<std::string, RoleSet> readers_;
};

}  // namespace itsm::auth

#endif  // ITSM_AUTH_EVENT_ACCESS_H_
