#include "itsm/auth/event_access.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/auth/access_policy.h"
#include "itsm/common/v1/access.pb.h"

namespace itsm::auth {
namespace {

bool IsRead(const google::protobuf::MethodDescriptor& method) {
  for (absl::string_view verb : {"Get", "List", "Export"}) {
    if (absl::StartsWith(method.name(), verb)) return true;
  }
  return false;
}

}  // namespace

EventAccess EventAccess::ForTopics(const std::vector<std::string>& topics) {
  EventAccess access;
  for (const std::string& topic : topics) {
    std::vector<const google::protobuf::ServiceDescriptor*> services;
    for (const auto* service : LinkedServices(topic)) {
      if (service->file()->package() == topic) services.push_back(service);
    }
    const AccessPolicy policy = AccessPolicy::ForServices(services);
    // A role reads the topic if every read RPC allows it fully: the intersection, found by
    // asking the policy itself for an identity holding just that role.
    RoleSet readers;
    bool any_read = false;
    for (int r = common::v1::Role_MIN; r <= common::v1::Role_MAX; ++r) {
      const Role role = static_cast<Role>(r);
      if (role == common::v1::ROLE_UNSPECIFIED || role == common::v1::ROLE_ADMIN) continue;
      const Identity probe{.subject = "probe", .roles = {role}};
      bool all = true;
      for (const auto* service : services) {
        for (int i = 0; i < service->method_count(); ++i) {
          const auto& method = *service->method(i);
          if (!IsRead(method)) continue;
          any_read = true;
          absl::StatusOr<Decision> d =
              policy.Authorise(absl::StrCat("/", service->full_name(), "/", method.name()), &probe);
          all = all && d.ok() && !d->own_records_only;
        }
      }
      if (all && any_read) readers.Add(role);
    }
    access.readers_[topic] = readers;
  }
  return access;
}

RoleSet EventAccess::Readers(absl::string_view topic) const {
  auto it = readers_.find(topic);
  return it == readers_.end() ? RoleSet{} : it->second;
}

absl::Status EventAccess::MayRead(absl::string_view topic, const Identity& identity) const {
  const RoleSet readers = Readers(topic);
  if (identity.roles.Has(common::v1::ROLE_ADMIN) || identity.roles.Intersects(readers)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the events of ", topic, " are not for ", identity.subject,
                   " (roles: ", identity.roles.empty() ? "none" : identity.roles.ToString(),
                   "); readable by: admin", readers.empty() ? "" : ",", readers.ToString()));
}

}  // namespace itsm::auth
