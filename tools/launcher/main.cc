// itsm-launch: runs the whole suite on one machine — redis-server (AOF on), the embedded Kafka
// broker (unless a real one is configured), and every service in deploy/local/suite.json — waits
// until each is SERVING, prints the endpoints (and writes <run dir>/endpoints.json for tools),
// and on Ctrl-C or SIGTERM stops everything in reverse order.
//
// A service or redis-server that exits while the suite runs is started again in place, with a
// backoff (restarter.h). The embedded broker is not: it keeps events in memory only and cannot
// come back on the port the services were given, so its loss stops the suite (decision 204).
//
// One launcher runs in a run directory at a time (run_dir_lock.h). Data lives in the run
// directory, so a second start keeps it. With an empty embedded broker each service is started
// with outbox_republish_on_start: its retained outbox events are queued again before its first
// publishing round (consumers de-duplicate by ce_id).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "first_admin_key.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/time_util.h"
#include "itsm/launcher/v1/endpoints.pb.h"
#include "itsm/runtime/config.h"
#include "itsm/runtime/grpc_tls.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/outbound_identity.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/local_issuer.h"
#include "itsm/supervisor/local_tls.h"
#include "itsm/supervisor/suite_service.h"
#include "log_rotation.h"
#include "reserved_ports.h"
#include "restarter.h"
#include "run_dir_lock.h"

namespace itsm::launcher {
namespace {

namespace log = runtime::log;

absl::StatusOr<v1::SuiteConfig> LoadSuite(const std::string& path) {
  auto text = supervisor::ReadFile(path);
  if (!text.ok()) return text.status();
  v1::SuiteConfig suite;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &suite);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", parsed.message().as_string()));
  }
  if (suite.run_dir().empty()) suite.set_run_dir("run");
  if (suite.start_timeout_seconds() <= 0) suite.set_start_timeout_seconds(30);
  if (suite.kafka().partitions() <= 0) suite.mutable_kafka()->set_partitions(8);
  return suite;
}

// The console's folder for the gateway: `configured` when set, else console/ beside the folder
// holding this binary (build/bin/itsm-launch -> build/console) when the console was built there;
// "" for none (the suite runs without it).
std::string ConsoleDir(const std::string& configured) {
  if (!configured.empty()) return std::filesystem::absolute(configured).lexically_normal().string();
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const std::filesystem::path built = self.parent_path().parent_path() / "console";
  return std::filesystem::is_regular_file(built / "index.html", ec) ? built.string() : "";
}

// A service of the suite, started again on the ports it bound at its first start, so that the
// ITSM_<NAME>_ADDRESS the others were given and endpoints.json stay right.
class RestartableService : public Restartable {
 public:
  // `slot` holds the service (replaced by each restart); `restarted` gets the new pid once it
  // serves again.
  RestartableService(std::unique_ptr<supervisor::SuiteService>* slot, std::string log_file,
                     std::function<void(pid_t)> restarted)
      : slot_(slot), log_file_(std::move(log_file)), restarted_(std::move(restarted)) {}
  std::string name() const override { return (*slot_)->name(); }
  supervisor::ChildProcess& process() override { return (*slot_)->process(); }
  absl::Status Relaunch() override {
    auto launched = supervisor::SuiteService::Launch((*slot_)->RestartOptions());
    if (!launched.ok()) return launched.status();
    *slot_ = *std::move(launched);
    return absl::OkStatus();
  }
  // 250 ms: on loopback a serving process answers in a few; a stuck one must not hold the loop.
  absl::StatusOr<bool> PollReady() override { return (*slot_)->PollReady(absl::Milliseconds(250)); }
  void Restarted() override { restarted_((*slot_)->process().pid()); }
  std::string log_file() const override { return log_file_; }

 private:
  std::unique_ptr<supervisor::SuiteService>* slot_;
  std::string log_file_;
  std::function<void(pid_t)> restarted_;
};

// redis-server, started again on its port and data folder: it reloads its AOF, and the
// services' clients reconnect on their next call (the SLA timers then go back to the positions
// that Redis holds: docs/sla-timer.md, section 4).
class RestartableRedis : public Restartable {
 public:
  RestartableRedis(supervisor::RedisServer* redis, std::string log_file, absl::Duration timeout)
      : redis_(redis), log_file_(std::move(log_file)), timeout_(timeout) {}
  std::string name() const override { return "redis-server"; }
  supervisor::ChildProcess& process() override { return redis_->process(); }
  absl::Status Relaunch() override { return redis_->Restart(timeout_); }
  absl::StatusOr<bool> PollReady() override { return redis_->PollReady(); }
  std::string log_file() const override { return log_file_; }

