#include "itsm/auth/token_signer.h"

#include <jwt.h>

#include <cstdlib>
#include <memory>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace itsm::auth {
namespace {

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};

std::string RandomTokenId() {
  static thread_local absl::BitGen gen;
  std::string bytes(16, '\0');
  for (char& c : bytes) c = static_cast<char>(absl::Uniform<uint8_t>(gen));
  return absl::WebSafeBase64Escape(bytes);
}

}  // namespace

absl::StatusOr<std::string> TokenSigner::Sign(const Identity& identity, absl::string_view audience,
                                              absl::Duration ttl) const {
  absl::Time now = clock_.Now();
  google::protobuf::Struct claims;
  auto& f = *claims.mutable_fields();
  f["iss"].set_string_value(issuer_);
  f["sub"].set_string_value(identity.subject);
  f["aud"].set_string_value(std::string(audience));
  f["iat"].set_number_value(static_cast<double>(absl::ToUnixSeconds(now)));
  f["nbf"].set_number_value(static_cast<double>(absl::ToUnixSeconds(now)));
  f["exp"].set_number_value(static_cast<double>(absl::ToUnixSeconds(now + ttl)));
  f["jti"].set_string_value(RandomTokenId());
  auto* roles = f["roles"].mutable_list_value();
  for (Role r : identity.roles.Roles()) roles->add_values()->set_string_value(RoleName(r));
  if (!identity.tenant.empty()) f["tenant"].set_string_value(identity.tenant);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(claims, &json).ok()) {
    return absl::InternalError("identity token: claims could not be written");
  }

  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("identity token: out of memory");
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  if (jwt_add_grants_json(jwt.get(), json.c_str()) != 0 ||
      jwt_add_header(jwt.get(), "kid", key_.kid.c_str()) != 0 ||
      jwt_set_alg(jwt.get(), key_.alg == Algorithm::kRs256 ? JWT_ALG_RS256 : JWT_ALG_ES256,
                  reinterpret_cast<const unsigned char*>(key_.private_pem.data()),
                  static_cast<int>(key_.private_pem.size())) != 0) {
    return absl::InternalError("identity token: could not be composed");
  }
  std::unique_ptr<char, decltype(&std::free)> token(jwt_encode_str(jwt.get()), &std::free);
  if (token == nullptr) return absl::InternalError("identity token: signing failed");
  return std::string(token.get());
}

}  // namespace itsm::auth
