// The gateway's application: an HTTP request in, the RPC it maps to called on its service, the
// answer out — with request ids, ETags, the error model and metrics — plus /openapi.json,
// /docs, /healthz, /v1/session (who the caller is) and the web console's files (/console/).
// HTTP itself is http_server.h's; this class sees parsed requests only.
//
//   Gateway gateway(std::move(routes), upstreams, metrics, {.upstream_timeout =
//   absl::Seconds(30)}); auto server = HttpServer::Start(options, gateway);
#ifndef ITSM_SERVICES_GATEWAY_SRC_GATEWAY_H_
#define ITSM_SERVICES_GATEWAY_SRC_GATEWAY_H_

#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/executor.h"
#include "services/gateway/src/caller_authentication.h"
#include "services/gateway/src/caller_rate_limits.h"
#include "services/gateway/src/console_files.h"
#include "services/gateway/src/event_streams.h"
#include "services/gateway/src/gateway_metrics.h"
#include "services/gateway/src/http_server.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/src/upstreams.h"

namespace itsm::gateway {

using runtime::EffectiveRequestId;

using Headers = std::vector<std::pair<std::string, std::string>>;

class Gateway final : public HttpHandler {
 public:
  struct Options {
    absl::Duration upstream_timeout = absl::Seconds(30);
    // Who callers are (API keys, tokens) and what the services are sent for them. Null: the
    // caller's Authorization goes to the services as received, and they judge it (a gateway
    // without a key store; the transcoding tests).
    CallerAuthentication* callers = nullptr;
    // Per-caller rate limits; null: none.
    CallerRateLimits* rate_limits = nullptr;
    // Where authentication and rate limiting run (they may read the key store and Redis):
    // required with `callers`.
    runtime::Executor* blocking = nullptr;
    // GET /v1/events (event_streams.h); null: the path is not served.
    EventStreams* events = nullptr;
    // The web console under /console/ (console_files.h); null: not served.
    const ConsoleFiles* console = nullptr;
  };
  Gateway(RouteTable routes, Upstreams& upstreams, GatewayMetrics& metrics, Options options);

  void Handle(HttpRequest request, Responder respond) override;
  // The event stream's path goes to options.events, everything else to Handle.
  void HandleStreaming(HttpRequest request, Responder respond, StreamResponder stream) override;
  HttpResponse Refusal(boost::beast::http::status status, std::string message) override;

  // Shutdown, once the server accepts no more connections: from now on a call on a connection
  // still open is answered 503 at once, and the calls in flight are waited for, up to
  // `timeout`; false if some remain. Nothing the server or the upstreams hold may be destroyed
  // before it returns true.
  bool Drain(absl::Duration timeout);

  const RouteTable& routes() const { return routes_; }

 private:
  // What the caller may send on, and the headers its answer carries (rate limits).
  struct Admission {
    absl::Status refusal = absl::OkStatus();
    std::string authorization = {};
    Headers headers = {};
  };
  // GET /v1/session (session_answer.h): the caller authenticated and rate-limited as a read,
  // then answered by the gateway itself.
  void Session(HttpRequest request, std::string request_id, absl::Time start, Responder respond);
  void Forward(const Route& route, std::vector<PathBinding> bindings, HttpRequest request,
               std::string request_id, absl::Time start, Responder respond);
  // Authenticates and rate-limits (blocking: on options_.blocking).
  Admission Admit(const Route& route, const HttpRequest& request);
  // The admission of an authenticated (or refused) caller: rate limits (blocking) when set.
  Admission AdmissionOf(const Route& route, absl::StatusOr<Caller> caller);
  void Call(const Route& route, const std::vector<PathBinding>& bindings,
            const HttpRequest& request, const std::string& request_id, absl::Time start,
            Responder respond, Admission admission);
  void Answer(const std::string& route, const std::string& method, absl::Time start,
              HttpResponse response, const Responder& respond);
  // Counts a call in flight (Drain) until the last copy of `respond`, wrapped in place, is gone;
  // false, leaving `respond` as it was, once the gateway drains. A responder holds the caller's
  // connection, which must not outlive the HTTP server: a call counted as ended while a worker
  // still held a copy let the server be destroyed under it.
  bool CallStarted(Responder& respond);
  void CallEnded();
  bool Draining();
  // The answer to a call that arrives while the gateway drains.
  static HttpResponse ShuttingDown(const std::string& request_id, unsigned version);

  const RouteTable routes_;
  Upstreams& upstreams_;
  GatewayMetrics& metrics_;
  const Options options_;
  const std::string openapi_json_;
  const std::string reference_html_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_GATEWAY_H_
