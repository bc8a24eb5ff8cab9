#include "services/gateway/src/jwks_url_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/runtime/logging.h"

namespace itsm::gateway {
namespace {

// An address literal of the loopback network, or localhost; never a name that merely starts
// with "127." (127.attacker.example is anyone's).
bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6,
                   std::string(absl::StripPrefix(absl::StripSuffix(host, "]"), "[")).c_str(),
                   &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

// max-age of a Cache-Control header, if any ("public, max-age=3600").
std::optional<absl::Duration> MaxAge(absl::string_view cache_control) {
  for (absl::string_view directive : absl::StrSplit(cache_control, ',')) {
    directive = absl::StripAsciiWhitespace(directive);
    int64_t seconds = 0;
    if (absl::ConsumePrefix(&directive, "max-age=") && absl::SimpleAtoi(directive, &seconds) &&
        seconds >= 0) {
      return absl::Seconds(seconds);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwksUrlSource>> JwksUrlSource::Open(Options options,
                                                                   const base::Clock& clock) {
  absl::StatusOr<httpclient::HttpUrl> url = httpclient::HttpUrl::Parse(options.url);
  if (!url.ok()) return url.status();
  if (!url->tls && !IsLoopback(url->host)) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.url, ": keys must come over https (plain http only on loopback)"));
  }
  absl::StatusOr<std::unique_ptr<httpclient::HttpClient>> http = httpclient::HttpClient::Create(
      *url,
      {.ca_file = options.ca_file, .timeout = options.timeout, .max_response_bytes = 1 << 20});
  if (!http.ok()) return http.status();
  std::unique_ptr<JwksUrlSource> source(
      new JwksUrlSource(std::move(options), clock, *std::move(http)));
  source->Refresh();  // the first fetch, waited for
  return source;
}

JwksUrlSource::JwksUrlSource(Options options, const base::Clock& clock,
                             std::unique_ptr<httpclient::HttpClient> http)
    : options_(std::move(options)), clock_(clock), http_(std::move(http)) {
  fetcher_ = std::thread([this] { FetchLoop(); });
}

JwksUrlSource::~JwksUrlSource() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  fetcher_.join();
}

std::shared_ptr<const auth::KeySet> JwksUrlSource::Current() {
  absl::MutexLock lock(&mu_);
  if (clock_.Now() >= fresh_until_) RequestFetch();  // stale: fetched in the background
  return keys_;
}

void JwksUrlSource::Refresh() {
  absl::MutexLock lock(&mu_);
  const int64_t wanted = RequestFetch();
  if (completed_ >= wanted) return;
  // The wait holds the caller's thread (an admission thread of the gateway).
  if (waiters_ >= options_.max_waiters) return;
  ++waiters_;
  // The fetch has its own timeout; this wait only guards against a stuck fetcher.
  const absl::Time give_up = absl::Now() + options_.timeout + absl::Seconds(1);
  auto done = [this, wanted]()
                  ABSL_SHARED_LOCKS_REQUIRED(mu_) { return completed_ >= wanted || stopping_; };
  mu_.AwaitWithDeadline(absl::Condition(&done), give_up);
  --waiters_;
}

int64_t JwksUrlSource::RequestFetch() {
  const absl::Time now = clock_.Now();
  if (requested_ > completed_) return requested_;  // one is on its way
  if (now - last_attempt_ < options_.min_refresh) return completed_;
  last_attempt_ = now;
  return ++requested_;
}

void JwksUrlSource::FetchLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto wanted = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return requested_ > completed_ || stopping_;
      };
      mu_.Await(absl::Condition(&wanted));
      if (stopping_) return;
    }
    FetchOnce();
  }
}

void JwksUrlSource::FetchOnce() {
  const std::string target = http_->url().base_path.empty() ? "/" : "";  // the URL's own path
  absl::StatusOr<httpclient::HttpResponse> answer =
      http_->Send({.method = "GET", .target = target, .headers = {{"Accept", "application/json"}}});
  absl::Status failure;
  std::optional<auth::KeySet> keys;
  absl::Duration ttl = options_.default_ttl;
  if (!answer.ok()) {
    failure = answer.status();
  } else if (answer->status != 200) {
    failure = absl::UnavailableError(absl::StrCat("HTTP ", answer->status));
  } else {
    absl::StatusOr<auth::KeySet> parsed = auth::ParseJwks(answer->body);
    if (parsed.ok()) {
      keys = *std::move(parsed);
      if (std::optional<absl::Duration> max_age = MaxAge(answer->Header("cache-control"))) {
        ttl = std::clamp(*max_age, options_.min_ttl, options_.max_ttl);
      }
    } else {
      failure = parsed.status();
    }
  }
  absl::MutexLock lock(&mu_);
  if (keys.has_value()) {
    keys_ = std::make_shared<const auth::KeySet>(*std::move(keys));
    fresh_until_ = clock_.Now() + ttl;
  } else {
    // The keys last fetched stay: a provider's outage must not lock its users out while their
    // tokens can still be checked.
    runtime::log::Warn("identity provider keys not fetched; the last ones stay in use",
                       {{"url", options_.url}, {"error", failure.ToString()}});
  }
  completed_ = requested_;
}

}  // namespace itsm::gateway
