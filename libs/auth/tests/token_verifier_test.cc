// The verifier against the attacks of RFC 8725 and everyday mistakes: expired, not yet valid,
// wrong issuer or audience, wrong key, tampered payload, alg=none, HS256 "signed" with the RSA
// public key, unknown kid, key rotation. Tokens are made with libjwt directly (not with
// TokenSigner) so that a test can forge what a signer never would.
#include "itsm/auth/token_verifier.h"

#include <jwt.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/auth/token_signer.h"

namespace itsm::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1796000000);  // 2026-11-30

// Signs `claims` (JSON) with libjwt: any algorithm, any key bytes, any kid.
std::string Forge(const std::string& claims, jwt_alg_t alg, const std::string& key,
                  const std::string& kid) {
  jwt_t* jwt = nullptr;
  EXPECT_EQ(jwt_new(&jwt), 0);
  EXPECT_EQ(jwt_add_grants_json(jwt, claims.c_str()), 0);
  if (!kid.empty()) {
    EXPECT_EQ(jwt_add_header(jwt, "kid", kid.c_str()), 0);
  }
  EXPECT_EQ(jwt_set_alg(jwt, alg, key.empty() ? nullptr : (const unsigned char*)key.data(),
                        static_cast<int>(key.size())),
            0);
  char* raw = jwt_encode_str(jwt);
  std::string token = raw != nullptr ? raw : "";
  std::free(raw);
  jwt_free(jwt);
  return token;
}

std::string Claims(absl::Time exp, const std::string& extra = "") {
  return absl::StrCat(R"({"iss":"https://idp.example.com","aud":["itsm","other"],)",
                      R"("sub":"alice@example.com","roles":["agent","viewer","nonsense"],)",
                      R"("tenant":"acme","exp":)", absl::ToUnixSeconds(exp), extra, "}");
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  // RSA key generation takes a good part of a second: one set of keys for all tests.
  static void SetUpTestSuite() {
    keys_ = new Keys{*GenerateSigningKey(Algorithm::kEs256, "ec-1"),
                     *GenerateSigningKey(Algorithm::kRs256, "rsa-1"),
                     *GenerateSigningKey(Algorithm::kEs256, "ec-1")};  // same kid, other key
  }
  static void TearDownTestSuite() { delete keys_; }
  void SetUp() override {
    ec_ = keys_->ec;
    rsa_ = keys_->rsa;
    other_ = keys_->other;
    source_ = std::make_shared<StaticKeySource>(*ParseJwks(JwksOf({ec_, rsa_})));
  }
  TokenVerifier Verifier() {
    return TokenVerifier(
        {{.issuer = "https://idp.example.com", .audience = "itsm", .keys = source_}}, clock_);
  }
  absl::Status Refusal(const std::string& token) { return Verifier().Verify(token).status(); }

  struct Keys {
    SigningKey ec, rsa, other;
  };
  static inline Keys* keys_ = nullptr;
  base::ManualClock clock_{kNow};
  SigningKey ec_, rsa_, other_;
  std::shared_ptr<KeySource> source_;
};

TEST_F(TokenVerifierTest, AcceptsEs256AndRs256AndReadsTheIdentity) {
  for (const SigningKey* key : {&ec_, &rsa_}) {
    jwt_alg_t alg = key->alg == Algorithm::kEs256 ? JWT_ALG_ES256 : JWT_ALG_RS256;
    absl::StatusOr<Identity> who =
        Verifier().Verify(Forge(Claims(kNow + absl::Minutes(5)), alg, key->private_pem, key->kid));
    ASSERT_TRUE(who.ok()) << who.status();
    EXPECT_EQ(who->subject, "alice@example.com");
    EXPECT_EQ(who->roles, (RoleSet{common::v1::ROLE_AGENT, common::v1::ROLE_VIEWER}));
    EXPECT_EQ(who->tenant, "acme");
    EXPECT_EQ(who->issuer, "https://idp.example.com");
  }
}

