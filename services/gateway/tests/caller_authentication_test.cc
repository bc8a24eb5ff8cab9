// The gateway's edge authentication with real keys, a real key store (SQLite) and an injected
// clock: API keys in either header, the suite's own tokens passed on unchanged, an identity
// provider's tokens vouched for in a suite token that never outlives them, and every way a
// credential is refused. What the services receive is checked by the verifier they run.
#include "services/gateway/src/caller_authentication.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "itsm/apikeys/api_key_management.h"
#include "itsm/auth/key_source.h"
#include "itsm/auth/keys.h"
#include "itsm/auth/token_signer.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"
#include "services/gateway/src/identity_providers.h"
#include "services/gateway/src/presented_credentials.h"

namespace itsm::gateway {
namespace {

using common::v1::ROLE_ADMIN;
using common::v1::ROLE_AGENT;
using common::v1::ROLE_SERVICE;
using common::v1::ROLE_VIEWER;

constexpr char kSuite[] = "itsm";
constexpr char kProvider[] = "https://login.example.com";

std::shared_ptr<auth::KeySource> KeysOf(const auth::SigningKey& key) {
  auto set = auth::ParseJwks(auth::JwksOf({key}));
  EXPECT_TRUE(set.ok()) << set.status();
  return std::make_shared<auth::StaticKeySource>(*std::move(set));
}

class CallerAuthenticationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(itsm::testing::Backend::kSqlite);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, apikeys::ApiKeyManagement::Schema()).ok());
    verifier_ = std::make_shared<auth::TokenVerifier>(
        std::vector<auth::TrustedIssuer>{
            {.issuer = kSuite,
             .audience = "itsm",
             .keys = KeysOf(suite_key_),
             .forbidden_roles = {}},
            {.issuer = kProvider, .audience = "itsm-api", .keys = KeysOf(provider_key_)}},
        clock_);
    api_keys_ = std::make_unique<apikeys::CachedApiKeyVerifier>(
        *db_, keys_, clock_, apikeys::CachedApiKeyVerifier::Options{.ttl = absl::Seconds(10)});
    callers_ = std::make_unique<CallerAuthentication>(
        verifier_, kSuite, auth::TokenSigner(suite_key_, kSuite, clock_), api_keys_.get(), clock_,
        CallerAuthentication::Options{.audience = "itsm", .token_ttl = absl::Minutes(5)});
    // What every service runs: the suite's issuer only.
    services_verifier_ = std::make_unique<auth::TokenVerifier>(
        std::vector<auth::TrustedIssuer>{{.issuer = kSuite,
                                          .audience = "itsm",
                                          .keys = KeysOf(suite_key_),
                                          .forbidden_roles = {}}},
        clock_);
  }

  gateway::v1::CreateApiKeyResponse NewKey(const std::string& name, common::v1::Role role) {
    gateway::v1::CreateApiKeyRequest request;
    request.set_name(name);
    request.add_roles(role);
    gateway::v1::CreateApiKeyResponse created;
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE(keys_.Create(**txn, {.actor = "root@corp"}, request, created).ok());
    EXPECT_TRUE((*txn)->Commit().ok());
    return created;
  }
  void Revoke(const gateway::v1::ApiKey& key) {
    gateway::v1::RevokeApiKeyRequest request;
    request.set_id(key.id());
    request.set_version(key.version());
    gateway::v1::ApiKey revoked;
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(keys_.Revoke(**txn, {.actor = "root@corp"}, request, revoked).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // What a service makes of the Authorization the gateway sends it.
  absl::StatusOr<auth::Identity> AtTheService(const Caller& caller) {
    absl::string_view header = caller.authorization;
    if (!absl::ConsumePrefix(&header, "Bearer ")) return absl::InternalError("no bearer");
    return services_verifier_->Verify(header);
  }
  std::string ProviderToken(const auth::Identity& who, absl::Duration ttl,
                            absl::string_view audience = "itsm-api") {
    auto token = auth::TokenSigner(provider_key_, kProvider, clock_).Sign(who, audience, ttl);
    EXPECT_TRUE(token.ok()) << token.status();
    return absl::StrCat("Bearer ", *token);
  }

  base::ManualClock clock_{absl::FromUnixSeconds(1800000000)};
  auth::SigningKey suite_key_ = *auth::GenerateSigningKey(auth::Algorithm::kEs256);
  auth::SigningKey provider_key_ = *auth::GenerateSigningKey(auth::Algorithm::kRs256);
  std::unique_ptr<storage::Database> db_;
  apikeys::ApiKeyManagement keys_{clock_};
  std::shared_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<apikeys::CachedApiKeyVerifier> api_keys_;
  std::unique_ptr<CallerAuthentication> callers_;
  std::unique_ptr<auth::TokenVerifier> services_verifier_;
};

TEST_F(CallerAuthenticationTest, AnApiKeyInEitherHeaderBecomesASuiteTokenForItsIdentity) {
  const auto key = NewKey("ci-pipeline", ROLE_AGENT);
  const std::string bearer = absl::StrCat("Bearer ", key.secret());
  const std::string lower_case = absl::StrCat("bearer ", key.secret());
  for (const Credentials& presented :
       {Credentials{.authorization = bearer}, Credentials{.authorization = lower_case},
        Credentials{.api_key = key.secret()}}) {
    auto caller = callers_->Authenticate(presented);
    ASSERT_TRUE(caller.ok()) << caller.status();
    EXPECT_EQ(caller->identity.subject, "apikey:ci-pipeline");
    auto seen = AtTheService(*caller);
    ASSERT_TRUE(seen.ok()) << seen.status();
    EXPECT_EQ(seen->subject, "apikey:ci-pipeline");
    EXPECT_TRUE(seen->roles.Has(ROLE_AGENT));
    EXPECT_FALSE(seen->roles.Has(ROLE_ADMIN));
    EXPECT_EQ(seen->issuer, kSuite);
  }
}

TEST_F(CallerAuthenticationTest, OneTokenIsSignedPerIdentityAndRenewedBeforeItEnds) {
  const auto key = NewKey("reporting", ROLE_VIEWER);
  const Credentials presented{.api_key = key.secret()};
  const std::string first = callers_->Authenticate(presented)->authorization;
  clock_.Advance(absl::Minutes(3));
  EXPECT_EQ(callers_->Authenticate(presented)->authorization, first);
  // Past four fifths of its five minutes: a new one, which the services accept at once.
  clock_.Advance(absl::Minutes(1) + absl::Seconds(1));
  auto renewed = callers_->Authenticate(presented);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_NE(renewed->authorization, first);
  EXPECT_TRUE(AtTheService(*renewed).ok());
}

TEST_F(CallerAuthenticationTest, ARevokedKeyStopsWorkingWhenTheCacheLetsGo) {
  const auto key = NewKey("old-integration", ROLE_AGENT);
  const Credentials presented{.api_key = key.secret()};
  ASSERT_TRUE(callers_->Authenticate(presented).ok());
  Revoke(key.api_key());
  clock_.Advance(absl::Seconds(11));
  auto refused = callers_->Authenticate(presented);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
}

TEST_F(CallerAuthenticationTest, TheSuitesOwnTokenGoesOnAsItCame) {
  auto token =
      auth::TokenSigner(suite_key_, kSuite, clock_)
          .Sign({.subject = "alice@corp", .roles = {ROLE_AGENT}}, "itsm", absl::Minutes(10));
  ASSERT_TRUE(token.ok());
  const std::string authorization = absl::StrCat("Bearer ", *token);
  auto caller = callers_->Authenticate({.authorization = authorization});
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->authorization, authorization);
  EXPECT_EQ(caller->identity.subject, "alice@corp");
}

