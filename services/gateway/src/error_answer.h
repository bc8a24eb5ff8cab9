// Errors as HTTP answers: a google.rpc.Status JSON body ({"code", "message", "details"}) and the
// HTTP status of its code, the one gRPC -> HTTP mapping of the gateway (docs/api.md lists it).
// Details the services attach (google.rpc.BadRequest field violations, in grpc-status-details-
// bin) are carried through; every error also carries a google.rpc.RequestInfo with the request id.
//
//   ErrorAnswer e = UpstreamError(status, request_id, /*version_from_if_match=*/true);
//   // ABORTED (a stale version) given by If-Match: 412; otherwise 409.
#ifndef ITSM_SERVICES_GATEWAY_SRC_ERROR_ANSWER_H_
#define ITSM_SERVICES_GATEWAY_SRC_ERROR_ANSWER_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace itsm::gateway {

struct ErrorAnswer {
  int http_status = 500;
  std::string json;  // a google.rpc.Status in the proto3 JSON mapping
};

// The standard mapping (google/rpc/code.proto): INVALID_ARGUMENT, FAILED_PRECONDITION and
// OUT_OF_RANGE 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS
// and ABORTED 409, RESOURCE_EXHAUSTED 429, CANCELLED 499, UNIMPLEMENTED 501, UNAVAILABLE 503,
// DEADLINE_EXCEEDED 504, the rest 500.
int HttpStatusForCode(absl::StatusCode code);

// An error the gateway itself found (a request it will not forward). Its HTTP status is the
// one WithHttpStatus set, else its code's; a field error (itsm/base/error_detail.h) gets a
// BadRequest field violation naming the field.
ErrorAnswer GatewayError(const absl::Status& status, absl::string_view request_id);
// A service's answer. `version_from_if_match`: the record version the request carried came from
// an If-Match header, so a stale version (ABORTED) is that precondition failing: 412.
ErrorAnswer UpstreamError(const grpc::Status& status, absl::string_view request_id,
                          bool version_from_if_match);

// `status` to be answered with `http_status` rather than its code's (413, 415, 405, 412...).
absl::Status WithHttpStatus(absl::Status status, int http_status);
std::optional<int> ExplicitHttpStatus(const absl::Status& status);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_ERROR_ANSWER_H_
