#include "itsm/ratelimit/rate_limiter.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace itsm::ratelimit {
namespace {

// KEYS[1]: the bucket. ARGV: now (ms), refill rate (tokens per ms), burst.
// Returns {allowed, whole tokens left, ms until full, ms until one token}. The bucket expires
// once it would be full anyway, so idle callers cost no memory.
constexpr char kTakeScript[] = R"lua(
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
local until_full = math.ceil((burst - tokens) / rate)
redis.call('PEXPIRE', KEYS[1], until_full + 1000)
local until_one = 0
if allowed == 0 then
  until_one = math.ceil((1 - tokens) / rate)
end
return {allowed, math.floor(tokens), until_full, until_one}
)lua";

}  // namespace

RedisRateLimiter::RedisRateLimiter(Options options, const base::Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      client_(options_.redis_address, options_.timeout, options_.auth),
      script_{kTakeScript, ""} {}

absl::Status RedisRateLimiter::Admit(bool may_retry, bool* retrying) {
  absl::MutexLock state(&state_mu_);
  if (failed_at_ == absl::InfinitePast()) return absl::OkStatus();
  const absl::Duration since = clock_.Now() - failed_at_;
  if (may_retry && since >= options_.retry_interval && !retrying_) {
    retrying_ = true;  // this call tries Redis again; the others skip it until it answers
    *retrying = true;
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("Redis did not answer ", absl::FormatDuration(since),
                                             " ago (", last_error_, "); asked again every ",
                                             absl::FormatDuration(options_.retry_interval)));
}

absl::StatusOr<RateDecision> RedisRateLimiter::Take(const std::string& bucket,
                                                    const RateLimit& limit) {
  if (limit.per_second <= 0 || limit.burst <= 0) {
    return absl::InvalidArgumentError("rate limit: per_second and burst must be positive");
  }
  bool retrying = false;
  if (absl::Status skipped = Admit(/*may_retry=*/true, &retrying); !skipped.ok()) return skipped;
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  absl::StatusOr<redis::RedisValue> reply;
  {
    absl::MutexLock lock(&mu_);
    // Redis may have failed for the call this one waited behind.
    if (!retrying) {
      if (absl::Status skipped = Admit(/*may_retry=*/false, &retrying); !skipped.ok()) {
        return skipped;
      }
    }
    reply = client_.Eval(script_, {absl::StrCat(options_.key_prefix, bucket)},
                         {absl::StrCat(now_ms), absl::StrFormat("%.9f", limit.per_second / 1000.0),
                          absl::StrCat(limit.burst)});
  }
  {
    absl::MutexLock state(&state_mu_);
    if (retrying) retrying_ = false;
    if (reply.ok()) {
      failed_at_ = absl::InfinitePast();
    } else {
      failed_at_ = clock_.Now();
      last_error_ = std::string(reply.status().message());
    }
  }
  if (!reply.ok()) return absl::UnavailableError(reply.status().message());
  if (reply->type != redis::RedisValue::Type::kArray || reply->elements.size() != 4) {
    return absl::InternalError("rate limit script: unexpected reply");
  }
  return RateDecision{.allowed = reply->elements[0].integer == 1,
                      .limit = limit.burst,
                      .remaining = reply->elements[1].integer,
                      .reset = absl::Milliseconds(reply->elements[2].integer),
                      .retry_after = absl::Milliseconds(reply->elements[3].integer)};
}

}  // namespace itsm::ratelimit
