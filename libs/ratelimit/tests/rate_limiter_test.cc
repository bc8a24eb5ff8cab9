// The token buckets against a real redis-server, time from an injected clock: the burst, the
// refill, Retry-After, a bucket shared by two gateway replicas taken from by many threads at once
// (never more than the burst), and what a Redis outage answers.
#include "itsm/ratelimit/rate_limiter.h"

#include <signal.h>

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "itsm/supervisor/backends.h"
#include "itsm/testing/test_env.h"

namespace itsm::ratelimit {
namespace {

class RateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = supervisor::RedisServer::Start(dir_.File("redis"), 0, dir_.File("redis.log"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
  }
  RedisRateLimiter::Options Options() { return {.redis_address = redis_->address()}; }

  itsm::testing::ScratchDir dir_;
  std::unique_ptr<supervisor::RedisServer> redis_;
  base::ManualClock clock_{absl::FromUnixSeconds(1800000000)};
};

TEST_F(RateLimiterTest, TheBurstPassesThenCallersWaitForTheRefill) {
  RedisRateLimiter limiter(Options(), clock_);
  const RateLimit limit{.per_second = 2, .burst = 3};
  for (int i = 0; i < 3; ++i) {
    auto d = limiter.Take("alice|write", limit);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_TRUE(d->allowed) << i;
    EXPECT_EQ(d->remaining, 2 - i);
    EXPECT_EQ(d->limit, 3);
  }
  auto refused = limiter.Take("alice|write", limit);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->allowed);
  EXPECT_EQ(refused->retry_after, absl::Milliseconds(500));
  EXPECT_EQ(refused->reset, absl::Milliseconds(1500));
  // Another caller's bucket, and another route class, are their own.
  EXPECT_TRUE(limiter.Take("bob|write", limit)->allowed);
  EXPECT_TRUE(limiter.Take("alice|read", limit)->allowed);

  clock_.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(limiter.Take("alice|write", limit)->allowed);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(limiter.Take("alice|write", limit)->allowed) << "one token refilled in 500 ms";
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(limiter.Take("alice|write", limit)->remaining, 2) << "refills up to the burst only";
}

TEST_F(RateLimiterTest, ReplicasSharingABucketNeverSpendMoreThanTheBurst) {
  RedisRateLimiter replica_a(Options(), clock_);
  RedisRateLimiter replica_b(Options(), clock_);
  const RateLimit limit{.per_second = 0.001, .burst = 50};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      RedisRateLimiter& limiter = t % 2 ? replica_a : replica_b;
      for (int i = 0; i < 25; ++i) {
        auto d = limiter.Take("shared|write", limit);
        ASSERT_TRUE(d.ok()) << d.status();
        if (d->allowed) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 50);
}

TEST_F(RateLimiterTest, ARedisOutageIsUnavailableAndTheBucketsWorkAgainAfterIt) {
  RedisRateLimiter limiter(Options(), clock_);
  const RateLimit limit{.per_second = 1, .burst = 1};
  ASSERT_TRUE(limiter.Take("carol|read", limit).ok());
  const int port = redis_->port();
  redis_->Stop();
  auto during = limiter.Take("carol|read", limit);
  EXPECT_EQ(during.status().code(), absl::StatusCode::kUnavailable) << during.status();
  auto restarted =
      supervisor::RedisServer::Start(dir_.File("redis"), port, dir_.File("redis2.log"));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  redis_ = std::move(*restarted);
  clock_.Advance(absl::Seconds(1));
  auto after = limiter.Take("carol|read", limit);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->allowed);
}

// A frozen Redis (SIGSTOP: connected, never answering) costs one timeout, not one per call in
// turn: the calls that follow skip it until retry_interval has passed, then one asks again.
TEST_F(RateLimiterTest, AFrozenRedisCostsOneTimeoutThenCallsSkipItUntilItAnswers) {
  RedisRateLimiter limiter(Options(), clock_);
  const RateLimit limit{.per_second = 100, .burst = 100};
  ASSERT_TRUE(limiter.Take("dave|read", limit).ok());
  const pid_t pid = redis_->process().pid();
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  const absl::Time start = absl::Now();
  std::atomic<int> unavailable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (absl::IsUnavailable(limiter.Take("dave|read", limit).status())) ++unavailable;
      }
    });
  }
  for (auto& t : threads) t.join();
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(kill(pid, SIGCONT), 0);
  EXPECT_EQ(unavailable.load(), 200);
  // One 200 ms timeout (two at most, a call racing the first); one per call would be 40 s.
  EXPECT_LT(took, absl::Seconds(5)) << took;
  auto skipped = limiter.Take("dave|read", limit);
  EXPECT_NE(skipped.status().message().find("asked again every 1s"), absl::string_view::npos)
      << skipped.status();
  clock_.Advance(absl::Seconds(1));
  auto after = limiter.Take("dave|read", limit);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(limiter.Take("dave|read", limit).ok());
}

TEST_F(RateLimiterTest, ALimitThatCannotRefillIsRefused) {
  RedisRateLimiter limiter(Options(), clock_);
  EXPECT_EQ(limiter.Take("x", {.per_second = 0, .burst = 5}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(limiter.Take("x", {.per_second = 1, .burst = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::ratelimit
