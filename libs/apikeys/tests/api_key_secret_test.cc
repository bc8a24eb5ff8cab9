// The key format and its checks: every generated secret parses, nothing else does, and only the
// exact secret matches its stored hash.
#include "itsm/apikeys/api_key_secret.h"

#include <set>

#include "gtest/gtest.h"

namespace itsm::apikeys {
namespace {

TEST(ApiKeySecret, GeneratedSecretsParseAreDistinctAndMatchOnlyThemselves) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto secret = NewApiKeySecret();
    ASSERT_TRUE(secret.ok()) << secret.status();
    ASSERT_EQ(LookupIdOf(secret->secret), secret->lookup_id) << secret->secret;
    EXPECT_EQ(secret->secret.rfind(PrefixOf(secret->lookup_id) + "_", 0), 0u);
    EXPECT_TRUE(seen.insert(secret->secret).second);
    const std::string hash = HashOfSecret(secret->secret);
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_TRUE(SecretMatches(secret->secret, hash));
    std::string altered = secret->secret;
    altered.back() = altered.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(SecretMatches(altered, hash));
    EXPECT_EQ(LookupIdOf(altered), secret->lookup_id) << "same lookup, wrong key: found, refused";
  }
}

TEST(ApiKeySecret, MalformedSecretsHaveNoLookupId) {
  auto good = NewApiKeySecret();
  ASSERT_TRUE(good.ok());
  const std::string s = good->secret;
  for (const std::string& bad :
       {std::string(), std::string("itsm_"), s.substr(1), s + "x", "ITSM" + s.substr(4),
        s.substr(0, 5) + "Z" + s.substr(6), s.substr(0, 17) + "-" + s.substr(18),
        s.substr(0, 20) + "%" + s.substr(21), std::string("Bearer ") + s}) {
    EXPECT_FALSE(LookupIdOf(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace itsm::apikeys
