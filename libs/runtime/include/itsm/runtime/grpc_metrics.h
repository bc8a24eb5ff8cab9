// A gRPC server interceptor that records, for every method, a request counter by status code and
// a latency histogram, and gives every call a request id:
//   itsm_grpc_server_handled_total{grpc_service, grpc_method, grpc_code}
//   itsm_grpc_server_handling_seconds{grpc_service, grpc_method}
// The request id is the caller's x-request-id metadata, or a new UUID; it is added to the
// received metadata (so handlers read it with RequestId()) and returned in the response headers.
// A unary request whose bytes cannot be decoded is answered INVALID_ARGUMENT naming its type,
// where gRPC's callback API would answer a bare UNIMPLEMENTED. Calls that gRPC's core refuses
// before matching them to a method (a request over the receive limit) never reach an
// interceptor and are not counted (docs/architecture.md, "Errors at the edge").
#ifndef ITSM_RUNTIME_GRPC_METRICS_H_
#define ITSM_RUNTIME_GRPC_METRICS_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/registry.h"

namespace itsm::runtime {

inline constexpr char kRequestIdHeader[] = "x-request-id";

class GrpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcMetricsInterceptorFactory(prometheus::Registry& registry);
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // The metric children of one method, created on its first call and kept: label lookups cost
  // more than the increment itself.
  struct MethodMetrics {
    prometheus::Histogram* latency;
    prometheus::Counter* by_code[17];
  };
  // A method this binary does not know (no descriptor: a call naming any path, even refused)
  // is counted under grpc_service="unknown", grpc_method="unknown": a label value never comes
  // from what a caller wrote.
  MethodMetrics& ForMethod(const char* full_method);

 private:
  // `known` tells whether the method has children of its own (cacheable by its pointer).
  MethodMetrics& ForMethodLocked(const char* full_method, bool& known);
  MethodMetrics MetricsFor(const std::string& service, const std::string& method);

  const uint64_t id_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& latency_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodMetrics>> methods_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<MethodMetrics> unknown_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_GRPC_METRICS_H_
