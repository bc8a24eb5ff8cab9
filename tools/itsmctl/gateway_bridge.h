// itsmctl's commands hold the suite's gRPC stubs; with --gateway they reach the suite through
// the REST gateway instead, with an API key (or an OIDC token): a gRPC server inside itsmctl,
// on a Unix socket only its user can reach, takes each call and sends it to the gateway as the REST
// request the gateway transcodes back into the same gRPC call (the routes both ways come from the
// same google.api.http annotations). Answers come back as the stub expects them, errors with their
// gRPC code and details, so every command works unchanged either way.
//
//   ITSM_ASSIGN_OR_RETURN(auto bridge, GatewayBridge::Start({.url = "https://itsm.example.com",
//                                                            .api_key = key}));
//   auto stub = incident::v1::IncidentService::NewStub(bridge->Channel());
#ifndef ITSM_TOOLS_ITSMCTL_GATEWAY_BRIDGE_H_
#define ITSM_TOOLS_ITSMCTL_GATEWAY_BRIDGE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace itsm::ctl {

class GatewayBridge {
 public:
  struct Options {
    std::string url;      // the gateway: http(s)://host[:port][/base]
    std::string api_key;  // "" to present the call's own bearer token (--token)
    std::string ca_file;  // to verify an https gateway: "" = the system's CAs
    // How long one request may take: under the call's deadline, so that a gateway that never
    // answers is reported as such, and itsmctl exits when it says so.
    absl::Duration timeout = absl::Seconds(9);
  };
  // INVALID_ARGUMENT for a bad URL or CA file; the gateway itself is reached on the first call.
  static absl::StatusOr<std::unique_ptr<GatewayBridge>> Start(Options options);
  ~GatewayBridge();

  std::shared_ptr<grpc::Channel> Channel() const { return channel_; }

 private:
  class Forwarder;
  GatewayBridge() = default;

  std::string socket_dir_;  // the private directory of the bridge's Unix socket
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace itsm::ctl

#endif  // ITSM_TOOLS_ITSMCTL_GATEWAY_BRIDGE_H_