TEST_F(CallerAuthenticationTest, AProvidersTokenIsVouchedForNoLongerThanItLasts) {
  const std::string authorization = ProviderToken(
      {.subject = "bob@example.com", .roles = {ROLE_AGENT, ROLE_SERVICE}}, absl::Seconds(90));
  auto caller = callers_->Authenticate({.authorization = authorization});
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_NE(caller->authorization, authorization);
  auto seen = AtTheService(*caller);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->subject, "bob@example.com");
  EXPECT_TRUE(seen->roles.Has(ROLE_AGENT));
  // A provider never makes a service identity.
  EXPECT_FALSE(seen->roles.Has(ROLE_SERVICE));
  // The suite token ends when the provider's token stops being accepted (its exp and the 60 s
  // leeway), not five minutes later; the services allow their own 60 s of clock skew on top.
  constexpr absl::Duration kLeeway = absl::Seconds(60);
  EXPECT_LE(seen->expires, clock_.Now() + absl::Seconds(90) + kLeeway + kLeeway);
  // Once the provider's token expired (and its leeway), the gateway refuses it: the suite token
  // was never the caller's to present, and it lapses soon after.
  clock_.Advance(absl::Seconds(90) + kLeeway + absl::Seconds(1));
  EXPECT_EQ(callers_->Authenticate({.authorization = authorization}).status().code(),
            absl::StatusCode::kUnauthenticated);
  clock_.Advance(kLeeway);
  EXPECT_FALSE(AtTheService(*caller).ok());
}