TEST_F(TokenVerifierTest, ExpiredAndNotYetValidTokensAreRefusedBeyondTheLeeway) {
  std::string expired =
      Forge(Claims(kNow - absl::Seconds(61)), JWT_ALG_ES256, ec_.private_pem, "ec-1");
  EXPECT_THAT(Refusal(expired).message(), HasSubstr("expired at"));
  EXPECT_EQ(Refusal(expired).code(), absl::StatusCode::kUnauthenticated);
  std::string within_leeway =
      Forge(Claims(kNow - absl::Seconds(30)), JWT_ALG_ES256, ec_.private_pem, "ec-1");
  EXPECT_TRUE(Refusal(within_leeway).ok());
  std::string early =
      Forge(Claims(kNow + absl::Hours(1),
                   absl::StrCat(R"(,"nbf":)", absl::ToUnixSeconds(kNow + absl::Minutes(5)))),
            JWT_ALG_ES256, ec_.private_pem, "ec-1");
  EXPECT_THAT(Refusal(early).message(), HasSubstr("not valid before"));
  std::string no_exp = Forge(R"({"iss":"https://idp.example.com","aud":"itsm","sub":"a"})",
                             JWT_ALG_ES256, ec_.private_pem, "ec-1");
  EXPECT_THAT(Refusal(no_exp).message(), HasSubstr("exp is required"));
}

TEST_F(TokenVerifierTest, ACachedTokenStillExpires) {
  TokenVerifier verifier = Verifier();
  std::string token =
      Forge(Claims(kNow + absl::Seconds(10)), JWT_ALG_ES256, ec_.private_pem, "ec-1");
  ASSERT_TRUE(verifier.Verify(token).ok());
  clock_.Advance(absl::Seconds(71));
  EXPECT_THAT(verifier.Verify(token).status().message(), HasSubstr("expired"));
}

TEST_F(TokenVerifierTest, WrongIssuerAudienceOrSubjectIsRefused) {
  std::string wrong_iss =
      Forge(R"({"iss":"https://evil.example.com","aud":"itsm","sub":"a","exp":1896000000})",
            JWT_ALG_ES256, ec_.private_pem, "ec-1");
  EXPECT_THAT(Refusal(wrong_iss).message(), HasSubstr("not trusted"));
  std::string wrong_aud =
      Forge(R"({"iss":"https://idp.example.com","aud":"grafana","sub":"a","exp":1896000000})",
            JWT_ALG_ES256, ec_.private_pem, "ec-1");
  EXPECT_THAT(Refusal(wrong_aud).message(), HasSubstr("audience"));
  std::string no_sub = Forge(R"({"iss":"https://idp.example.com","aud":"itsm","exp":1896000000})",
                             JWT_ALG_ES256, ec_.private_pem, "ec-1");
  EXPECT_THAT(Refusal(no_sub).message(), HasSubstr("sub is required"));
}

TEST_F(TokenVerifierTest, ASignatureByAnotherKeyOrOverATamperedPayloadDoesNotVerify) {
  std::string wrong_key =
      Forge(Claims(kNow + absl::Minutes(5)), JWT_ALG_ES256, other_.private_pem, "ec-1");
  EXPECT_THAT(Refusal(wrong_key).message(), HasSubstr("signature does not verify"));

  std::string good = Forge(Claims(kNow + absl::Minutes(5)), JWT_ALG_ES256, ec_.private_pem, "ec-1");
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  std::string admin_claims = absl::WebSafeBase64Escape(
      Claims(kNow + absl::Minutes(5))
          .replace(Claims(kNow + absl::Minutes(5)).find("\"agent\""), 7, "\"admin\""));
  std::string tampered = absl::StrCat(parts[0], ".", admin_claims, ".", parts[2]);
  EXPECT_THAT(Refusal(tampered).message(), HasSubstr("signature does not verify"));
}

