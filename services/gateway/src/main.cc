// itsm-gateway: the suite's REST/JSON entry point. Every RPC annotated with google.api.http is
// served over HTTP/1.1 and forwarded to its service over gRPC; /openapi.json and /docs describe
// the API from the same descriptors.
#include "absl/strings/str_cat.h"
#include "itsm/auth/access_policy.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "services/gateway/src/gateway.h"
#include "services/gateway/src/gateway_metrics.h"
#include "services/gateway/src/gateway_service_info.h"
#include "services/gateway/src/http_server.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/src/upstreams.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, gateway::GatewayServiceInfo());
  const auto& config = rt.config();

  auto routes = gateway::RouteTable::Build(auth::LinkedServices("itsm."));
  if (!routes.ok()) {
    runtime::log::Error("cannot serve the API annotations",
                        {{"error", routes.status().ToString()}});
    return 2;
  }
  // One channel per service, reused by every call (HTTP/2 multiplexes them).
  gateway::Upstreams upstreams;
  for (const auto* service : routes->services()) {
    for (const auto& upstream : gateway::UpstreamServices()) {
      if (upstream.service == service->full_name()) {
        upstreams.Add(upstream.service, rt.ChannelTo(config.GetString(upstream.address_option)));
      }
    }
    if (!upstreams.Has(service->full_name())) {
      runtime::log::Error("a service with REST routes has no upstream address option",
                          {{"service", service->full_name()}});
      return 2;
    }
  }
  gateway::GatewayMetrics metrics(rt.metrics());
  gateway::Gateway gateway(
      *std::move(routes), upstreams, metrics,
      {.upstream_timeout = absl::Milliseconds(config.GetInt("upstream_timeout_ms"))});
  auto server = gateway::HttpServer::Start(gateway::HttpOptionsFrom(config), gateway);
  if (!server.ok()) {
    runtime::log::Error("cannot start the HTTP server", {{"error", server.status().ToString()}});
    return 1;
  }
  const std::string http_address =
      absl::StrCat(config.GetString("bind_address"), ":", (*server)->port());
  runtime::log::Info(
      "serving HTTP",
      {{"http", http_address}, {"routes", static_cast<int64_t>(gateway.routes().routes().size())}});
  rt.SetHttpAddress(http_address);
  // After the health grace period: no new connection, the calls in flight are answered, then
  // the threads stop (an answer still pending after the wait is dropped with its connection).
  rt.OnShutdown("http server", [&server, &gateway] {
    (*server)->StopAccepting();
    if (!gateway.WaitIdle(absl::Seconds(10))) {
      runtime::log::Warn("calls still in flight at shutdown", {});
    }
    (*server)->Stop();
  });
  return rt.Run();
}
