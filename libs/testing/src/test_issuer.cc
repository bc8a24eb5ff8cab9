#include "itsm/testing/test_issuer.h"

#include "gtest/gtest.h"
#include "itsm/auth/key_source.h"
#include "itsm/auth/token_signer.h"
#include "itsm/base/clock.h"
#include "itsm/runtime/outbound_identity.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::testing {

TestIssuer::TestIssuer() {
  auto key = auth::GenerateSigningKey(auth::Algorithm::kEs256);
  EXPECT_TRUE(key.ok()) << key.status();
  key_ = key.value_or(auth::SigningKey{});
}

std::shared_ptr<const runtime::CallAuthenticator> TestIssuer::AuthenticatorFor(
    const std::vector<std::string>& service_names) const {
  auto keys = auth::ParseJwks(auth::JwksOf({key_}));
  EXPECT_TRUE(keys.ok()) << keys.status();
  auto authenticator = runtime::CallAuthenticator::ForSuiteIssuer(
      std::make_shared<auth::StaticKeySource>(keys.value_or(auth::KeySet{})), kIssuer, kAudience,
      service_names);
  EXPECT_TRUE(authenticator.ok()) << authenticator.status();
  return authenticator.value_or(nullptr);
}

std::string TestIssuer::Authorization(const auth::Identity& identity, absl::Duration ttl) const {
  auto token =
      auth::TokenSigner(key_, kIssuer, base::SystemClock::Get()).Sign(identity, kAudience, ttl);
  EXPECT_TRUE(token.ok()) << token.status();
  return "Bearer " + token.value_or("");
}

std::shared_ptr<grpc::Channel> TestIssuer::Channel(const std::string& address,
                                                   const auth::Identity& identity) const {
  auto outbound = std::make_shared<runtime::OutboundIdentity>(
      auth::TokenSigner(key_, kIssuer, base::SystemClock::Get()), identity, kAudience,
      base::SystemClock::Get());
  return runtime::OutboundChannel(address, std::move(outbound));
}

std::vector<std::pair<std::string, std::string>> TestIssuer::ServiceEnv(
    const std::string& dir) const {
  const std::string key_file = dir + "/issuer-key.pem";
  const std::string jwks_file = dir + "/jwks.json";
  EXPECT_TRUE(supervisor::WriteFileAtomically(key_file, key_.private_pem).ok());
  EXPECT_TRUE(supervisor::WriteFileAtomically(jwks_file, auth::JwksOf({key_})).ok());
  return {{"ITSM_AUTH_JWKS_FILE", jwks_file},
          {"ITSM_AUTH_SIGNING_KEY_FILE", key_file},
          {"ITSM_AUTH_ISSUER", kIssuer},
          {"ITSM_AUTH_AUDIENCE", kAudience}};
}

}  // namespace itsm::testing