TEST_F(TokenVerifierTest, AlgNoneIsRefusedWithOrWithoutASignature) {
  std::string header = absl::WebSafeBase64Escape(R"({"alg":"none","kid":"ec-1"})");
  std::string payload = absl::WebSafeBase64Escape(Claims(kNow + absl::Minutes(5)));
  EXPECT_THAT(Refusal(absl::StrCat(header, ".", payload, ".")).message(),
              HasSubstr("not a signed JWT"));
  EXPECT_THAT(Refusal(absl::StrCat(header, ".", payload, ".c2ln")).message(),
              HasSubstr("alg \"none\" is not accepted"));
  std::string unsigned_by_libjwt = Forge(Claims(kNow + absl::Minutes(5)), JWT_ALG_NONE, "", "ec-1");
  EXPECT_EQ(Refusal(unsigned_by_libjwt).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenVerifierTest, Hs256SignedWithTheRsaPublicKeyIsRefused) {
  // The classic confusion: a verifier that lets the header pick the algorithm would check this
  // HMAC with the public key it holds for rsa-1 as the secret, and accept it.
  std::string confused =
      Forge(Claims(kNow + absl::Minutes(5)), JWT_ALG_HS256, rsa_.public_pem, "rsa-1");
  EXPECT_THAT(Refusal(confused).message(), HasSubstr("alg \"HS256\" is not accepted"));
  // And an ES256 header on the RSA key's kid is refused before any check.
  std::string mismatched =
      Forge(Claims(kNow + absl::Minutes(5)), JWT_ALG_ES256, ec_.private_pem, "rsa-1");
  EXPECT_THAT(Refusal(mismatched).message(), HasSubstr("does not fit key"));
}

TEST_F(TokenVerifierTest, UnknownKidAndGarbageAreRefused) {
  std::string unknown =
      Forge(Claims(kNow + absl::Minutes(5)), JWT_ALG_ES256, ec_.private_pem, "ec-9");
  EXPECT_THAT(Refusal(unknown).message(), HasSubstr("no key \"ec-9\""));
  EXPECT_THAT(Refusal("").message(), HasSubstr("empty"));
  EXPECT_THAT(Refusal("a.b").message(), HasSubstr("not a signed JWT"));
  EXPECT_THAT(Refusal("!!!.???.###").message(), HasSubstr("not base64url JSON"));
  EXPECT_THAT(Refusal(std::string(9000, 'a')).message(), HasSubstr("longer than"));
}

TEST_F(TokenVerifierTest, RolesAreMappedFromAnIdentityProvidersGroupsAndServiceIsNeverGranted) {
  TokenVerifier verifier({{.issuer = "https://idp.example.com",
                           .audience = "itsm",
                           .keys = source_,
                           .roles_claim = "groups",
                           .role_mapping = {{"itsm-agents", common::v1::ROLE_AGENT},
                                            {"svc", common::v1::ROLE_SERVICE}}}},
                         clock_);
  std::string token = Forge(Claims(kNow + absl::Minutes(5), R"(,"groups":"itsm-agents svc x")"),
                            JWT_ALG_ES256, ec_.private_pem, "ec-1");
  absl::StatusOr<Identity> who = verifier.Verify(token);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->roles, (RoleSet{common::v1::ROLE_AGENT}));
}

// An identity provider's user named like one of the suite's own identities ("apikey:deploy",
// "service:change", "local:root") would be recorded in the audit trail as that identity.
TEST_F(TokenVerifierTest, ASubjectInTheSuitesOwnNamespacesIsRefusedFromAnIdentityProvider) {
  TokenVerifier verifier({{.issuer = "https://idp.example.com",
                           .audience = "itsm",
                           .keys = source_,
                           .reserved_subject_prefixes = {"apikey:", "service:", "local:"}}},
                         clock_);
  // A token the provider signed for `subject`, written as it would appear in the JSON.
  auto for_subject = [&](absl::string_view subject) {
    return Forge(absl::StrCat(R"({"iss":"https://idp.example.com","aud":"itsm","sub":")", subject,
                              R"(","exp":)", absl::ToUnixSeconds(kNow + absl::Minutes(5)), "}"),
                 JWT_ALG_ES256, ec_.private_pem, "ec-1");
  };
  // Also as they read in the trail: full-width letters or colon, a dotless "i".
  for (const char* subject :
       {"apikey:deploy-bot", "service:change", "local:root", "APIKEY:admin", "Service:change",
        "\uff53\uff45\uff52\uff56\uff49\uff43\uff45:incident", "service\uff1aincident",
        "serv\u0131ce:change", "apikey\uff1aadmin", "local\uff1aroot",
        // and letters with strokes or curls, a vertical presentation form for the colon
        "\u2c65pikey:admin", "\ua7caervice:incident", "\u0234ocal:root", "service\ufe30incident",
        "apikey-admin",
        // and capitals of other scripts that read as Latin ones
        "\u0391\u03a1\u0399\u039a\u0395\u03a5:\u03a4\u0399\u039c",
        "\u0410\u0420\u0406\u041a\u0415\u0423:\u041a\u0406\u041c"}) {
    absl::Status refused = verifier.Verify(for_subject(subject)).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated) << subject;
    EXPECT_THAT(refused.message(), HasSubstr("the suite's own namespace")) << subject;
  }
  // Nor one padded to read as such in the audit trail.
  EXPECT_THAT(verifier.Verify(for_subject(" apikey:admin")).status().message(),
              HasSubstr("blanks"));
  // Nor one that looks like another: a Cyrillic letter among Latin ones, an invisible character,
  // a line break, a ratio sign for the colon (JSON escapes, as a provider would send them).
  for (const char* subject :
       {"\\u0430pikey:admin", "apikey\\u200b:admin", "bob\\nadmin", "service\\u2236incident"}) {
    absl::Status refused = verifier.Verify(for_subject(subject)).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated) << subject;
    EXPECT_THAT(refused.message(), HasSubstr("sub ")) << subject;
  }
  // A name in one alphabet, accented or not, and a space inside it are a person's.
  for (const char* subject : {"\\u0430\\u043b\\u0451\\u043d\\u0430", "Ren\\u00e9e Dupont"}) {
    EXPECT_TRUE(verifier.Verify(for_subject(subject)).ok()) << subject;
  }
  // Anything else, a colon included, is the provider's to name.
  std::string token = Forge(Claims(kNow + absl::Minutes(5), R"(,"x":"apikey:")"), JWT_ALG_ES256,
                            ec_.private_pem, "ec-1");
  EXPECT_TRUE(verifier.Verify(token).ok());
}

