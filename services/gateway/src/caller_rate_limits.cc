#include "services/gateway/src/caller_rate_limits.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/runtime/logging.h"
#include "prometheus/family.h"

namespace itsm::gateway {
namespace {

// Whole seconds, rounded up: a client told "0" would retry at once.
std::string Seconds(absl::Duration d) {
  return absl::StrCat(static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(d))));
}

}  // namespace

CallerRateLimits::CallerRateLimits(ratelimit::RedisRateLimiter& limiter, Options options,
                                   prometheus::Registry& registry)
    : limiter_(limiter),
      options_(options),
      refused_(prometheus::BuildCounter()
                   .Name("itsm_gateway_rate_limited_total")
                   .Help("Requests refused 429 by a caller's rate limit.")
                   .Register(registry)
                   .Add({})),
      unavailable_(prometheus::BuildCounter()
                       .Name("itsm_gateway_rate_limit_unavailable_total")
                       .Help("Requests whose rate limit could not be checked (Redis did not "
                             "answer): let through when failing open, else refused 503.")
                       .Register(registry)
                       .Add({})) {}

RateVerdict CallerRateLimits::Take(const auth::Identity& caller, bool write) {
  // A subject is unique within its issuer and tenant: both are part of the bucket, each part
  // preceded by its length so that no two identities spell the same key.
  const std::string bucket =
      absl::StrCat(caller.issuer.size(), ":", caller.issuer, caller.tenant.size(), ":",
                   caller.tenant, caller.subject.size(), ":", caller.subject, write ? "w" : "r");
  absl::StatusOr<ratelimit::RateDecision> decision =
      limiter_.Take(bucket, write ? options_.write : options_.read);
  RateVerdict verdict;
  if (!decision.ok()) {
    unavailable_.Increment();
    // Once per outage burst, not once per request: the counter has the numbers.
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    int64_t last = last_warning_.load(std::memory_order_relaxed);
    if (now - last >= 10 && last_warning_.compare_exchange_strong(last, now)) {
      runtime::log::Warn("rate limits not checked", {{"error", decision.status().ToString()},
                                                     {"fail_open", options_.fail_open}});
    }
    if (!options_.fail_open) {
      verdict.refusal = absl::UnavailableError("the rate limiter is unavailable; retry shortly");
      verdict.headers.push_back({"Retry-After", "1"});
    }
    return verdict;
  }
  verdict.headers = {{"RateLimit-Limit", absl::StrCat(decision->limit)},
                     {"RateLimit-Remaining", absl::StrCat(decision->remaining)},
                     {"RateLimit-Reset", Seconds(decision->reset)}};
  if (!decision->allowed) {
    refused_.Increment();
    verdict.refusal = absl::ResourceExhaustedError(
        absl::StrCat("rate limit of ", write ? "writes" : "reads", " exceeded for ", caller.subject,
                     "; retry after ", Seconds(decision->retry_after), " s"));
    verdict.headers.push_back({"Retry-After", Seconds(decision->retry_after)});
  }
  return verdict;
}

}  // namespace itsm::gateway
