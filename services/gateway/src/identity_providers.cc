#include "services/gateway/src/identity_providers.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/auth/key_source.h"
#include "itsm/base/error_detail.h"
#include "services/gateway/src/jwks_url_source.h"

namespace itsm::gateway {

absl::StatusOr<std::map<std::string, auth::Role>> ParseRoleMapping(absl::string_view text,
                                                                   absl::string_view option) {
  std::map<std::string, auth::Role> mapping;
  for (absl::string_view pair : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(pair, '=');
    const absl::string_view external = absl::StripAsciiWhitespace(parts.first);
    const absl::string_view role_name = absl::StripAsciiWhitespace(parts.second);
    std::optional<auth::Role> role = auth::RoleFromName(role_name);
    if (external.empty() || !role) {
      return base::FieldError(option, absl::StrCat("\"", pair,
                                                   "\" is not <provider role>=<suite role> with "
                                                   "a suite role such as agent or admin"));
    }
    if (*role == common::v1::ROLE_SERVICE) {
      return base::FieldError(option, "no provider role may map to service");
    }
    mapping[std::string(external)] = *role;
  }
  return mapping;
}

absl::StatusOr<std::vector<auth::TrustedIssuer>> TrustedIssuersFrom(const runtime::Config& config,
                                                                    const base::Clock& clock) {
  std::vector<auth::TrustedIssuer> issuers;
  absl::StatusOr<std::unique_ptr<auth::JwksFileSource>> suite_keys =
      auth::JwksFileSource::Open(config.GetString("auth_jwks_file"), clock);
  if (!suite_keys.ok()) return suite_keys.status();
  // The suite's own tokens may name services: only holders of its signing key make them.
  issuers.push_back({.issuer = config.GetString("auth_issuer"),
                     .audience = config.GetString("auth_audience"),
                     .keys = *std::move(suite_keys),
                     .forbidden_roles = {}});

  const std::string oidc_issuer = config.GetString("oidc_issuer");
  if (oidc_issuer.empty()) return issuers;
  if (oidc_issuer == config.GetString("auth_issuer")) {
    return base::FieldError("oidc_issuer", "must differ from auth_issuer (the suite's own)");
  }
  const std::string jwks_file = config.GetString("oidc_jwks_file");
  const std::string jwks_url = config.GetString("oidc_jwks_url");
  if (jwks_file.empty() == jwks_url.empty()) {
    return base::FieldError("oidc_jwks_url", "give it or oidc_jwks_file (one) with oidc_issuer");
  }
  std::shared_ptr<auth::KeySource> keys;
  if (!jwks_url.empty()) {
    absl::StatusOr<std::unique_ptr<JwksUrlSource>> fetched = JwksUrlSource::Open(
        {.url = jwks_url, .ca_file = config.GetString("oidc_jwks_ca_file")}, clock);
    if (!fetched.ok()) return base::FieldError("oidc_jwks_url", fetched.status().message());
    keys = *std::move(fetched);
  } else {
    absl::StatusOr<std::unique_ptr<auth::JwksFileSource>> read =
        auth::JwksFileSource::Open(jwks_file, clock);
    if (!read.ok()) return read.status();
    keys = *std::move(read);
  }
  absl::StatusOr<std::map<std::string, auth::Role>> mapping =
      ParseRoleMapping(config.GetString("oidc_role_mapping"), "oidc_role_mapping");
  if (!mapping.ok()) return mapping.status();
  issuers.push_back({.issuer = oidc_issuer,
                     .audience = config.GetString("oidc_audience"),
                     .keys = std::move(keys),
                     .roles_claim = config.GetString("oidc_roles_claim"),
                     .role_mapping = *std::move(mapping),
                     .reserved_subject_prefixes = {"apikey:", "service:", "local:"}});
  return issuers;
}

}  // namespace itsm::gateway