TEST_F(TokenVerifierTest, TokensOfTheSignerVerify) {
  TokenSigner signer(ec_, "https://idp.example.com", clock_);
  Identity alice{
      .subject = "alice@example.com", .roles = {common::v1::ROLE_SLA_MANAGER}, .tenant = "acme"};
  absl::StatusOr<std::string> token = signer.Sign(alice, "itsm", absl::Minutes(5));
  ASSERT_TRUE(token.ok()) << token.status();
  absl::StatusOr<Identity> who = Verifier().Verify(*token);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->subject, alice.subject);
  EXPECT_EQ(who->roles, alice.roles);
  EXPECT_EQ(who->tenant, "acme");
  EXPECT_EQ(Verifier().Verify(*signer.Sign(alice, "grafana", absl::Minutes(5))).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenVerifierTest, KeyRotationThroughTheJwksFile) {
  std::string path = absl::StrCat(::testing::TempDir(), "/jwks-", getpid(), ".json");
  auto write = [&](const std::vector<SigningKey>& keys) {
    std::ofstream(path, std::ios::trunc) << JwksOf(keys);
  };
  write({ec_});
  auto source = JwksFileSource::Open(path, clock_, absl::Seconds(10), absl::Seconds(1));
  ASSERT_TRUE(source.ok()) << source.status();
  std::shared_ptr<KeySource> shared = std::move(*source);
  TokenVerifier verifier({{.issuer = "iss", .audience = "itsm", .keys = shared}}, clock_);
  TokenSigner old_signer(ec_, "iss", clock_);
  SigningKey next = *GenerateSigningKey(Algorithm::kEs256, "ec-2");
  TokenSigner new_signer(next, "iss", clock_);
  Identity bob{.subject = "bob", .roles = {common::v1::ROLE_AGENT}};
  std::string old_token = *old_signer.Sign(bob, "itsm", absl::Hours(1));
  ASSERT_TRUE(verifier.Verify(old_token).ok());

  // A new key is published beside the old one: its tokens verify as soon as the source looks
  // again after meeting the unknown kid.
  write({ec_, next});
  clock_.Advance(absl::Seconds(2));
  std::string new_token = *new_signer.Sign(bob, "itsm", absl::Hours(1));
  EXPECT_TRUE(verifier.Verify(new_token).ok()) << verifier.Verify(new_token).status();
  EXPECT_TRUE(verifier.Verify(old_token).ok());

  // The old key is withdrawn: its tokens, even cached ones, stop at the next check.
  write({next});
  clock_.Advance(absl::Seconds(11));
  EXPECT_THAT(verifier.Verify(old_token).status().message(), HasSubstr("no key \"ec-1\""));
  EXPECT_TRUE(verifier.Verify(new_token).ok());

  // A broken file during rotation keeps the keys last read.
  std::ofstream(path, std::ios::trunc) << "{\"keys\": [";
  clock_.Advance(absl::Seconds(11));
  EXPECT_TRUE(verifier.Verify(new_token).ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace itsm::auth
