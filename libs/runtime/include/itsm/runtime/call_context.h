// What a handler needs to know about the call it serves, and the one mapping from the code's
// absl::Status to the wire's grpc::Status.
#ifndef ITSM_RUNTIME_CALL_CONTEXT_H_
#define ITSM_RUNTIME_CALL_CONTEXT_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace itsm::runtime {

// Metadata the gateway sets with the authenticated user; "anonymous" when absent.
inline constexpr char kActorHeader[] = "x-itsm-actor";

// The call's request id (always present: the metrics interceptor adds one when the caller did not).
std::string RequestId(const grpc::ServerContextBase& context);
std::string Actor(const grpc::ServerContextBase& context);

// absl and gRPC share their code numbers; the message passes through unchanged.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_CALL_CONTEXT_H_
