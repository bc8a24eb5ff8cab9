// Rate limits shared by every gateway replica: one token bucket per caller and route class in
// Redis, taken from by an atomic Lua script, so that two replicas never both spend the last
// token. A bucket holds up to `burst` tokens and refills at `per_second`; a request costs one.
//
//   RedisRateLimiter limiter({.redis_address = "127.0.0.1:6379"}, clock);
//   ITSM_ASSIGN_OR_RETURN(RateDecision d,
//                         limiter.Take("apikey:ci|write", {.per_second = 20, .burst = 40}));
//   if (!d.allowed) ... 429, Retry-After: d.retry_after ...
//
// Time is the caller's clock (passed to the script), so tests drive it; replicas' clocks agree
// to well under a token's interval under NTP. The client is synchronous: call it where blocking
// is allowed.
//
// Calls share one connection, one at a time. When Redis does not answer (down, or frozen: each
// call then waits the whole timeout), the limiter stops asking it for `retry_interval`: calls
// are UNAVAILABLE at once, and after the interval one call tries Redis again while the others
// still are. A frozen Redis so costs one timeout per interval, not one per request in turn.
#ifndef ITSM_RATELIMIT_RATE_LIMITER_H_
#define ITSM_RATELIMIT_RATE_LIMITER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/base/clock.h"
#include "itsm/redis/redis_client.h"

namespace itsm::ratelimit {

struct RateLimit {
  double per_second = 10;
  int64_t burst = 20;
};

struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;      // the burst: RateLimit-Limit
  int64_t remaining = 0;  // whole tokens left: RateLimit-Remaining
  // Until the bucket is full again: RateLimit-Reset.
  absl::Duration reset = absl::ZeroDuration();
  // Refused: until one request's worth has refilled (Retry-After).
  absl::Duration retry_after = absl::ZeroDuration();
};

class RedisRateLimiter {
 public:
  struct Options {
    std::string redis_address;
    redis::RedisAuth auth = {};
    std::string key_prefix = "itsm:ratelimit:";
    absl::Duration timeout = absl::Milliseconds(200);
    // After Redis failed to answer: how long calls skip it before one tries again.
    absl::Duration retry_interval = absl::Seconds(1);
  };
  RedisRateLimiter(Options options, const base::Clock& clock);

  // Takes one token from `bucket`. UNAVAILABLE when Redis cannot answer: the caller chooses to
  // fail open or closed.
  absl::StatusOr<RateDecision> Take(const std::string& bucket, const RateLimit& limit);

 private:
  // OK when this call asks Redis: it answered last time, or (with `may_retry`) this call is the
  // one trying it again after retry_interval (`*retrying` set). UNAVAILABLE otherwise.
  absl::Status Admit(bool may_retry, bool* retrying);

  const Options options_;
  const base::Clock& clock_;
  // The circuit: when Redis last failed to answer, and whether one call is trying it again.
  absl::Mutex state_mu_;
  absl::Time failed_at_ ABSL_GUARDED_BY(state_mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(state_mu_);
  bool retrying_ ABSL_GUARDED_BY(state_mu_) = false;
  absl::Mutex mu_;
  // One connection, one request at a time: a script call takes well under a millisecond.
  redis::RedisClient client_ ABSL_GUARDED_BY(mu_);
  redis::RedisClient::Script script_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::ratelimit

#endif  // ITSM_RATELIMIT_RATE_LIMITER_H_
