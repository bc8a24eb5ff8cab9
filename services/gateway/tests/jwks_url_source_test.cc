// An identity provider's keys from its JWKS URL, served by a real HTTP server on loopback:
// fetched at start, cached for the provider's max-age and fetched again in the background once
// stale, fetched at once (and waited for) when a token names a new kid, never more than once per
// min_refresh however many unknown kids arrive, waited for by few callers while the provider is
// slow, and kept when the provider fails.
#include "services/gateway/src/jwks_url_source.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/auth/keys.h"
#include "itsm/auth/token_signer.h"
#include "itsm/auth/token_verifier.h"
#include "itsm/testing/http_receiver.h"

namespace itsm::gateway {
namespace {

using common::v1::ROLE_AGENT;

constexpr char kProvider[] = "https://login.example.com";

class JwksUrlSourceTest : public ::testing::Test {
 protected:
  JwksUrlSourceTest()
      : provider_([this](const itsm::testing::ReceivedRequest&) {
          absl::MutexLock lock(&mu_);
          return itsm::testing::Answer{.status = status_,
                                       .delay = delay_,
                                       .body = jwks_,
                                       .headers = {{"Cache-Control", cache_control_}}};
        }) {
    Publish({old_key_});
  }

  void Publish(const std::vector<auth::SigningKey>& keys, int status = 200,
               const std::string& cache_control = "public, max-age=120") {
    absl::MutexLock lock(&mu_);
    jwks_ = auth::JwksOf(keys);
    status_ = status;
    cache_control_ = cache_control;
  }
  void Break(const std::string& body) {
    absl::MutexLock lock(&mu_);
    jwks_ = body;
  }
  std::unique_ptr<JwksUrlSource> Open() {
    auto source =
        JwksUrlSource::Open({.url = provider_.Url("/keys"), .timeout = absl::Seconds(2)}, clock_);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? *std::move(source) : nullptr;
  }
  absl::Status Verify(std::shared_ptr<JwksUrlSource> keys, const auth::SigningKey& signer) {
    auth::TokenVerifier verifier({{.issuer = kProvider, .audience = "itsm", .keys = keys}}, clock_);
    auto token =
        auth::TokenSigner(signer, kProvider, clock_)
            .Sign({.subject = "bob@example.com", .roles = {ROLE_AGENT}}, "itsm", absl::Minutes(5));
    EXPECT_TRUE(token.ok());
    return verifier.Verify(*token).status();
  }
  size_t Fetches() const { return provider_.Requests().size(); }

