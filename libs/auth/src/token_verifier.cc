#include "itsm/auth/token_verifier.h"

#include <jwt.h>

#include <cmath>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/auth/same_person.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/status_macros.h"

namespace itsm::auth {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr size_t kMaxSubjectLength = 320;

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token: ", why));
}

absl::StatusOr<Struct> DecodeSegment(absl::string_view segment, absl::string_view name) {
  std::string json;
  Struct out;
  if (!absl::WebSafeBase64Unescape(segment, &json) ||
      !google::protobuf::util::JsonStringToMessage(json, &out).ok()) {
    return Unauthenticated(absl::StrCat("the ", name, " is not base64url JSON"));
  }
  return out;
}

const Value* Field(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::string StringClaim(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  return v != nullptr && v->has_string_value() ? v->string_value() : "";
}

// A NumericDate claim; nullopt when absent, an error when present but not a number.
absl::StatusOr<std::optional<absl::Time>> TimeClaim(const Struct& s, const std::string& name) {
  const Value* v = Field(s, name);
  if (v == nullptr) return std::nullopt;
  if (v->kind_case() != Value::kNumberValue || !std::isfinite(v->number_value())) {
    return Unauthenticated(absl::StrCat(name, " is not a number"));
  }
  return absl::FromUnixSeconds(static_cast<int64_t>(v->number_value()));
}

bool HasAudience(const Struct& s, const std::string& audience) {
  const Value* v = Field(s, "aud");
  if (v == nullptr) return false;
  if (v->has_string_value()) return v->string_value() == audience;
  if (!v->has_list_value()) return false;
  for (const Value& a : v->list_value().values()) {
    if (a.has_string_value() && a.string_value() == audience) return true;
  }
  return false;
}

std::vector<std::string> RoleNamesClaim(const Struct& s, const std::string& name) {
  std::vector<std::string> names;
  const Value* v = Field(s, name);
  if (v == nullptr) return names;
  if (v->has_string_value()) {
    for (absl::string_view n : absl::StrSplit(v->string_value(), ' ', absl::SkipEmpty())) {
      names.emplace_back(n);
    }
  } else if (v->has_list_value()) {
    for (const Value& n : v->list_value().values()) {
      if (n.has_string_value()) names.push_back(n.string_value());
    }
  }
  return names;
}

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};

jwt_alg_t LibjwtAlgorithm(Algorithm alg) {
  return alg == Algorithm::kRs256 ? JWT_ALG_RS256 : JWT_ALG_ES256;
}

}  // namespace

TokenVerifier::TokenVerifier(std::vector<TrustedIssuer> issuers, const base::Clock& clock,
                             Options options)
    : issuers_(std::move(issuers)), clock_(clock), options_(options) {}

const TrustedIssuer* TokenVerifier::IssuerNamed(absl::string_view iss) const {
  for (const auto& issuer : issuers_) {
    if (issuer.issuer == iss) return &issuer;
  }
  return nullptr;
}

absl::StatusOr<Identity> TokenVerifier::Verify(absl::string_view token) const {
  absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      // A cached token stays valid while it has not expired and its issuer's key set is the
      // one it was verified with (a rotated-out key invalidates it).
      const TrustedIssuer* issuer = IssuerNamed(it->second.identity.issuer);
      if (now < it->second.identity.expires && issuer != nullptr &&
          issuer->keys->Current() == it->second.keys) {
        return it->second.identity;
      }
      cache_.erase(it);
    }
  }
  std::shared_ptr<const KeySet> keys_used;
  ITSM_ASSIGN_OR_RETURN(Identity identity, VerifyUncached(token, keys_used));
  absl::MutexLock lock(&mu_);
  if (cache_.size() >= options_.cache_size) cache_.clear();
  cache_.emplace(std::string(token), Cached{identity, std::move(keys_used)});
  return identity;
}

