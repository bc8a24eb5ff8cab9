#include "itsm/auth/access_policy.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor_database.h"
#include "itsm/common/v1/access.pb.h"

namespace itsm::auth {

std::vector<const google::protobuf::ServiceDescriptor*> LinkedServices(
    absl::string_view package_prefix) {
  std::vector<std::string> files;
  google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const std::string& name : files) {
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr || !absl::StartsWith(file->package(), package_prefix)) continue;
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  std::sort(services.begin(), services.end(),
            [](const auto* a, const auto* b) { return a->full_name() < b->full_name(); });
  return services;
}

AccessPolicy AccessPolicy::ForServices(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services) {
  AccessPolicy policy;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      MethodAccess access;
      const auto& options = method->options();
      if (options.HasExtension(common::v1::access)) {
        const common::v1::Access& declared = options.GetExtension(common::v1::access);
        access.declared = true;
        access.anonymous = declared.anonymous();
        for (int r : declared.roles()) access.roles.Add(static_cast<Role>(r));
        for (int r : declared.own_records_roles()) {
          access.own_records_roles.Add(static_cast<Role>(r));
        }
      }
      policy.methods_[absl::StrCat("/", service->full_name(), "/", method->name())] = access;
    }
  }
  return policy;
}

absl::StatusOr<AccessPolicy> AccessPolicy::ForServiceNames(const std::vector<std::string>& names) {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const std::string& name : names) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) {
      return absl::NotFoundError(absl::StrCat(name, ": no such service in this binary"));
    }
    services.push_back(service);
  }
  return ForServices(services);
}

absl::StatusOr<Decision> AccessPolicy::Authorise(absl::string_view method,
                                                 const Identity* identity) const {
  auto it = methods_.find(method);
  if (it == methods_.end()) {
    // What gRPC answers for a method a server does not serve: a caller (the launcher's
    // re-publishing, a client of another version) can tell "not here" from "not you".
    return absl::UnimplementedError(absl::StrCat(method, ": not an RPC of this service"));
  }
  const MethodAccess& access = it->second;
  if (!access.declared) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, ": no access is declared for this RPC, so nobody may call it"));
  }
  if (access.anonymous) return Decision{.anonymous = true};
  if (identity == nullptr) {
    return absl::UnauthenticatedError(
        absl::StrCat(method, ": a verified identity is required (a bearer token)"));
  }
  if (identity->roles.Has(common::v1::ROLE_ADMIN) || identity->roles.Intersects(access.roles)) {
    return Decision{};
  }
  if (identity->roles.Intersects(access.own_records_roles)) {
    return Decision{.own_records_only = true};
  }
  RoleSet allowed = access.roles;
  for (Role r : access.own_records_roles.Roles()) allowed.Add(r);
  return absl::PermissionDeniedError(absl::StrCat(
      method, ": ", identity->subject,
      " (roles: ", identity->roles.empty() ? "none" : identity->roles.ToString(),
      ") may not call it; allowed: admin", allowed.empty() ? "" : ",", allowed.ToString()));
}

absl::Status CheckCallerMayAlsoCall(const base::Caller& caller, absl::string_view method) {
  if (!caller.roles.has_value()) return absl::OkStatus();
  static const AccessPolicy* const kLinked =
      new AccessPolicy(AccessPolicy::ForServices(LinkedServices("itsm.")));
  Identity identity{.subject = caller.actor};
  for (const std::string& name : *caller.roles) {
    if (std::optional<Role> role = RoleFromName(name)) identity.roles.Add(*role);
  }
  return kLinked->Authorise(method, &identity).status();
}

bool AccessPolicy::IsAnonymous(absl::string_view method) const {
  auto it = methods_.find(method);
  return it != methods_.end() && it->second.declared && it->second.anonymous;
}

std::vector<std::string> AccessPolicy::Undeclared() const {
  std::vector<std::string> out;
  for (const auto& [name, access] : methods_) {
    if (!access.declared) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace itsm::auth
