// The composition root every service's main() uses: configuration, logs, metrics, and a gRPC
// server with health and reflection; then it serves until SIGTERM/SIGINT and stops in order.
// A service's database is not the runtime's: libs/servicedb opens it from this configuration.
//
//   int main(int argc, char** argv) {
//     itsm::runtime::ServiceRuntime rt(argc, argv, {"incident", 50051, 9151});
//     auto db = servicedb::OpenDatabaseOrExit(rt, incident::IncidentRepository::Schema());
//     IncidentGrpcService service(...);
//     rt.AddService(&service, "itsm.incident.v1.IncidentService");
//     rt.OnShutdown("database", [&] { db.reset(); });
//     return rt.Run();
//   }
//
// Shutdown order, and why:
//   1. Health reports NOT_SERVING, so load balancers and the launcher stop sending new calls,
//      and calls are still answered for shutdown_grace_ms while they notice.
//   2. The gRPC server stops accepting and drains calls in flight (up to half the deadline):
//      a call that was accepted gets its answer.
//   3. The OnShutdown steps run in reverse order of registration (last started, first stopped):
//      typically the call executor, the group committer (its queued writes commit), then the
//      outbox relay (a final round publishes what is pending and flushes the producer), then
//      storage closes.
//   Each stage is logged with its duration ("shutdown stage done"). A watchdog ends the process
//   with exit code 1 if all this overruns shutdown_timeout_seconds.
#ifndef ITSM_RUNTIME_SERVICE_RUNTIME_H_
#define ITSM_RUNTIME_SERVICE_RUNTIME_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "itsm/runtime/call_auth.h"
#include "itsm/runtime/config.h"
#include "itsm/runtime/freed_memory_release.h"
#include "itsm/runtime/grpc_tls.h"
#include "itsm/runtime/metrics.h"
#include "itsm/runtime/outbound_identity.h"
#include "prometheus/registry.h"

namespace itsm::runtime {

struct ServiceInfo {
  std::string name;  // "incident": binary itsm-incident, SQLite file incident.db
  int default_grpc_port;
  int default_metrics_port;
  // The service's own options, declared in its library so that itsm-settings-doc documents
  // exactly what the binary reads.
  std::vector<OptionSpec> extra_options = {};
};

// Every option of the service: CommonOptions with its ports, then its extra options.
std::vector<OptionSpec> ServiceOptions(const ServiceInfo& info);

class ServiceRuntime {
 public:
  // Reads configuration (exits with code 2 on a bad option; warns about ITSM_* variables no
  // option reads), sets up logging and metrics, and blocks SIGTERM/SIGINT so that only Run()
  // receives them.
  ServiceRuntime(int argc, char** argv, ServiceInfo info);
  ~ServiceRuntime();

  const Config& config() const { return config_; }
  prometheus::Registry& metrics() { return *registry_; }
  // The process's name in the suite (service_name, else the program's name): the service label
  // of every metric it serves.
  std::string ServiceName() const;

  // A channel to another service of the suite; its calls carry this service's own identity
  // token when auth_signing_key_file is set (exits with code 2 when the key cannot be read), over
  // mutual TLS when the grpc_tls_* files are set.
  // `connection`: channels to one address with different numbers use different connections.
  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address, int connection = 0);
  // The process's gRPC credentials (grpc_tls.h), read at construction: the server and every
  // ChannelTo use them.
  const GrpcTls& tls() const { return tls_; }

  // Registers a gRPC service; `health_name` is its full name for the health service.
  void AddService(grpc::Service* service, std::string health_name);
  // The address of the process's HTTP listener, if it has one (the gateway), for the ready file:
  // set before Run().
  void SetHttpAddress(std::string address) { http_address_ = std::move(address); }
  // "host:port" of the process's gRPC server once Run() bound it, "" before: how a process
  // calls a service it serves itself (the gateway's REST routes to its own ApiKeyService).
  std::string GrpcAddress() const;
  // Registers a stop action, run in reverse order after the gRPC server stopped.
  void OnShutdown(std::string name, std::function<void()> stop);

  // Starts serving, writes the ready file, waits for SIGTERM/SIGINT (or RequestStop()), stops in
  // order. Returns the process exit code (0 after a clean stop).
  int Run();
  // Makes Run() begin the shutdown as if a signal arrived (for tests and fatal errors).
  void RequestStop();

 private:
  void Shutdown(grpc::Server& server);
  // bind_address:grpc_plaintext_health_port with TLS on and the port set; "" otherwise.
  std::string PlaintextHealthAddress() const;
  // From auth_jwks_file and the services added; null when authentication is disabled.
  absl::StatusOr<std::shared_ptr<const CallAuthenticator>> Authenticator() const;

  ServiceInfo info_;
  Config config_;
  GrpcTls tls_;
  std::shared_ptr<OutboundIdentity> outbound_identity_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<MetricsServer> metrics_server_;
  // Free memory above 32 MiB goes back to the system (a flood of reset calls leaves much).
  std::unique_ptr<FreedMemoryRelease> memory_release_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::vector<std::pair<std::string, std::function<void()>>> shutdown_steps_;
  std::string http_address_;
  mutable absl::Mutex grpc_address_mu_;
  std::string grpc_address_ ABSL_GUARDED_BY(grpc_address_mu_);
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_SERVICE_RUNTIME_H_