absl::StatusOr<Identity> TokenVerifier::VerifyUncached(
    absl::string_view token, std::shared_ptr<const KeySet>& keys_used) const {
  if (token.empty()) return Unauthenticated("empty");
  if (token.size() > options_.max_token_bytes) {
    return Unauthenticated(absl::StrCat("longer than ", options_.max_token_bytes, " bytes"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || parts[2].empty()) {
    return Unauthenticated("not a signed JWT (header.payload.signature)");
  }
  ITSM_ASSIGN_OR_RETURN(Struct header, DecodeSegment(parts[0], "header"));
  ITSM_ASSIGN_OR_RETURN(Struct claims, DecodeSegment(parts[1], "payload"));

  // The algorithm is decided by the key, never by the token: the header's alg must name an
  // accepted algorithm and match the key found by kid.
  std::string alg_name = StringClaim(header, "alg");
  std::optional<Algorithm> alg = AlgorithmFromName(alg_name);
  if (!alg.has_value()) {
    return Unauthenticated(absl::StrCat("alg \"", alg_name, "\" is not accepted (RS256, ES256)"));
  }
  if (Field(header, "crit") != nullptr) {
    return Unauthenticated("critical header extensions are not supported");
  }
  std::string iss = StringClaim(claims, "iss");
  const TrustedIssuer* issuer = IssuerNamed(iss);
  if (issuer == nullptr)
    return Unauthenticated(absl::StrCat("issuer \"", iss, "\" is not trusted"));

  std::string kid = StringClaim(header, "kid");
  std::shared_ptr<const KeySet> keys = issuer->keys->Current();
  const VerificationKey* key = keys->Find(kid);
  if (key == nullptr) {
    issuer->keys->Refresh();  // perhaps a key rotated in
    keys = issuer->keys->Current();
    key = keys->Find(kid);
  }
  if (key == nullptr) {
    return Unauthenticated(absl::StrCat("no key \"", kid, "\" for issuer \"", iss, "\""));
  }
  if (key->alg != *alg) {
    return Unauthenticated(absl::StrCat("alg ", alg_name, " does not fit key \"", kid, "\""));
  }
  jwt_t* raw = nullptr;
  std::string token_text(token);
  int rc = jwt_decode(&raw, token_text.c_str(),
                      reinterpret_cast<const unsigned char*>(key->public_pem.data()),
                      static_cast<int>(key->public_pem.size()));
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  if (rc != 0 || jwt == nullptr || jwt_get_alg(jwt.get()) != LibjwtAlgorithm(*alg)) {
    return Unauthenticated("signature does not verify");
  }

  absl::Time now = clock_.Now();
  ITSM_ASSIGN_OR_RETURN(std::optional<absl::Time> exp, TimeClaim(claims, "exp"));
  ITSM_ASSIGN_OR_RETURN(std::optional<absl::Time> nbf, TimeClaim(claims, "nbf"));
  if (!exp.has_value()) return Unauthenticated("exp is required");
  if (now >= *exp + issuer->leeway) {
    return Unauthenticated(
        absl::StrCat("expired at ", absl::FormatTime(*exp, absl::UTCTimeZone())));
  }
  if (nbf.has_value() && now < *nbf - issuer->leeway) {
    return Unauthenticated(
        absl::StrCat("not valid before ", absl::FormatTime(*nbf, absl::UTCTimeZone())));
  }
  if (!HasAudience(claims, issuer->audience)) {
    return Unauthenticated(absl::StrCat("audience is not \"", issuer->audience, "\""));
  }
  Identity identity;
  identity.subject = StringClaim(claims, "sub");
  if (identity.subject.empty() || identity.subject.size() > kMaxSubjectLength) {
    return Unauthenticated(absl::StrCat("sub is required, at most ", kMaxSubjectLength, " bytes"));
  }
  // A subject padded with blanks would read in the audit trail as the one without them.
  if (base::HasOuterBlank(identity.subject)) {
    return Unauthenticated("sub begins or ends with blanks");
  }
  if (const std::string why = base::WhyNotAnIdentity(identity.subject); !why.empty()) {
    return Unauthenticated(absl::StrCat("sub ", why));
  }
  if (const std::string prefix =
          ReservedNamespaceOf(identity.subject, issuer->reserved_subject_prefixes);
      !prefix.empty()) {
    return Unauthenticated(
        absl::StrCat("sub \"", prefix, "...\" is the suite's own namespace, not this issuer's"));
  }
  for (const std::string& name : RoleNamesClaim(claims, issuer->roles_claim)) {
    std::optional<Role> role;
    if (issuer->role_mapping.empty()) {
      role = RoleFromName(name);
    } else if (auto it = issuer->role_mapping.find(name); it != issuer->role_mapping.end()) {
      role = it->second;
    }
    if (role.has_value() && !issuer->forbidden_roles.Has(*role)) identity.roles.Add(*role);
  }
  identity.tenant = StringClaim(claims, issuer->tenant_claim);
  identity.issuer = issuer->issuer;
  identity.expires = *exp + issuer->leeway;
  keys_used = std::move(keys);
  return identity;
}

std::string ReservedNamespaceOf(absl::string_view subject,
                                const std::vector<std::string>& reserved) {
  // Compared as people's names are ("ｓｅｒｖｉｃｅ:incident", "servıce:incident" and
  // "ⱥpikey:admin" read as the suite's own identities in the trail), and followed by anything
  // that could pass for the colon ("service︰incident", "service⦂incident"): only a letter, a
  // digit or an e-mail's "@" may follow the namespace's word.
  for (const std::string& subject_key : PersonKeys(subject)) {
    for (const std::string& prefix : reserved) {
      const std::string word = PersonKeys(absl::StripSuffix(prefix, ":"))[0];
      if (!absl::StartsWith(subject_key, word) || subject_key.size() == word.size()) continue;
      if (const char next = subject_key[word.size()]; !absl::ascii_isalnum(next) && next != '@') {
        return prefix;
      }
    }
  }
  return "";
}

}  // namespace itsm::auth
