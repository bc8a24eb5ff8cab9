// The gateway's application: an HTTP request in, the RPC it maps to called on its service, the
// answer out — with request ids, ETags, the error model and metrics — plus /openapi.json,
// /docs and /healthz. HTTP itself is http_server.h's; this class sees parsed requests only.
//
//   Gateway gateway(std::move(routes), upstreams, metrics, {.upstream_timeout =
//   absl::Seconds(30)}); auto server = HttpServer::Start(options, gateway);
#ifndef ITSM_SERVICES_GATEWAY_SRC_GATEWAY_H_
#define ITSM_SERVICES_GATEWAY_SRC_GATEWAY_H_

#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/src/gateway_metrics.h"
#include "services/gateway/src/http_server.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/src/upstreams.h"

namespace itsm::gateway {

// X-Request-Id as received when it is 1..128 characters of [A-Za-z0-9._:-], else a new UUID:
// the value goes into every service's logs and into the answer, so it must be plain and short.
std::string EffectiveRequestId(absl::string_view received);

class Gateway final : public HttpHandler {
 public:
  struct Options {
    absl::Duration upstream_timeout = absl::Seconds(30);
  };
  Gateway(RouteTable routes, Upstreams& upstreams, GatewayMetrics& metrics, Options options);

  void Handle(HttpRequest request, Responder respond) override;
  HttpResponse Refusal(boost::beast::http::status status, std::string message) override;

  // Waits until every forwarded call has been answered, up to `timeout`; false if some remain.
  bool WaitIdle(absl::Duration timeout);

  const RouteTable& routes() const { return routes_; }

 private:
  void Forward(const Route& route, std::vector<PathBinding> bindings, const HttpRequest& request,
               std::string request_id, absl::Time start, Responder respond);
  void Answer(const std::string& route, const std::string& method, absl::Time start,
              HttpResponse response, const Responder& respond);
  void CallEnded();

  const RouteTable routes_;
  Upstreams& upstreams_;
  GatewayMetrics& metrics_;
  const Options options_;
  const std::string openapi_json_;
  const std::string reference_html_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_GATEWAY_H_
