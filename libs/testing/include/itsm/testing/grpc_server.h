// The in-process gRPC server of a service test: the service under test on a free loopback port,
// reached through real channels (several, when a test needs calls that really overlap).
//
//   itsm::testing::GrpcTestServer server({&service});
//   auto stub = v1::IncidentService::NewStub(server.Channel());
#ifndef ITSM_TESTING_GRPC_SERVER_H_
#define ITSM_TESTING_GRPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "itsm/runtime/call_auth.h"
#include "prometheus/registry.h"

namespace itsm::testing {

class GrpcTestServer {
 public:
  // Starts at once; a failure to start is a test failure (server() is then null). With an
  // `authenticator` (TestIssuer::AuthenticatorFor), the server is the one a service runs
  // (runtime::StartGrpcServer: authentication, authorisation, call metrics).
  explicit GrpcTestServer(
      std::vector<grpc::Service*> services,
      std::shared_ptr<const runtime::CallAuthenticator> authenticator = nullptr);
  ~GrpcTestServer() { Shutdown(); }
  GrpcTestServer(const GrpcTestServer&) = delete;
  GrpcTestServer& operator=(const GrpcTestServer&) = delete;

  // A new channel each call; `index` makes channels distinct (gRPC would share one connection
  // between channels with equal arguments).
  std::shared_ptr<grpc::Channel> Channel(int index = 0) const;
  const std::string& address() const { return address_; }
  grpc::Server* server() const { return server_.get(); }
  // Idempotent; waits for calls in flight.
  void Shutdown();

 private:
  prometheus::Registry registry_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace itsm::testing

#endif  // ITSM_TESTING_GRPC_SERVER_H_
