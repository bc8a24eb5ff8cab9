// Who makes a call: the identity the audit trail names, and the request id that ties an audit
// entry to the logs of the call that wrote it. The gRPC edge fills it (runtime::CallerOf); the
// write path passes it down to every audit entry and history row.
#ifndef ITSM_BASE_CALLER_H_
#define ITSM_BASE_CALLER_H_

#include <optional>
#include <string>
#include <vector>

namespace itsm::base {

struct Caller {
  std::string actor = "anonymous";
  std::string request_id = {};
  // The caller may see and touch only its own records (a requester: ROLE_REQUESTER without a
  // broader role): those it is the caller or the requested-for person of. Enforced by the
  // application classes, which know what "own" means for each kind of record.
  bool own_records_only = false;
  // The verified roles by name ("agent", "cab_member"), for the rules of an application class
  // that depend on a role beyond the RPC's own check (who may vote at an approval level).
  // nullopt when the service runs without authentication: every caller is trusted as it says.
  std::optional<std::vector<std::string>> roles = std::nullopt;
};

}  // namespace itsm::base

#endif  // ITSM_BASE_CALLER_H_
