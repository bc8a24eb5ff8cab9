#include "itsm/runtime/grpc_server.h"

#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "itsm/runtime/grpc_metrics.h"

namespace itsm::runtime {

std::unique_ptr<grpc::Server> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    prometheus::Registry& registry, int* bound_port,
    std::shared_ptr<const CallAuthenticator> authenticator,
    std::shared_ptr<grpc::ServerCredentials> credentials,
    const std::string& plaintext_health_address) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // Reflection describes a service from the descriptors linked into the binary. gRPC's own
  // health service decodes its messages without the generated protobuf classes, so nothing
  // linked grpc/health/v1/health.pb.o out of itsm_proto: reflection listed
  // grpc.health.v1.Health but could not describe it (grpcurl describe failed). Naming the
  // descriptor links the file and registers it.
  grpc::health::v1::HealthCheckRequest::descriptor();

  grpc::ServerBuilder builder;
  builder.AddListeningPort(address,
                           credentials != nullptr ? credentials : grpc::InsecureServerCredentials(),
                           bound_port);
  const bool health_port = credentials != nullptr && !plaintext_health_address.empty();
  if (health_port) {
    builder.AddListeningPort(plaintext_health_address, grpc::InsecureServerCredentials());
  }
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // What a caller can make the server hold before any handler or credential check runs
  // (decision 297): a call's headers, and the streams open on one connection.
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, kMaxMetadataBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // Authentication first, so that the metrics count a refused call with its refusal.
  // With mutual TLS, a call without a verified client certificate can only have come through
  // the plaintext health port.
  interceptors.push_back(
      std::make_unique<AuthInterceptorFactory>(std::move(authenticator), credentials != nullptr));
  interceptors.push_back(std::make_unique<GrpcMetricsInterceptorFactory>(registry));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *bound_port == 0) return nullptr;
  return server;
}

}  // namespace itsm::runtime
