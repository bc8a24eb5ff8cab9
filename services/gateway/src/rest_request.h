// A gRPC request message -> the HTTP request that the gateway transcodes back into the same
// message: the inverse of TranscodeRequest, for clients that hold the suite's gRPC stubs but
// reach it through the gateway (itsmctl --gateway) and for tests that walk every route.
//
//   const Route* route = routes.PrimaryRouteOf(*GetIncidentRequest::descriptor()->...);
//   ITSM_ASSIGN_OR_RETURN(RestRequest r, RestRequestFor(*route, request));
//   // r.http_method "GET", r.target "/v1/incidents/INC0000001", r.body ""
#ifndef ITSM_SERVICES_GATEWAY_SRC_REST_REQUEST_H_
#define ITSM_SERVICES_GATEWAY_SRC_REST_REQUEST_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "services/gateway/src/route_table.h"

namespace itsm::gateway {

struct RestRequest {
  std::string http_method;
  std::string target;  // the path, its variables filled in, and the query string
  std::string body;    // JSON ("{}" at least) when the route takes a body, else ""
};

// The path variables come from their fields, the body from the fields the route's body names
// (in the proto3 JSON mapping), and every other set field goes into the query string by its
// dotted JSON name (repeated fields repeated). INVALID_ARGUMENT naming the field when a path
// variable's field is empty, or a field left for the query string cannot be written there (a
// map or a repeated message: no route of the suite leaves one there).
absl::StatusOr<RestRequest> RestRequestFor(const Route& route,
                                           const google::protobuf::Message& request);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_REST_REQUEST_H_
