#include "itsm/apikeys/api_key_rules.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/record_diff.h"

namespace itsm::apikeys {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateCreate(const v1::CreateApiKeyRequest& request, absl::Time now) {
  if (!ValidName(request.name())) {
    return base::FieldError("name",
                            "1..64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
  }
  if (request.roles().empty()) return base::FieldError("roles", "at least one role");
  for (int i = 0; i < request.roles_size(); ++i) {
    const int role = request.roles(i);
    if (!common::v1::Role_IsValid(role) || role == common::v1::ROLE_UNSPECIFIED) {
      return base::FieldError("roles", absl::StrCat("unknown role ", role));
    }
    // As every other list: a role named twice was stored twice (found from outside).
    for (int j = 0; j < i; ++j) {
      if (request.roles(j) == role) {
        return base::FieldError(absl::StrCat("roles[", i, "]"),
                                absl::StrCat(common::v1::Role_Name(role), " is listed twice"));
      }
    }
    if (role == common::v1::ROLE_SERVICE) {
      return base::FieldError("roles", "service is the suite's own services' role");
    }
  }
  if (request.has_expire_time() && base::FromProtoTimestamp(request.expire_time()) <= now) {
    return base::FieldError("expire_time", "must be in the future");
  }
  return absl::OkStatus();
}

v1::ApiKey NewApiKey(const v1::CreateApiKeyRequest& request, const std::string& lookup_id,
                     const std::string& actor, absl::Time now) {
  v1::ApiKey key;
  key.set_id(base::NewUuid());
  key.set_name(request.name());
  key.set_description(request.description());
  key.set_prefix(absl::StrCat("itsm_", lookup_id));
  key.set_subject(absl::StrCat("apikey:", request.name()));
  *key.mutable_roles() = request.roles();
  key.set_tenant(request.tenant());
  key.set_state(v1::API_KEY_STATE_ACTIVE);
  if (request.has_expire_time()) *key.mutable_expire_time() = request.expire_time();
  key.set_created_by(actor);
  *key.mutable_create_time() = base::ToProtoTimestamp(now);
  *key.mutable_update_time() = key.create_time();
  key.set_version(1);
  return key;
}

absl::Time PreviousSecretExpiry(const v1::RotateApiKeyRequest& request, absl::Time now) {
  return now + base::FromProtoDuration(request.grace_period());
}

absl::StatusOr<records::Change<v1::ApiKey>> Rotate(const v1::ApiKey& stored,
                                                   const v1::RotateApiKeyRequest& request,
                                                   const std::string& new_lookup_id,
                                                   absl::Time now) {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  const absl::Duration grace = base::FromProtoDuration(request.grace_period());
  if (grace < absl::ZeroDuration() || grace > kMaxRotationGrace) {
    return base::FieldError("grace_period", "0 to 7 days");
  }
  if (stored.state() == v1::API_KEY_STATE_REVOKED) {
    return absl::FailedPreconditionError(
        absl::StrCat("id: key ", stored.name(), " is revoked; create a new one"));
  }
  v1::ApiKey after = stored;
  after.set_prefix(absl::StrCat("itsm_", new_lookup_id));
  *after.mutable_previous_secret_expire_time() =
      base::ToProtoTimestamp(PreviousSecretExpiry(request, now));
  *after.mutable_update_time() = base::ToProtoTimestamp(now);
  after.set_version(stored.version() + 1);
  return records::Change<v1::ApiKey>{after, "rotate", records::DiffFields(stored, after), {}};
}

absl::StatusOr<records::Change<v1::ApiKey>> Revoke(const v1::ApiKey& stored,
                                                   const v1::RevokeApiKeyRequest& request,
                                                   absl::Time now) {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  if (stored.state() == v1::API_KEY_STATE_REVOKED) {
    return records::Change<v1::ApiKey>{stored, "revoke", {}, {}};
  }
  v1::ApiKey after = stored;
  after.set_state(v1::API_KEY_STATE_REVOKED);
  *after.mutable_revoke_time() = base::ToProtoTimestamp(now);
  *after.mutable_update_time() = after.revoke_time();
  after.set_version(stored.version() + 1);
  return records::Change<v1::ApiKey>{after, "revoke", records::DiffFields(stored, after), {}};
}

absl::StatusOr<auth::Identity> IdentityOf(const v1::ApiKey& key, absl::Time now) {
  if (key.state() != v1::API_KEY_STATE_ACTIVE) {
    return absl::UnauthenticatedError("API key: revoked");
  }
  absl::Time expires = absl::InfiniteFuture();
  if (key.has_expire_time()) {
    expires = base::FromProtoTimestamp(key.expire_time());
    if (expires <= now) return absl::UnauthenticatedError("API key: expired");
  }
  auth::Identity identity{.subject = key.subject(),
                          .tenant = key.tenant(),
                          .issuer = "itsm-gateway",
                          .expires = expires};
  for (int role : key.roles()) identity.roles.Add(static_cast<common::v1::Role>(role));
  return identity;
}

}  // namespace itsm::apikeys
