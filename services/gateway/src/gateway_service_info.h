// itsm-gateway's options (docs/settings.md is generated from them) and the services it fronts.
#ifndef ITSM_SERVICES_GATEWAY_SRC_GATEWAY_SERVICE_INFO_H_
#define ITSM_SERVICES_GATEWAY_SRC_GATEWAY_SERVICE_INFO_H_

#include <string>
#include <vector>

#include "itsm/runtime/config.h"
#include "itsm/runtime/service_runtime.h"
#include "services/gateway/src/event_streams.h"
#include "services/gateway/src/http_server.h"

namespace itsm::gateway {

runtime::ServiceInfo GatewayServiceInfo();

// A gRPC service the gateway forwards to, and the option holding its address. A service whose
// RPCs carry google.api.http annotations must be listed here (the gateway refuses to start
// otherwise); its RPCs then need nothing more.
struct UpstreamService {
  std::string service;         // "itsm.incident.v1.IncidentService"
  std::string address_option;  // "incident_address"
};
const std::vector<UpstreamService>& UpstreamServices();

// GET /v1/events's options from the configuration.
EventStreamOptions EventStreamOptionsFrom(const runtime::Config& config);

// The HTTP server's options from the configuration.
HttpServerOptions HttpOptionsFrom(const runtime::Config& config);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_GATEWAY_SERVICE_INFO_H_
