// The HTTP client of deliveries: one POST per attempt, asynchronous (Boost.Beast on Asio, a few
// threads), so an attempt waiting on a slow receiver holds no thread and thousands can be in
// flight. Each attempt resolves the host, keeps only the addresses the outbound policy allows
// (refusing the attempt when none is left) and connects to those, so what was checked is what is
// connected to. https is verified against the system's CA store with the host name checked; one
// deadline bounds the whole attempt (resolve, connect, handshake, write, read). A new connection
// per attempt: deliveries to one receiver are spread over minutes to hours of retries, so a pool
// would rarely be reused, and a fresh connection re-checks the resolved addresses every time.
//
//   HttpSender sender(policy, {.threads = 2});
//   sender.Post({.url = url, .body = body, .headers = {...}, .timeout = absl::Seconds(10)},
//               [](HttpOutcome o) { ... o.status_code ... });
#ifndef ITSM_SERVICES_WEBHOOKS_HTTP_SENDER_H_
#define ITSM_SERVICES_WEBHOOKS_HTTP_SENDER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/webhooks/src/outbound_policy.h"

namespace itsm::webhooks {

struct HttpPost {
  WebhookUrl url = {};
  std::string body = {};
  std::vector<std::pair<std::string, std::string>> headers = {};
  absl::Duration timeout = absl::Seconds(10);
};

struct HttpOutcome {
  int status_code = 0;     // 0: no answer
  std::string error = {};  // empty when an answer came (whatever its status)
  absl::Duration latency = {};
};

class HttpSender {
 public:
  struct Options {
    int threads = 2;
  };
  HttpSender(const OutboundPolicy& policy, Options options);
  // Stops (attempts in flight end with an error).
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Starts an attempt; `done` runs once, on a sender thread, when it ended.
  void Post(HttpPost post, std::function<void(HttpOutcome)> done);
  // Ends every attempt in flight and joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_HTTP_SENDER_H_
