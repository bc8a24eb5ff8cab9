// itsm-bench-proxy: the thinnest gateway this stack allows, the floor under issue 13's ratios.
// The gateway's own HTTP server (Beast, its threads and limits) and its own pool of upstream
// channels (generic calls taken off a completion queue by its threads), with nothing between
// them: every GET becomes one GetIncident call to the upstream, whose serialized answer is
// written back as it is — no authentication, no route matching, no transcoding, no JSON.
// Whatever a real gateway does costs more than this; itsm-bench's gateway-floor scenario
// compares it with calling the upstream directly (docs/benchmarks.md).
//
//   itsm-bench-proxy <upstream host:port>     prints the HTTP port it listens on
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/runtime/outbound_identity.h"
#include "services/gateway/src/http_server.h"
#include "services/gateway/src/upstreams.h"

namespace itsm::bench {
namespace {

namespace http = boost::beast::http;

class Proxy final : public gateway::HttpHandler {
 public:
  Proxy(gateway::Upstreams& upstreams, const google::protobuf::MethodDescriptor& method)
      : upstreams_(upstreams), method_(method) {
    incident::v1::GetIncidentRequest request;
    request.set_id("INC0000001");
    request_ = request.SerializeAsString();
  }

  void Handle(gateway::HttpRequest request, gateway::Responder respond) override {
    upstreams_.Call(method_, request_, {}, absl::Seconds(30),
                    [respond = std::move(respond), version = request.version(),
                     keep_alive = request.keep_alive()](grpc::Status status, std::string body) {
                      gateway::HttpResponse response(
                          status.ok() ? http::status::ok : http::status::bad_gateway, version);
                      response.set(http::field::content_type, "application/octet-stream");
                      response.keep_alive(keep_alive);
                      response.body() = std::move(body);
                      response.prepare_payload();
                      respond(std::move(response));
                    });
  }

  gateway::HttpResponse Refusal(http::status status, std::string message) override {
    gateway::HttpResponse response(status, 11);
    response.body() = std::move(message);
    response.keep_alive(false);
    response.prepare_payload();
    return response;
  }

 private:
  gateway::Upstreams& upstreams_;
  const google::protobuf::MethodDescriptor& method_;
  std::string request_;
};

int Main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: itsm-bench-proxy <upstream host:port>\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  const google::protobuf::ServiceDescriptor* incidents =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "itsm.incident.v1.IncidentService");
  const google::protobuf::MethodDescriptor* method = incidents->FindMethodByName("GetIncident");
  const std::string service = incidents->full_name();
  gateway::Upstreams upstreams;
  // As the gateway does by default (upstream_connections): four channels, each its own
  // connection, made as every channel of the suite is (no identity: the no-op upstream checks
  // none).
  for (int i = 1; i <= 4; ++i) {
    upstreams.Add(service, runtime::OutboundChannel(argv[1], nullptr, nullptr, i));
  }
  Proxy proxy(upstreams, *method);
  auto server = gateway::HttpServer::Start({.port = 0}, proxy);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("127.0.0.1:%d\n", (*server)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  (*server)->StopAccepting();
  (*server)->Stop();
  return 0;
}

}  // namespace
}  // namespace itsm::bench

int main(int argc, char** argv) { return itsm::bench::Main(argc, argv); }
