// Rate limits per caller and route class at the gateway: every verified identity has a read
// bucket (GET) and a write bucket (every other method) in Redis, shared by the gateway's
// replicas (libs/ratelimit). The answer carries the RateLimit-Limit, -Remaining and -Reset
// headers; a refusal is 429 with Retry-After.
//
// When Redis cannot answer, `fail_open` decides: requests go through unlimited (the default:
// the API stays up when its limiter's store is down, and the outage is counted and logged), or
// are refused with 503.
//
//   CallerRateLimits limits(limiter, {.read = {50, 100}, .write = {20, 40}});
//   RateVerdict verdict = limits.Take(caller.identity, /*write=*/true);
#ifndef ITSM_SERVICES_GATEWAY_SRC_CALLER_RATE_LIMITS_H_
#define ITSM_SERVICES_GATEWAY_SRC_CALLER_RATE_LIMITS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "itsm/auth/identity.h"
#include "itsm/ratelimit/rate_limiter.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace itsm::gateway {

struct RateVerdict {
  // OK, or 429 (RESOURCE_EXHAUSTED) / 503 (UNAVAILABLE, failing closed) with the reason.
  absl::Status refusal = absl::OkStatus();
  // Headers for the answer, refused or not.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

class CallerRateLimits {
 public:
  struct Options {
    ratelimit::RateLimit read = {};
    ratelimit::RateLimit write = {};
    bool fail_open = true;
  };
  CallerRateLimits(ratelimit::RedisRateLimiter& limiter, Options options,
                   prometheus::Registry& registry);

  // Takes one request's token from the caller's bucket of the class. Blocking (one Redis call).
  RateVerdict Take(const auth::Identity& caller, bool write);

 private:
  ratelimit::RedisRateLimiter& limiter_;
  const Options options_;
  prometheus::Counter& refused_;
  prometheus::Counter& unavailable_;
  std::atomic<int64_t> last_warning_{0};  // unix seconds of the last outage warning
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_CALLER_RATE_LIMITS_H_