 private:
  supervisor::RedisServer* redis_;
  std::string log_file_;
  absl::Duration timeout_;
};

// Keeps the suite's fixed ports out of other processes' outgoing connections
// (reserved_ports.h); without the right to, says how.
// Every process's log in the run's logs folder (the services', redis-server's, the broker's).
void RotateLargeLogs(const LogRotation& rotation, const std::string& logs_dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(logs_dir, error)) {
    if (entry.path().extension() != ".log") continue;
    absl::StatusOr<bool> rotated = rotation.RotateIfLarge(entry.path().string());
    if (!rotated.ok()) {
      log::Warn("cannot rotate a log", {{"error", rotated.status().ToString()}});
    } else if (*rotated) {
      log::Info("log rotated", {{"log", entry.path().string()}});
    }
  }
}

void ReserveSuitePorts(const v1::SuiteConfig& suite) {
  std::vector<int> ports = {suite.redis().port()};
  for (const v1::ServiceConfig& svc : suite.services()) {
    ports.push_back(svc.grpc_port());
    ports.push_back(svc.metrics_port());
    int http_port = 0;
    if (auto it = svc.env().find("ITSM_HTTP_PORT");
        it != svc.env().end() && absl::SimpleAtoi(it->second, &http_port)) {
      ports.push_back(http_port);
    }
  }
  std::erase(ports, 0);
  absl::StatusOr<std::vector<int>> added = ReserveEphemeralPorts(ports);
  if (!added.ok()) {
    log::Warn(
        "the suite's fixed ports in the ephemeral range are not reserved: an outgoing connection "
        "may take one while its service restarts; reserve them with sysctl "
        "net.ipv4.ip_local_reserved_ports (docs/operations.md)",
        {{"error", added.status().ToString()}});
  } else if (!added->empty()) {
    log::Info(
        "reserved the suite's ports in the ephemeral range (net.ipv4.ip_local_reserved_ports)",
        {{"ports", absl::StrJoin(*added, ",")}});
  }
}