TEST_F(CallerAuthenticationTest, EveryBadCredentialIsRefusedWithItsReason) {
  const auto key = NewKey("valid", ROLE_AGENT);
  struct Case {
    Credentials presented;
    std::string reason;
  };
  const std::string wrong_audience =
      ProviderToken({.subject = "eve", .roles = {ROLE_ADMIN}}, absl::Minutes(5), "other-api");
  const std::string unknown_issuer = absl::StrCat(
      "Bearer ", *auth::TokenSigner(provider_key_, "https://evil.example", clock_)
                      .Sign({.subject = "eve", .roles = {ROLE_ADMIN}}, "itsm", absl::Minutes(5)));
  std::string tampered_key = key.secret();
  tampered_key.back() = tampered_key.back() == 'A' ? 'B' : 'A';
  for (const Case& c : std::vector<Case>{
           {{}, "no credentials"},
           {{.authorization = "Basic dXNlcjpwYXNz"}, "Bearer"},
           {{.authorization = "Bearer "}, "Bearer"},
           {{.authorization = absl::StrCat("Bearer ", key.secret()), .api_key = key.secret()},
            "not both"},
           // An empty Authorization beside a key: two credentials all the same.
           {{.authorization_given = true, .api_key = key.secret()}, "not both"},
           {{.authorization = absl::StrCat("Bearer ", key.secret()), .api_key_given = true},
            "not both"},
           // A valid key, but its header came twice (the second maybe another caller's).
           {{.authorization = absl::StrCat("Bearer ", key.secret()), .repeated = true},
            "more than once"},
           {{.api_key = tampered_key}, "API key"},
           {{.api_key = "itsm_000000000000_nothing"}, "API key"},
           {{.authorization = wrong_audience}, ""},
           {{.authorization = unknown_issuer}, ""},
           {{.authorization = "Bearer not.a.jwt"}, ""},
           // A valid token, in the header for API keys.
           {{.api_key = ProviderToken({.subject = "eve", .roles = {ROLE_AGENT}}, absl::Minutes(5))
                            .substr(7)},
            "X-API-Key: not an API key"},
       }) {
    auto refused = callers_->Authenticate(c.presented);
    SCOPED_TRACE(absl::StrCat(c.presented.authorization, " / ", c.presented.api_key));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
    EXPECT_TRUE(absl::StrContains(refused.status().message(), c.reason)) << refused.status();
  }
}

// One reading of a request's credentials for every route; a header given twice is noticed.
TEST(PresentedCredentialsTest, ReadsBothHeadersAndNoticesOneGivenTwice) {
  HttpRequest request(boost::beast::http::verb::get, "/v1/session", 11);
  request.insert(boost::beast::http::field::authorization, "Bearer first");
  request.insert("X-API-Key", "itsm_key");
  Credentials presented = PresentedCredentials(request);
  EXPECT_EQ(presented.authorization, "Bearer first");
  EXPECT_EQ(presented.api_key, "itsm_key");
  EXPECT_FALSE(presented.repeated);
  request.insert(boost::beast::http::field::authorization, "Bearer second");
  EXPECT_TRUE(PresentedCredentials(request).repeated);
  request.erase(boost::beast::http::field::authorization);
  request.insert("X-API-Key", "itsm_other");
  EXPECT_TRUE(PresentedCredentials(request).repeated);
}

TEST(RoleMappingTest, ProviderRolesMapOntoSuiteRolesButNeverOntoService) {
  auto mapping = ParseRoleMapping(" itsm-agents=agent, itsm-admins = admin ", "oidc_role_mapping");
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  EXPECT_EQ(mapping->at("itsm-agents"), ROLE_AGENT);
  EXPECT_EQ(mapping->at("itsm-admins"), ROLE_ADMIN);
  EXPECT_TRUE(ParseRoleMapping("", "oidc_role_mapping")->empty());
  for (const char* bad : {"itsm-agents", "x=wizard", "=agent", "robots=service"}) {
    auto refused = ParseRoleMapping(bad, "oidc_role_mapping");
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StrContains(refused.status().ToString(), "oidc_role_mapping")) << bad;
  }
}

}  // namespace
}  // namespace itsm::gateway
