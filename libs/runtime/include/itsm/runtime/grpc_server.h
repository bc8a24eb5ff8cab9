// The gRPC server every service runs, built in one place so that tests serve exactly what the
// binaries serve: the services, grpc.health.v1.Health, server reflection able to describe all of
// them (health included), the metrics and request-id interceptor, and the receive limit.
//
//   int port = 0;
//   auto server = StartGrpcServer("127.0.0.1:0", {&service}, registry, &port);
//   if (server == nullptr) ...  // the address could not be bound
#ifndef ITSM_RUNTIME_GRPC_SERVER_H_
#define ITSM_RUNTIME_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "itsm/runtime/call_auth.h"
#include "prometheus/registry.h"

namespace itsm::runtime {

// The largest request gRPC accepts. A larger one is refused by gRPC's core with
// RESOURCE_EXHAUSTED before any of our code sees the call (docs/architecture.md, "Errors at the
// edge"), so it is not in itsm_grpc_server_handled_total.
inline constexpr int kMaxReceiveMessageBytes = 4 * 1024 * 1024;
// A call's headers, all together: a token and a request id need a few KB. gRPC 1.51 has no
// default on the server, and a header block of megabytes costs its parser quadratic time
// (CVE-2023-33953); a larger block is refused with RESOURCE_EXHAUSTED.
inline constexpr int kMaxMetadataBytes = 16 * 1024;
// Calls open at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); the gateway
// keeps four connections to each service.
inline constexpr int kMaxConcurrentStreams = 1000;

// Builds and starts the server on `address` ("host:port", port 0 for a free one) and stores the
// bound port in *bound_port. Returns nullptr when the address cannot be bound. Every call is
// authenticated and authorised by `authenticator` (call_auth.h); null disables authentication.
// `credentials`: the listening port's (GrpcTls::ServerCredentials() for mutual TLS, grpc_tls.h);
// null is plaintext. `plaintext_health_address` (with credentials only): a second, plaintext
// port where only the health service and reflection answer, for probes that speak no TLS
// (Kubernetes' gRPC probes); the suite's RPCs are refused there UNAUTHENTICATED.
std::unique_ptr<grpc::Server> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    prometheus::Registry& registry, int* bound_port,
    std::shared_ptr<const CallAuthenticator> authenticator = nullptr,
    std::shared_ptr<grpc::ServerCredentials> credentials = nullptr,
    const std::string& plaintext_health_address = "");

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_GRPC_SERVER_H_
