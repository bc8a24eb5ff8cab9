#include "itsm/testing/grpc_server.h"

#include "gtest/gtest.h"
#include "itsm/runtime/grpc_server.h"

namespace itsm::testing {

GrpcTestServer::GrpcTestServer(std::vector<grpc::Service*> services,
                               std::shared_ptr<const runtime::CallAuthenticator> authenticator) {
  if (authenticator != nullptr) {
    int port = 0;
    server_ = runtime::StartGrpcServer("127.0.0.1:0", services, registry_, &port,
                                       std::move(authenticator));
    EXPECT_NE(server_, nullptr) << "the test's gRPC server did not start";
    address_ = "127.0.0.1:" + std::to_string(port);
    return;
  }
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  EXPECT_NE(server_, nullptr) << "the test's gRPC server did not start";
  address_ = "127.0.0.1:" + std::to_string(port);
}

std::shared_ptr<grpc::Channel> GrpcTestServer::Channel(int index) const {
  grpc::ChannelArguments args;
  args.SetInt("itsm.test_channel", index);
  return grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
}

void GrpcTestServer::Shutdown() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace itsm::testing
