#include "itsm/runtime/service_runtime.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/health_check_service_interface.h"
#include "itsm/base/status_macros.h"
#include "itsm/launcher/v1/endpoints.pb.h"
#include "itsm/runtime/grpc_server.h"
#include "itsm/runtime/logging.h"

namespace itsm::runtime {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// The host others on this machine dial to reach a listener bound to `bind`: bound to every
// address, the loopback (0.0.0.0 names no host, and no certificate carries it).
std::string DialableHost(const std::string& bind) {
  if (bind.empty() || bind == "0.0.0.0") return "127.0.0.1";
  if (bind == "::" || bind == "[::]") return "[::1]";
  return bind;
}

absl::Status WriteReadyFile(const std::string& path, const std::string& grpc_address,
                            const std::string& metrics_address, const std::string& http_address) {
  launcher::v1::ReadyFile ready;
  ready.set_grpc_address(grpc_address);
  ready.set_metrics_address(metrics_address);
  ready.set_http_address(http_address);
  ready.set_pid(getpid());
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(ready, &json).ok()) {
    return absl::InternalError("cannot render the ready file");
  }
  // Written beside and renamed, so a reader never sees half of it.
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return absl::UnavailableError("cannot write " + tmp);
  std::fputs(json.c_str(), f);
  std::fclose(f);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError("cannot rename " + tmp);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<OptionSpec> ServiceOptions(const ServiceInfo& info) {
  std::vector<OptionSpec> specs = CommonOptions(info.default_grpc_port, info.default_metrics_port);
  specs.insert(specs.end(), info.extra_options.begin(), info.extra_options.end());
  return specs;
}

ServiceRuntime::ServiceRuntime(int argc, char** argv, ServiceInfo info)
    : info_(std::move(info)),
      config_(Config::LoadOrExit(argc, argv, info_.name, ServiceOptions(info_))),
      registry_(std::make_shared<prometheus::Registry>()) {
  // Blocked before any thread starts, so every thread inherits the mask and only Run()'s
  // sigwait receives the signal: no handler runs on a random thread mid-call.
  sigset_t stop = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  // A peer closing a socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
  // Debian builds Abseil without NDEBUG, so every Mutex acquisition would also update a global
  // lock-order graph under a global lock: measurable on every call of a busy service. The tests,
  // which do not run through here, keep the detection on (decision 136).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Its thread starts after the mask, like every other.
  memory_release_ = std::make_unique<FreedMemoryRelease>(size_t{32} << 20);

  log::Init(info_.name, config_.GetString("log_level"), config_.GetString("log_format"));
  // Only services warn, not the launcher or the broker: their environment is, on purpose, the
  // one they hand to every service they start.
  config_.LogUnknownEnvironment();
  // Fail closed, before anything is opened or bound: a forgotten setting must never start a
  // service whose RPCs are open to anyone.
  if (config_.GetString("auth_jwks_file").empty() && !config_.GetBool("allow_unauthenticated")) {
    log::Error("cannot set up authentication",
               {{"error",
                 "auth_jwks_file is not set: set it (the launcher and the Helm chart do), or set "
                 "allow_unauthenticated=true for development"}});
    std::exit(2);
  }
  // Like authentication, TLS fails closed at start: a file that cannot be read or a key that is
  // not the certificate's stops the process here, not in every later handshake.
  absl::StatusOr<GrpcTls> tls = GrpcTls::FromConfig(config_);
  if (!tls.ok()) {
    log::Error("cannot set up gRPC TLS", {{"error", tls.status().ToString()}});
    std::exit(2);
  }
  tls_ = *std::move(tls);
  if (tls_.enabled()) {
    log::Info("gRPC mutual TLS is on", {{"cert_file", tls_.files().cert_file},
                                        {"ca_file", tls_.files().ca_file},
                                        {"reload_seconds", tls_.files().reload_seconds}});
  }
  auto metrics = MetricsServer::Start(config_.GetString("bind_address"),
                                      static_cast<int>(config_.GetInt("metrics_port")), registry_,
                                      ServiceName());
  if (!metrics.ok()) {
    log::Error("cannot start the metrics endpoint", {{"error", metrics.status().ToString()}});
    std::exit(1);
  }
  metrics_server_ = std::move(*metrics);
  prometheus::BuildGauge()
      .Name("itsm_build_info")
      .Help("Constant 1, labelled with the service and its version.")
      .Register(*registry_)
      .Add({{"service", ServiceName()}, {"program", info_.name}, {"version", "0.1.0"}})
      .Set(1);
}

ServiceRuntime::~ServiceRuntime() = default;

std::string ServiceRuntime::ServiceName() const {
  const std::string configured = config_.GetString("service_name");
  return configured.empty() ? info_.name : configured;
}

std::shared_ptr<grpc::Channel> ServiceRuntime::ChannelTo(const std::string& address,
                                                         int connection) {
  const std::string key_file = config_.GetString("auth_signing_key_file");
  if (!key_file.empty() && outbound_identity_ == nullptr) {
    auto identity = OutboundIdentity::ForService(key_file, config_.GetString("auth_issuer"),
                                                 config_.GetString("auth_audience"), info_.name);
    if (!identity.ok()) {
      log::Error("cannot read auth_signing_key_file", {{"error", identity.status().ToString()}});
      std::exit(2);
    }
    outbound_identity_ = *std::move(identity);
  }
  return OutboundChannel(address, outbound_identity_, tls_.ChannelCredentials(), connection);
}

void ServiceRuntime::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

void ServiceRuntime::OnShutdown(std::string name, std::function<void()> stop) {
  shutdown_steps_.emplace_back(std::move(name), std::move(stop));
}

void ServiceRuntime::RequestStop() { kill(getpid(), SIGTERM); }

absl::StatusOr<std::shared_ptr<const CallAuthenticator>> ServiceRuntime::Authenticator() const {
  const std::string jwks_file = config_.GetString("auth_jwks_file");
  if (jwks_file.empty()) {  // allow_unauthenticated: the constructor checked
    log::Warn(
        "authentication is disabled (allow_unauthenticated): callers name themselves "
        "(x-itsm-actor) and every RPC is open",
        {});
    return nullptr;
  }
  ITSM_ASSIGN_OR_RETURN(std::unique_ptr<auth::JwksFileSource> keys,
                        auth::JwksFileSource::Open(jwks_file, base::SystemClock::Get()));
  std::vector<std::string> names;
  for (const auto& [service, name] : services_) names.push_back(name);
  log::Info("authentication is on",
            {{"jwks_file", jwks_file}, {"issuer", config_.GetString("auth_issuer")}});
  return CallAuthenticator::ForSuiteIssuer(std::move(keys), config_.GetString("auth_issuer"),
                                           config_.GetString("auth_audience"), names);
}

std::string ServiceRuntime::PlaintextHealthAddress() const {
  const int64_t port = config_.GetInt("grpc_plaintext_health_port");
  if (!tls_.enabled() || port == 0) return "";
  return absl::StrCat(config_.GetString("bind_address"), ":", port);
}

std::string ServiceRuntime::GrpcAddress() const {
  absl::MutexLock lock(&grpc_address_mu_);
  return grpc_address_;
}

int ServiceRuntime::Run() {
  const absl::Time start = absl::Now();
  int grpc_port = 0;
  const std::string bind = config_.GetString("bind_address");
  std::vector<grpc::Service*> services;
  for (auto& [service, name] : services_) services.push_back(service);
  absl::StatusOr<std::shared_ptr<const CallAuthenticator>> authenticator = Authenticator();
  if (!authenticator.ok()) {
    log::Error("cannot set up authentication", {{"error", authenticator.status().ToString()}});
    return 2;
  }
  std::unique_ptr<grpc::Server> server = StartGrpcServer(
      absl::StrCat(bind, ":", config_.GetInt("grpc_port")), services, *registry_, &grpc_port,
      *std::move(authenticator), tls_.enabled() ? tls_.ServerCredentials() : nullptr,
      PlaintextHealthAddress());
  if (server == nullptr) {
    log::Error("cannot start the gRPC server",
               {{"address", absl::StrCat(bind, ":", config_.GetInt("grpc_port"))}});
    return 1;
  }
  auto* health = server->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (auto& [service, name] : services_) health->SetServingStatus(name, true);

  // Where the process is reached (the ready file, its own calls to itself): with mutual TLS the
  // host dialled must be a name of the certificate (found from outside: bound to 0.0.0.0 on
  // Kubernetes, the gateway dialled 0.0.0.0 for its own ApiKeyService).
  const std::string grpc_address = absl::StrCat(DialableHost(bind), ":", grpc_port);
  {
    absl::MutexLock lock(&grpc_address_mu_);
    grpc_address_ = grpc_address;
  }
  const std::string metrics_address =
      absl::StrCat(DialableHost(bind), ":", metrics_server_->port());
  std::string http_address = http_address_;
  if (absl::StartsWith(http_address, bind + ":")) {
    http_address = absl::StrCat(DialableHost(bind), http_address.substr(bind.size()));
  }
  if (const std::string ready_file = config_.GetString("ready_file"); !ready_file.empty()) {
    absl::Status written = WriteReadyFile(ready_file, grpc_address, metrics_address, http_address);
    if (!written.ok()) log::Error("cannot write the ready file", {{"error", written.ToString()}});
  }
  log::Info("serving", {{"grpc", grpc_address},
                        {"metrics", metrics_address},
                        {"pid", static_cast<int64_t>(getpid())},
                        {"serve_ms", absl::ToDoubleMilliseconds(absl::Now() - start)}});

  sigset_t stop = StopSignals();
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  log::Info("stopping", {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
  Shutdown(*server);
  log::Info("stopped");
  return 0;
}

void ServiceRuntime::Shutdown(grpc::Server& server) {
  const absl::Duration budget = absl::Seconds(config_.GetInt("shutdown_timeout_seconds"));
  const absl::Duration grace = absl::Milliseconds(config_.GetInt("shutdown_grace_ms"));
  std::thread([budget] {
    absl::SleepFor(budget);
    log::Error("graceful stop overran shutdown_timeout_seconds; exiting");
    std::_Exit(1);
  }).detach();
  // Each stage is logged with how long it took: a slow stop says where its time went.
  auto stage = [](absl::string_view name, const std::function<void()>& run) {
    const absl::Time start = absl::Now();
    run();
    log::Info("shutdown stage done",
              {{"stage", name}, {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start)}});
  };

  // 1. NOT_SERVING for every service (no later update may flip it back), then a grace period
  //    during which calls are still answered: a load balancer or the launcher notices the health
  //    change and stops sending before the port closes, so no caller meets a refused connection.
  stage("not serving", [&] { server.GetHealthCheckService()->Shutdown(); });
  stage("grace period", [&] { absl::SleepFor(grace); });
  // 2. Stop accepting; calls in flight get up to half the budget to finish, then are cancelled.
  stage("drain calls", [&] {
    server.Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(budget / 2));
    server.Wait();
  });
  // 3. Last started, first stopped: typically the call executor (queued reads finish), the
  //    group committer (queued writes commit), the outbox relay (a final round publishes what
  //    they wrote, then the producer is flushed), then storage closes.
  for (auto it = shutdown_steps_.rbegin(); it != shutdown_steps_.rend(); ++it) {
    stage(it->first, it->second);
  }
}

}  // namespace itsm::runtime
