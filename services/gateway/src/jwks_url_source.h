// An identity provider's public keys fetched from its JWKS URL (the `jwks_uri` of its OpenID
// configuration), cached for the Cache-Control max-age the provider answers with (clamped to
// [1 min, 24 h]; 5 min when it gives none) and fetched again in the background once stale:
// verifications go on with the keys last fetched meanwhile, and when the provider is down.
// A token naming a kid the cache lacks (the provider rotated) asks for a fetch at once and waits
// for it, at most once every `min_refresh`, so a flood of made-up kids cannot flood the provider.
// At most `max_waiters` callers wait for one fetch; the others go on with the keys they have
// (their token is refused, the client tries again), so that a flood of made-up kids while the
// provider is slow holds at most that many of the gateway's admission threads.
//
//   ITSM_ASSIGN_OR_RETURN(auto keys, JwksUrlSource::Open({.url = "https://idp/jwks"}, clock));
#ifndef ITSM_SERVICES_GATEWAY_SRC_JWKS_URL_SOURCE_H_
#define ITSM_SERVICES_GATEWAY_SRC_JWKS_URL_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/auth/key_source.h"
#include "itsm/base/clock.h"
#include "itsm/httpclient/http_client.h"

namespace itsm::gateway {

class JwksUrlSource final : public auth::KeySource {
 public:
  struct Options {
    std::string url;
    std::string ca_file = {};  // "" = the system's CAs
    absl::Duration default_ttl = absl::Minutes(5);
    absl::Duration min_ttl = absl::Minutes(1);
    absl::Duration max_ttl = absl::Hours(24);
    absl::Duration min_refresh = absl::Seconds(10);
    absl::Duration timeout = absl::Seconds(5);
    int max_waiters = 2;
  };
  // INVALID_ARGUMENT for a URL that is not https (plain http only to loopback: whoever sits on
  // the path could hand out keys) or an unreadable CA file. The first fetch happens here; when
  // it fails the source starts empty (the provider's tokens are refused, every other credential
  // works) and fetches again when asked.
  static absl::StatusOr<std::unique_ptr<JwksUrlSource>> Open(Options options,
                                                             const base::Clock& clock);
  ~JwksUrlSource() override;

  std::shared_ptr<const auth::KeySet> Current() override;
  void Refresh() override;

 private:
  JwksUrlSource(Options options, const base::Clock& clock,
                std::unique_ptr<httpclient::HttpClient> http);
  // Asks the fetcher for a fetch unless one was tried within min_refresh; the number to wait for.
  int64_t RequestFetch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FetchLoop();
  void FetchOnce();

  const Options options_;
  const base::Clock& clock_;
  std::unique_ptr<httpclient::HttpClient> http_;  // used by the fetcher thread only
  absl::Mutex mu_;
  std::shared_ptr<const auth::KeySet> keys_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const auth::KeySet>();
  absl::Time fresh_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t requested_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread fetcher_;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_JWKS_URL_SOURCE_H_
