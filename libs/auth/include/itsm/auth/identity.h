// A verified caller: who (subject), with which roles, in which tenant. Services receive it from
// a verified token (TokenVerifier), never from a header a client chose, and the audit trail
// records its subject.
#ifndef ITSM_AUTH_IDENTITY_H_
#define ITSM_AUTH_IDENTITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "itsm/common/v1/access.pb.h"

namespace itsm::auth {

using common::v1::Role;

// A set of roles as one word: a check is a mask test, which keeps authorisation in the
// nanoseconds on every call.
class RoleSet {
 public:
  RoleSet() = default;
  RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) Add(r);
  }
  void Add(Role role) { bits_ |= Bit(role); }
  bool Has(Role role) const { return (bits_ & Bit(role)) != 0; }
  bool Intersects(RoleSet other) const { return (bits_ & other.bits_) != 0; }
  bool empty() const { return bits_ == 0; }
  std::vector<Role> Roles() const;
  // "agent,sla_manager" (RoleName of each, in enum order).
  std::string ToString() const;
  bool operator==(const RoleSet& other) const { return bits_ == other.bits_; }

 private:
  static uint64_t Bit(Role role) { return uint64_t{1} << (static_cast<int>(role) & 63); }
  uint64_t bits_ = 0;
};

// "agent" for ROLE_AGENT: the spelling tokens, API keys and docs use.
std::string RoleName(Role role);
// The inverse of RoleName; nullopt for anything else (ROLE_UNSPECIFIED included).
std::optional<Role> RoleFromName(absl::string_view name);

struct Identity {
  // "alice@example.com", "apikey:3f2a…", "service:sla-timer": unique within the issuer.
  std::string subject = {};
  RoleSet roles = {};
  // "" when the deployment has one tenant.
  std::string tenant = {};
  // Who vouched for it (the token's issuer).
  std::string issuer = {};
  // When the proof expires.
  absl::Time expires = absl::InfiniteFuture();
};

}  // namespace itsm::auth

#endif  // ITSM_AUTH_IDENTITY_H_
