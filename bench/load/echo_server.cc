// itsm-bench-echo: the reference for every service benchmark — a gRPC server with the same API
// and request size as the incident service whose handler does nothing. Driven by the same
// driver in the same run, it measures what this machine's gRPC stack can do at most.
#include <signal.h>

#include <cstdio>

#include "grpcpp/grpcpp.h"
#include "itsm/incident/v1/incident.grpc.pb.h"

namespace {

class EchoIncidentService final : public itsm::incident::v1::IncidentService::CallbackService {
  grpc::ServerUnaryReactor* CreateIncident(grpc::CallbackServerContext* ctx,
                                           const itsm::incident::v1::CreateIncidentRequest*,
                                           itsm::incident::v1::CreateIncidentResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  const std::string address = argc > 1 ? argv[1] : "127.0.0.1:0";
  EchoIncidentService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  std::printf("127.0.0.1:%d\n", port);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown();
  return 0;
}
