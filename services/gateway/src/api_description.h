// The API described from the same descriptors the gateway transcodes with, so the description
// cannot drift from what is served: an OpenAPI 3.1 document (GET /openapi.json) and a
// human-readable reference page (GET /docs).
#ifndef ITSM_SERVICES_GATEWAY_SRC_API_DESCRIPTION_H_
#define ITSM_SERVICES_GATEWAY_SRC_API_DESCRIPTION_H_

#include <string>
#include <vector>

#include "services/gateway/src/route_table.h"

namespace itsm::gateway {

// The query parameters of a route: every scalar, enum, repeated scalar or text-form message
// field of the request (dotted through singular messages) that neither the path nor the body
// gives. Empty when the body is "*".
std::vector<std::string> QueryParameterPaths(const Route& route);

// OpenAPI 3.1: a path per route template, its path, query and header (If-Match,
// Idempotency-Key, X-Request-Id) parameters, the request body and response schemas from the
// message descriptors, enums by name, google.rpc.Status as the error answer, and bearer
// authentication (roles from each RPC's access declaration in the description).
std::string OpenApiJson(const RouteTable& routes);

// One HTML page: every operation with its path, RPC, roles, parameters and body.
std::string ApiReferenceHtml(const RouteTable& routes);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_API_DESCRIPTION_H_
