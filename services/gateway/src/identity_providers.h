// The issuers whose tokens the gateway accepts, from its settings: the suite's own (whose key
// signs what the gateway sends to the services) and, optionally, one OAuth2/OIDC provider whose
// access tokens are checked against its JWKS, with its roles claim mapped onto the suite's roles.
#ifndef ITSM_SERVICES_GATEWAY_SRC_IDENTITY_PROVIDERS_H_
#define ITSM_SERVICES_GATEWAY_SRC_IDENTITY_PROVIDERS_H_

#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "itsm/auth/identity.h"
#include "itsm/auth/token_verifier.h"
#include "itsm/base/clock.h"
#include "itsm/runtime/config.h"

namespace itsm::gateway {

// "itsm-agents=agent, itsm-admins=admin" -> {itsm-agents: ROLE_AGENT, ...}. INVALID_ARGUMENT
// naming `option` for a pair without "=", an unknown role, or the service role (a provider must
// never make a service identity).
absl::StatusOr<std::map<std::string, auth::Role>> ParseRoleMapping(absl::string_view text,
                                                                   absl::string_view option);

// The suite's issuer (auth_issuer, auth_audience, auth_jwks_file) and the provider of
// oidc_issuer when set (oidc_audience, oidc_jwks_url or oidc_jwks_file, oidc_roles_claim,
// oidc_role_mapping).
absl::StatusOr<std::vector<auth::TrustedIssuer>> TrustedIssuersFrom(const runtime::Config& config,
                                                                    const base::Clock& clock);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_IDENTITY_PROVIDERS_H_
