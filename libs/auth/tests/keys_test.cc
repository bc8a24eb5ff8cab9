#include "itsm/auth/keys.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace itsm::auth {
namespace {

using ::testing::HasSubstr;

TEST(Keys, GeneratedKeysPublishAsJwksThatParsesBackToTheSamePublicKeys) {
  auto ec = GenerateSigningKey(Algorithm::kEs256, "ec-1");
  auto rsa = GenerateSigningKey(Algorithm::kRs256, "rsa-1");
  ASSERT_TRUE(ec.ok() && rsa.ok());
  absl::StatusOr<KeySet> keys = ParseJwks(JwksOf({*ec, *rsa}));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->keys().size(), 2u);
  ASSERT_NE(keys->Find("ec-1"), nullptr);
  EXPECT_EQ(keys->Find("ec-1")->alg, Algorithm::kEs256);
  EXPECT_EQ(keys->Find("ec-1")->public_pem, ec->public_pem);
  EXPECT_EQ(keys->Find("rsa-1")->alg, Algorithm::kRs256);
  EXPECT_EQ(keys->Find("rsa-1")->public_pem, rsa->public_pem);
  EXPECT_EQ(keys->Find(""), nullptr) << "no kid matches only a lone key";
  EXPECT_EQ(keys->Find("other"), nullptr);
}

TEST(Keys, APrivateKeyReadFromPemKeepsItsAlgorithm) {
  auto ec = GenerateSigningKey(Algorithm::kEs256, "a");
  ASSERT_TRUE(ec.ok());
  auto again = SigningKeyFromPem(ec->private_pem, "a");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->alg, Algorithm::kEs256);
  EXPECT_EQ(again->public_pem, ec->public_pem);
  EXPECT_EQ(SigningKeyFromPem("not a key", "a").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Keys, JwksRefusesWhatCannotBeUsedSafelyAndSkipsWhatIsNotForSigning) {
  EXPECT_THAT(ParseJwks("{}").status().message(), HasSubstr("jwks.keys: required"));
  EXPECT_THAT(ParseJwks("not json").status().message(), HasSubstr("jwks"));
  EXPECT_THAT(ParseJwks(R"({"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA","kid":"k"}]})")
                  .status()
                  .message(),
              HasSubstr("jwks.keys[0].crv"));
  EXPECT_THAT(
      ParseJwks(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"k"}]})").status().message(),
      HasSubstr("at least 2048 bits"));
  // A shared secret is never a verification key, and an encryption key is not for signatures.
  auto only_skipped = ParseJwks(
      R"({"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"},{"kty":"EC","use":"enc","kid":"e"}]})");
  ASSERT_TRUE(only_skipped.ok());
  EXPECT_TRUE(only_skipped->keys().empty());
  auto ec = GenerateSigningKey(Algorithm::kEs256, "");
  ASSERT_TRUE(ec.ok());
  ec->kid.clear();
  std::string two_without_kid = JwksOf({*ec, *ec});
  EXPECT_THAT(ParseJwks(two_without_kid).status().message(), HasSubstr("kid"));
}

// Beside usable keys, keys of other algorithms and curves, or weak ones, are skipped: the
// provider's rotation goes on (the whole set was once refused for one RS512 key).
TEST(Keys, JwksSkipsUnusableKeysBesideUsableOnes) {
  auto ec = GenerateSigningKey(Algorithm::kEs256, "ec-new");
  ASSERT_TRUE(ec.ok());
  std::string jwks = JwksOf({*ec});
  const std::string others =
      R"({"kty":"EC","crv":"P-384","x":"AA","y":"AA","kid":"p384"},)"
      R"({"kty":"RSA","alg":"RS512","use":"sig","n":"AQAB","e":"AQAB","kid":"rs512"},)"
      R"({"kty":"RSA","n":"AQAB","e":"AQAB","kid":"weak"},)";
  jwks.insert(jwks.find('[') + 1, others);
  auto keys = ParseJwks(jwks);
  ASSERT_TRUE(keys.ok()) << keys.status() << "\n" << jwks;
  ASSERT_EQ(keys->keys().size(), 1u);
  EXPECT_NE(keys->Find("ec-new"), nullptr);
  EXPECT_EQ(keys->Find("rs512"), nullptr);
  EXPECT_EQ(keys->Find("p384"), nullptr);
}

TEST(Keys, WithoutAKidAKeyIsNamedByItsThumbprintTheSameEveryTime) {
  auto ec = GenerateSigningKey(Algorithm::kEs256);
  ASSERT_TRUE(ec.ok());
  EXPECT_EQ(ec->kid.size(), 43u) << "base64url of a SHA-256";
  auto again = SigningKeyFromPem(ec->private_pem);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kid, ec->kid);
  auto other = GenerateSigningKey(Algorithm::kEs256);
  EXPECT_NE(other->kid, ec->kid);
}

TEST(Keys, AJwkWhoseAlgDoesNotFitItsTypeIsRefused) {
  auto ec = GenerateSigningKey(Algorithm::kEs256, "k");
  ASSERT_TRUE(ec.ok());
  std::string jwks = JwksOf({*ec});
  std::string lying = jwks;
  lying.replace(lying.find("ES256"), 5, "RS256");
  EXPECT_THAT(ParseJwks(lying).status().message(), HasSubstr("does not fit"));
}

}  // namespace
}  // namespace itsm::auth
