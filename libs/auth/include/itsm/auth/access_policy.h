// Who may call which RPC, read from the `(itsm.common.v1.access)` option of each method: the
// table lives beside the RPC declarations, so a new RPC cannot ship without saying who may
// call it (an undeclared one is refused to everyone).
//
//   ITSM_ASSIGN_OR_RETURN(auto policy,
//   AccessPolicy::ForServiceNames({"itsm.incident.v1.IncidentService"}));
//   ITSM_ASSIGN_OR_RETURN(Decision d,
//   policy.Authorise("/itsm.incident.v1.IncidentService/GetIncident", &identity)); if
//   (d.own_records_only) { ... the service restricts the call to the caller's records ... }
#ifndef ITSM_AUTH_ACCESS_POLICY_H_
#define ITSM_AUTH_ACCESS_POLICY_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/descriptor.h"
#include "itsm/auth/identity.h"
#include "itsm/base/caller.h"

namespace itsm::auth {

struct Decision {
  // The caller may call it for records it raised or requested only (ROLE_REQUESTER).
  bool own_records_only = false;
  // Callable without an identity.
  bool anonymous = false;
};

// The services of every linked .proto whose package starts with `package_prefix` ("itsm."),
// sorted by full name. Only files linked into the binary are seen: a binary that must see every
// service links itsm_proto whole (see libs/auth/CMakeLists.txt).
std::vector<const google::protobuf::ServiceDescriptor*> LinkedServices(
    absl::string_view package_prefix);

class AccessPolicy {
 public:
  // The declarations of every method of `services`.
  static AccessPolicy ForServices(
      absl::Span<const google::protobuf::ServiceDescriptor* const> services);
  // The same for services named in full ("itsm.incident.v1.IncidentService"), looked up in the
  // descriptors linked into the binary; NOT_FOUND names one that is not.
  static absl::StatusOr<AccessPolicy> ForServiceNames(const std::vector<std::string>& names);

  // `method` is gRPC's full name, "/package.Service/Method". `identity` is null for a caller
  // without a verified identity. UNAUTHENTICATED: an identity is needed; PERMISSION_DENIED: not
  // with these roles (the message names the method, the subject and the roles allowed), or an
  // RPC that declares no access; UNIMPLEMENTED: not an RPC of these services.
  absl::StatusOr<Decision> Authorise(absl::string_view method, const Identity* identity) const;

  // Whether the method may be called without an identity (known and declared anonymous).
  bool IsAnonymous(absl::string_view method) const;
  // Methods of the services given without a declaration ("/package.Service/Method").
  std::vector<std::string> Undeclared() const;

 private:
  struct MethodAccess {
    bool declared = false;
    bool anonymous = false;
    RoleSet roles;
    RoleSet own_records_roles;
  };
  absl::flat_hash_map<std::string, MethodAccess> methods_;
};

// For an RPC that serves several kinds of record (GetChangeHistory: changes, templates, windows,
// the policy): whether `caller` may also call `method` ("/package.Service/Method"), the RPC that
// reads the kind asked for, so that no record is read through another kind's door. OK for a
// caller without verified roles (a suite run without authentication); else Authorise's answer.
absl::Status CheckCallerMayAlsoCall(const base::Caller& caller, absl::string_view method);

}  // namespace itsm::auth

#endif  // ITSM_AUTH_ACCESS_POLICY_H_
