#include "itsm/auth/identity.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace itsm::auth {
namespace {

constexpr absl::string_view kPrefix = "ROLE_";

}  // namespace

std::vector<Role> RoleSet::Roles() const {
  std::vector<Role> roles;
  const auto* descriptor = common::v1::Role_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    auto role = static_cast<Role>(descriptor->value(i)->number());
    if (role != common::v1::ROLE_UNSPECIFIED && Has(role)) roles.push_back(role);
  }
  return roles;
}

std::string RoleSet::ToString() const {
  return absl::StrJoin(Roles(), ",", [](std::string* out, Role r) { out->append(RoleName(r)); });
}

std::string RoleName(Role role) {
  std::string name(common::v1::Role_Name(role));
  if (absl::StartsWith(name, kPrefix)) name.erase(0, kPrefix.size());
  return absl::AsciiStrToLower(name);
}

std::optional<Role> RoleFromName(absl::string_view name) {
  // Exactly as RoleName spells it: a provider's "Admin" or "AGENT", never mapped, is not the
  // suite's admin or agent.
  if (absl::AsciiStrToLower(name) != name) return std::nullopt;
  Role role;
  std::string enum_name = absl::StrCat(kPrefix, absl::AsciiStrToUpper(name));
  if (!common::v1::Role_Parse(enum_name, &role) || role == common::v1::ROLE_UNSPECIFIED) {
    return std::nullopt;
  }
  return role;
}

}  // namespace itsm::auth