  base::ManualClock clock_{absl::FromUnixSeconds(1800000000)};
  auth::SigningKey old_key_ = *auth::GenerateSigningKey(auth::Algorithm::kRs256);
  auth::SigningKey new_key_ = *auth::GenerateSigningKey(auth::Algorithm::kEs256);
  absl::Mutex mu_;
  std::string jwks_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 200;
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::string cache_control_ ABSL_GUARDED_BY(mu_);
  itsm::testing::HttpReceiver provider_;
};

TEST_F(JwksUrlSourceTest, FetchesAtStartAndVerifiesWithoutAskingAgainWhileFresh) {
  std::shared_ptr<JwksUrlSource> keys = Open();
  ASSERT_EQ(Fetches(), 1u);
  EXPECT_EQ(provider_.Requests()[0].target, "/keys");
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(Verify(keys, old_key_).ok());
  clock_.Advance(absl::Seconds(119));
  EXPECT_TRUE(Verify(keys, old_key_).ok());
  EXPECT_EQ(Fetches(), 1u);
}

TEST_F(JwksUrlSourceTest, ARotatedKeyWorksAtOnceAndARemovedOneStopsWorking) {
  std::shared_ptr<JwksUrlSource> keys = Open();
  clock_.Advance(absl::Seconds(11));  // min_refresh after the start's fetch
  Publish({old_key_, new_key_});
  // The new kid is unknown to the cache: fetched at once, waited for.
  EXPECT_TRUE(Verify(keys, new_key_).ok());
  EXPECT_EQ(Fetches(), 2u);
  Publish({new_key_});
  clock_.Advance(absl::Minutes(3));  // past max-age: fetched again in the background
  keys->Current();
  ASSERT_TRUE(provider_.WaitFor(3, absl::Seconds(10)));
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {  // the background fetch lands
    refused = !Verify(keys, old_key_).ok();
    if (!refused) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(refused) << "a key the provider removed still verifies";
  EXPECT_TRUE(Verify(keys, new_key_).ok());
}

TEST_F(JwksUrlSourceTest, UnknownKidsAskTheProviderAtMostOncePerMinRefresh) {
  std::shared_ptr<JwksUrlSource> keys = Open();
  auth::SigningKey stranger = *auth::GenerateSigningKey(auth::Algorithm::kRs256);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(Verify(keys, stranger).ok());
  EXPECT_EQ(Fetches(), 1u);  // within min_refresh of the start's fetch: no look at all
  clock_.Advance(absl::Seconds(11));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(Verify(keys, stranger).ok());
  EXPECT_EQ(Fetches(), 2u);  // one look for the first unknown kid
  clock_.Advance(absl::Seconds(11));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(Verify(keys, stranger).ok());
  EXPECT_EQ(Fetches(), 3u);
}

TEST_F(JwksUrlSourceTest, WhileTheProviderIsSlowOnlyAFewCallersWaitForItsKeys) {
  std::shared_ptr<JwksUrlSource> keys = Open();
  {
    absl::MutexLock lock(&mu_);
    delay_ = absl::Milliseconds(1500);
  }
  clock_.Advance(absl::Seconds(11));
  // Eight unknown kids at once, as a flood of made-up ones would come.
  constexpr int kCallers = 8;
  std::vector<absl::Duration> took(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      const absl::Time start = absl::Now();
      keys->Refresh();
      took[i] = absl::Now() - start;
    });
  }
  for (auto& t : callers) t.join();
  int waited = 0;
  for (absl::Duration d : took) waited += d >= absl::Seconds(1) ? 1 : 0;
  EXPECT_GE(waited, 1);  // the first caller waits for the rotation it may need
  EXPECT_LE(waited, 2);  // max_waiters: the rest went on with the keys they had
  EXPECT_EQ(Fetches(), 2u);
}

TEST_F(JwksUrlSourceTest, AProviderThatFailsLeavesTheKeysLastFetched) {
  std::shared_ptr<JwksUrlSource> keys = Open();
  Publish({}, 503);
  clock_.Advance(absl::Minutes(3));
  keys->Refresh();  // waited for
  EXPECT_EQ(Fetches(), 2u);
  EXPECT_TRUE(Verify(keys, old_key_).ok());
  Publish({});
  Break("{not json");
  clock_.Advance(absl::Seconds(11));
  keys->Refresh();
  EXPECT_EQ(Fetches(), 3u);
  EXPECT_TRUE(Verify(keys, old_key_).ok());
}

TEST_F(JwksUrlSourceTest, AProviderDownAtStartIsNoErrorItsTokensWaitForItsKeys) {
  Publish({}, 503);
  std::shared_ptr<JwksUrlSource> keys = Open();
  ASSERT_NE(keys, nullptr);
  EXPECT_FALSE(Verify(keys, old_key_).ok());
  Publish({old_key_});
  clock_.Advance(absl::Seconds(11));
  EXPECT_TRUE(Verify(keys, old_key_).ok());
}

TEST(JwksUrlSourceOpen, RefusesKeysOverPlainHttpExceptOnLoopback) {
  base::ManualClock clock{absl::FromUnixSeconds(1800000000)};
  auto refused = JwksUrlSource::Open({.url = "http://idp.example.com/keys"}, clock);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwksUrlSource::Open({.url = "idp.example.com/keys"}, clock).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A name that starts like a loopback address is anyone's.
  EXPECT_EQ(JwksUrlSource::Open({.url = "http://127.attacker.example/keys"}, clock).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(JwksUrlSource::Open({.url = "http://127.0.0.2:9/keys"}, clock).ok());
  EXPECT_EQ(
      JwksUrlSource::Open({.url = "https://idp.example.com/keys", .ca_file = "/nope.pem"}, clock)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::gateway