int Run(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  runtime::Config config = runtime::Config::LoadOrExit(
      argc, argv, "launch",
      {runtime::StringOption("config", "deploy/local/suite.json",
                             "The suite to start (proto3 JSON of itsm.launcher.v1.SuiteConfig)."),
       runtime::StringOption("run_dir", "", "Overrides the run directory of the suite file."),
       runtime::BoolOption("tls", false,
                           "Mutual TLS between the processes and HTTPS at the gateway, with a "
                           "throwaway CA in <run dir>/tls (as the suite file's tls.enabled)."),
       runtime::StringOption("console_dir", "",
                             "The web console's files for the gateway (its console_dir); empty: "
                             "console/ beside the launcher's bin/ (build/console), when built."),
       runtime::IntOption("log_max_mb", 100, 0, 1 << 20,
                          "A process's log in <run dir>/logs is copied to <name>.log.1 and emptied "
                          "once it holds more megabytes than this; 0: never."),
       runtime::IntOption("log_keep", 3, 0, 100,
                          "Rotated copies of each log kept (<name>.log.1 the newest)."),
       runtime::LogLevelOption("info"), runtime::LogFormatOption("text")});
  log::Init("launch", config.GetString("log_level"), config.GetString("log_format"));

  auto suite = LoadSuite(config.GetString("config"));
  if (!suite.ok()) {
    log::Error("cannot read the suite file", {{"error", suite.status().ToString()}});
    return 2;
  }
  if (!config.GetString("run_dir").empty()) suite->set_run_dir(config.GetString("run_dir"));
  const std::string run_dir =
      std::filesystem::absolute(suite->run_dir()).lexically_normal().string();
  // The run's databases (webhook secrets, every record), logs, Redis and broker data are the
  // user's alone, as its auth/ and tls/ folders are: private folders, whatever the umask.
  for (const char* folder : {"/logs", "/data", "/redis", "/kafka"}) {
    std::error_code error;
    std::filesystem::create_directories(run_dir + folder, error);
    if (!error) {
      std::filesystem::permissions(run_dir + folder, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, error);
    }
    if (error) {
      log::Error("cannot prepare the run directory",
                 {{"folder", run_dir + folder}, {"error", error.message()}});
      return 1;
    }
  }
  const absl::Duration start_timeout = absl::Seconds(suite->start_timeout_seconds());
  // Before anything else in the run directory is touched: one launcher at a time, and not
  // before what an earlier one left stopping (a kill -9 of it) has gone (run_dir_lock.h).
  auto run_dir_lock = RunDirLock::Take(run_dir, start_timeout, [&stop] {
    const timespec now{};
    return sigtimedwait(&stop, nullptr, &now) > 0;
  });
  if (!run_dir_lock.ok()) {
    log::Error("cannot use the run directory", {{"error", run_dir_lock.status().ToString()}});
    return 1;
  }
  const std::string endpoints_file = run_dir + "/endpoints.json";
  std::error_code ignored;  // a stale one stays if the folder is read-only: it is replaced later
  std::filesystem::remove(endpoints_file, ignored);
  if (!suite->has_reserve_ports() || suite->reserve_ports()) ReserveSuitePorts(*suite);

  v1::Endpoints endpoints;
  endpoints.set_run_dir(run_dir);
  endpoints.set_launcher_pid(getpid());

  // Authentication is on in every local run, as in production: each service verifies the
  // tokens of this run's issuer, and the launcher re-publishes with an admin identity of its own.
  auto issuer = supervisor::LocalIssuer::OpenOrCreate(run_dir + "/auth");
  if (!issuer.ok()) {
    log::Error("cannot create the suite's token issuer", {{"error", issuer.status().ToString()}});
    return 1;
  }
  v1::LocalAuth& local_auth = *endpoints.mutable_auth();
  local_auth.set_signing_key_file(issuer->signing_key_file);
  local_auth.set_jwks_file(issuer->jwks_file);
  local_auth.set_issuer("itsm");
  local_auth.set_audience("itsm");
  auto launcher_identity = runtime::OutboundIdentity::FromKeyFile(
      issuer->signing_key_file, local_auth.issuer(), local_auth.audience(),
      auth::Identity{.subject = "service:launch", .roles = {common::v1::ROLE_ADMIN}});
  if (!launcher_identity.ok()) {
    log::Error("cannot sign the launcher's identity",
               {{"error", launcher_identity.status().ToString()}});
    return 1;
  }

  // TLS (off by default locally: every port listens on loopback only, and the README's plain
  // curl must keep working; docs/decisions.md). On: a CA kept in <run dir>/tls, and certificates
  // issued anew at each start for every service (gRPC, as server and client), the gateway's
  // HTTPS port, the launcher itself and itsmctl.
  const bool tls_on = suite->tls().enabled() || config.GetBool("tls");
  std::optional<supervisor::LocalCertificateAuthority> ca;
  runtime::GrpcTls launcher_tls;
  if (tls_on) {
    auto opened = supervisor::LocalCertificateAuthority::OpenOrCreate(run_dir + "/tls");
    absl::StatusOr<supervisor::IssuedCertificate> own =
        opened.ok() ? opened->Issue("launch") : opened.status();
    absl::StatusOr<supervisor::IssuedCertificate> ctl =
        own.ok() ? opened->Issue("itsmctl") : own.status();
    absl::StatusOr<runtime::GrpcTls> credentials =
        ctl.ok() ? runtime::GrpcTls::FromFiles({.cert_file = own->cert_file,
                                                .key_file = own->key_file,
                                                .ca_file = opened->ca_file()})
                 : absl::StatusOr<runtime::GrpcTls>(ctl.status());
    if (!credentials.ok()) {
      log::Error("cannot create the suite's TLS certificates",
                 {{"error", credentials.status().ToString()}});
      return 1;
    }
    ca = *std::move(opened);
    launcher_tls = *std::move(credentials);
    v1::LocalTls& local_tls = *endpoints.mutable_tls();
    local_tls.set_ca_file(ca->ca_file());
    local_tls.set_client_cert_file(ctl->cert_file);
    local_tls.set_client_key_file(ctl->key_file);
  }

  const std::string console_dir = ConsoleDir(config.GetString("console_dir"));

  // Started in dependency order; stopped in reverse (services first, so that they flush their
  // producers and finish their writes while Kafka and Redis are still there).
  auto redis = supervisor::RedisServer::Start(run_dir + "/redis", suite->redis().port(),
                                              run_dir + "/logs/redis.log", issuer->redis_password);
  if (!redis.ok()) {
    log::Error("cannot start redis-server", {{"error", redis.status().ToString()}});
    return 1;
  }
  endpoints.set_redis_address((*redis)->address());

  std::unique_ptr<supervisor::KafkaBroker> broker;
  std::string bootstrap = suite->kafka().bootstrap_servers();
  const bool embedded = bootstrap.empty();
  if (embedded) {
    supervisor::KafkaBroker::Options options;
    options.dir = run_dir + "/kafka";
    options.partitions = suite->kafka().partitions();
    options.topics = {suite->kafka().topics().begin(), suite->kafka().topics().end()};
    options.log_file = run_dir + "/logs/kafka.log";
    auto started = supervisor::KafkaBroker::Start(options);
    if (!started.ok()) {
      log::Error("cannot start the embedded Kafka broker",
                 {{"error", started.status().ToString()}});
      return 1;
    }
    broker = std::move(*started);
    bootstrap = broker->bootstrap_servers();
    endpoints.set_kafka_pid(broker->process().pid());
  }
  endpoints.set_kafka_bootstrap_servers(bootstrap);

  std::vector<std::unique_ptr<supervisor::SuiteService>> services;
  // The front doors (services with an HTTP listener: the gateway) stop first, so that no new
  // call comes in; then every other service at once. Each reports NOT_SERVING, answers through
  // its grace period and drains on its own, so stopping them one after another only added up
  // their grace periods (nine services: 17 s for a Ctrl-C, decision 165).
  auto stop_all = [&] {
    // A service that crashed and waits for its restart has nothing left to stop.
    auto stop_together = [](std::vector<supervisor::SuiteService*> group) {
      std::erase_if(group, [](auto* service) { return !service->process().Running(); });
      for (auto* service : group) {
        log::Info("stopping", {{"service", service->name()}});
        service->process().Signal(SIGTERM);
      }
      for (auto* service : group) {
        const int code = service->process().Wait(absl::Seconds(20));
        if (code != 0) {
          log::Warn("service exited with an error", {{"service", service->name()}, {"code", code}});
        }
      }
    };
    std::vector<supervisor::SuiteService*> front_doors, others;
    for (auto& service : services) {
      (service->http_address().empty() ? others : front_doors).push_back(service.get());
    }
    stop_together(front_doors);
    stop_together(others);
    services.clear();
    if (broker) broker->Stop();
    (*redis)->Stop();
    std::error_code ignored;  // stopping goes on whatever the folder allows
    std::filesystem::remove(endpoints_file, ignored);
  };

  for (const auto& svc : suite->services()) {
    supervisor::SuiteService::Options options;
    options.name = svc.name();
    options.program = svc.program();
    options.dir = run_dir + "/data";
    options.grpc_port = svc.grpc_port();
    options.metrics_port = svc.metrics_port();
    options.log_file = run_dir + "/logs/" + svc.name() + ".log";
    options.start_timeout = start_timeout;
    options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", bootstrap},
                   {"ITSM_REDIS_ADDRESS", (*redis)->address()},
                   {"ITSM_REDIS_PASSWORD_FILE", issuer->redis_password_file},
                   {"ITSM_AUTH_JWKS_FILE", local_auth.jwks_file()},
                   {"ITSM_AUTH_SIGNING_KEY_FILE", local_auth.signing_key_file()},
                   {"ITSM_AUTH_ISSUER", local_auth.issuer()},
                   {"ITSM_AUTH_AUDIENCE", local_auth.audience()}};
    // The embedded broker starts empty: each service queues its retained events again before
    // its relay's first round, so that they reach it in the order they were written (a restart
    // of the service, meeting the same broker, does not: SuiteService::RestartOptions).
    if (embedded) options.env.emplace_back(supervisor::kRepublishOnStartEnv, "true");
    // Every service started before this one is announced as ITSM_<NAME>_ADDRESS (the option
    // <name>_address of the services that call others, e.g. sla_address), so that services on
    // port 0 still find each other. The suite file's env wins.
    for (const auto& earlier : services) {
      std::string name = absl::AsciiStrToUpper(earlier->name());
      std::replace(name.begin(), name.end(), '-', '_');
      options.env.emplace_back(absl::StrCat("ITSM_", name, "_ADDRESS"), earlier->grpc_address());
    }
    if (tls_on) {
      auto issued = ca->Issue(svc.name());
      // The gateway also serves HTTPS, with a certificate of its own (a production gateway's
      // public certificate is not its internal mTLS identity either).
      auto https = svc.name() == "gateway"
                       ? ca->Issue(svc.name(), supervisor::LocalCertificateAuthority::kLeafLifetime,
                                   "gateway-https")
                       : issued;
      if (!issued.ok() || !https.ok()) {
        log::Error("cannot issue a certificate",
                   {{"service", svc.name()},
                    {"error", (issued.ok() ? https.status() : issued.status()).ToString()}});
        stop_all();
        return 1;
      }
      options.env.emplace_back("ITSM_GRPC_TLS_CERT_FILE", issued->cert_file);
      options.env.emplace_back("ITSM_GRPC_TLS_KEY_FILE", issued->key_file);
      options.env.emplace_back("ITSM_GRPC_TLS_CA_FILE", ca->ca_file());
      if (svc.name() == "gateway") {
        options.env.emplace_back("ITSM_TLS_CERT_FILE", https->cert_file);
        options.env.emplace_back("ITSM_TLS_KEY_FILE", https->key_file);
      }
      options.credentials = launcher_tls.ChannelCredentials();
    }
    if (svc.name() == "gateway" && !console_dir.empty()) {
      options.env.emplace_back("ITSM_CONSOLE_DIR", console_dir);
    }
    for (const auto& [k, v] : svc.env()) options.env.emplace_back(k, v);
    const absl::Time started_at = absl::Now();
    auto started = supervisor::SuiteService::Start(options);
    if (!started.ok()) {
      log::Error("cannot start a service", {{"service", svc.name()},
                                            {"error", started.status().ToString()},
                                            {"log", options.log_file}});
      stop_all();
      return 1;
    }
    log::Info("serving", {{"service", svc.name()},
                          {"grpc", (*started)->grpc_address()},
                          {"ready_ms", absl::ToDoubleMilliseconds(absl::Now() - started_at)}});
    auto* e = endpoints.add_services();
    e->set_name(svc.name());
    e->set_grpc_address((*started)->grpc_address());
    e->set_metrics_url("http://" + (*started)->metrics_address() + "/metrics");
    e->set_pid((*started)->process().pid());
    e->set_log_file(options.log_file);
    if (!(*started)->http_address().empty()) {
      e->set_http_url((tls_on ? "https://" : "http://") + (*started)->http_address());
    }
    services.push_back(std::move(*started));
  }

  auto write_endpoints = [&] {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(endpoints, &json, print);
    if (absl::Status written = supervisor::WriteFileAtomically(endpoints_file, json);
        !written.ok()) {
      log::Error("cannot write endpoints.json", {{"error", written.ToString()}});
    }
  };
  write_endpoints();

  std::printf("\nitsm suite is running   run dir: %s\n\n", run_dir.c_str());
  std::printf("  %-14s %-22s %-36s %s\n", "SERVICE", "GRPC", "METRICS", "LOG");
  for (const auto& e : endpoints.services()) {
    std::printf("  %-14s %-22s %-36s %s\n", e.name().c_str(), e.grpc_address().c_str(),
                e.metrics_url().c_str(), e.log_file().c_str());
  }
  for (const auto& e : endpoints.services()) {
    if (e.http_url().empty()) continue;
    std::printf("  %-14s %-22s (REST/JSON: %s/openapi.json, %s/docs)\n", e.name().c_str(),
                e.http_url().c_str(), e.http_url().c_str(), e.http_url().c_str());
    if (!console_dir.empty()) {
      std::printf("  %-14s %-22s (web console: %s/console/)\n", "console", "",
                  e.http_url().c_str());
    }
  }
  std::printf("  %-14s %-22s %s\n", "kafka", bootstrap.c_str(),
              embedded ? "(embedded, in memory)" : "(external)");
  std::printf("  %-14s %-22s (AOF in %s/redis)\n", "redis", (*redis)->address().c_str(),
              run_dir.c_str());
  std::printf("  %-14s %-22s (itsmctl signs your identity with it; docs/security.md)\n", "auth",
              (run_dir + "/auth").c_str());
  if (tls_on) {
    std::printf("  %-14s %-22s (mutual TLS between processes, HTTPS at the gateway; trust %s)\n",
                "tls", (run_dir + "/tls").c_str(), endpoints.tls().ca_file().c_str());
  }
  for (const auto& e : endpoints.services()) {
    if (e.name() != "gateway") continue;
    absl::StatusOr<std::string> admin_key = CreateFirstAdminKey(
        e.grpc_address(), *launcher_identity, run_dir + "/auth/first-admin-key.json", launcher_tls);
    if (!admin_key.ok()) {
      log::Warn("no first admin API key", {{"error", admin_key.status().ToString()}});
    } else if (!admin_key->empty()) {
      std::printf(
          "\n  The first admin API key, shown this once (store it; itsmctl apikey create makes "
          "more):\n    %s\n  e.g. curl%s -H 'Authorization: Bearer %s' %s/v1/incidents\n",
          admin_key->c_str(),
          tls_on ? absl::StrCat(" --cacert ", endpoints.tls().ca_file()).c_str() : "",
          admin_key->c_str(), e.http_url().c_str());
      if (!console_dir.empty()) {
        std::printf("  or open the web console, %s/console/, and sign in with it\n",
                    e.http_url().c_str());
      }
    }
  }
  std::printf("\nendpoints: %s   try: itsmctl status\nPress Ctrl-C to stop.\n\n",
              endpoints_file.c_str());
  std::fflush(stdout);

  // From here on a process that exits is started again (restarter.h); the adapters point
  // into `services`, which no longer grows.
  Restarter restarter;
  std::vector<std::unique_ptr<Restartable>> restartables;
  restartables.push_back(std::make_unique<RestartableRedis>(
      redis->get(), run_dir + "/logs/redis.log", std::max(start_timeout, absl::Seconds(10))));
  for (size_t i = 0; i < services.size(); ++i) {
    restartables.push_back(std::make_unique<RestartableService>(
        &services[i], run_dir + "/logs/" + services[i]->name() + ".log",
        [&endpoints, &write_endpoints, i](pid_t pid) {
          // Same addresses (same ports); only the pid changed.
          endpoints.mutable_services(static_cast<int>(i))->set_pid(pid);
          write_endpoints();
        }));
  }
  for (auto& r : restartables) restarter.Watch(r.get(), absl::Now());

  // Wait for a stop signal; four times a second, see to the processes (restarts, and the
  // broker). A tick never blocks longer than a health check, so a Ctrl-C is answered at once,
  // in a restart's backoff or its start too.
  const LogRotation log_rotation({.max_bytes = config.GetInt("log_max_mb") << 20,
                                  .keep = static_cast<int>(config.GetInt("log_keep"))});
  int exit_code = 0;
  for (int tick = 0;; ++tick) {
    if (tick % 20 == 0) RotateLargeLogs(log_rotation, run_dir + "/logs");
    timespec timeout{0, 250'000'000};
    const int sig = sigtimedwait(&stop, nullptr, &timeout);
    if (sig == SIGTERM || sig == SIGINT) {
      log::Info("stopping the suite");
      break;
    }
    if (broker && !broker->process().Running()) {
      // Not restarted (decision 204): librdkafka's mock cluster only listens on random ports,
      // so a new broker would have an address no running service knows, and it would start
      // empty under consumers and producers that hold positions and state of the lost one.
      log::Error(
          "the embedded Kafka broker exited; stopping the suite. It kept the suite's events in "
          "memory only and cannot come back on the address the services were given (it listens "
          "on random ports only). Run itsm-launch again on the same run dir: it starts an empty "
          "broker and every service re-publishes its retained events (docs/operations.md)",
          {{"exit", supervisor::DescribeExit(broker->process().exit_status().value_or(0))},
           {"log", run_dir + "/logs/kafka.log"}});
      exit_code = 1;
      break;
    }
    restarter.Tick(absl::Now());
  }
  stop_all();
  log::Info("stopped");
  return exit_code;
}

}  // namespace
}  // namespace itsm::launcher

int main(int argc, char** argv) { return itsm::launcher::Run(argc, argv); }
