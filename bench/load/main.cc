// itsm-bench: measures the suite against this machine's own limit, side by side in one run.
// Each scenario starts the real processes on loopback (as the launcher does), drives them with
// the same load driver, and reports absolute figures next to the ratio to the reference (a bare
// gRPC server whose handler does nothing). Results: bench/results/<name>.json and .md.
//
//   itsm-bench --scenarios=reference,committed-reference,incident-sqlite,incident-postgres,gateway,
//                          gateway-floor,events,reads
//   itsm-bench --quick   (seconds instead of minutes: the CI smoke run)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "http_load_client.h"
#include "itsm/base/status_macros.h"
#include "itsm/events/event_consumer.h"
#include "itsm/gateway/v1/api_keys.grpc.pb.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/outbox/outbox.h"
#include "itsm/runtime/config.h"
#include "itsm/runtime/grpc_tls.h"
#include "itsm/runtime/logging.h"
#include "itsm/storage/migrations.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"
#include "load_driver.h"
#include "sample_request.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_repository.h"

namespace itsm::bench {
namespace {

namespace log = runtime::log;
using incident::v1::CreateIncidentRequest;

struct Settings {
  absl::Duration warmup;
  absl::Duration duration;
  absl::Duration open_duration;
  int64_t seed_incidents;
  std::vector<int> concurrencies = {1, 4, 16, 64};
  int channels = 4;
};

// One row of the results table.
struct Row {
  std::string scenario;
  std::string measure;
  double value = 0;
  std::string unit;
  std::string vs_reference;  // e.g. "0.52 of reference", or ""
  std::string note;
};

// The load generator's own process, watched for CPU too but never counted in the suite's.
constexpr char kClientProcess[] = "client (itsm-bench)";

class Results {
 public:
  void Add(Row row) {
    std::printf("  %-22s %-38s %12.2f %-6s %s %s\n", row.scenario.c_str(), row.measure.c_str(),
                row.value, row.unit.c_str(), row.vs_reference.c_str(), row.note.c_str());
    std::fflush(stdout);
    rows_.push_back(std::move(row));
  }
  void AddLoad(const std::string& scenario, const LoadResult& r, double reference_rate) {
    const std::string what = r.mode == "closed"
                                 ? absl::StrCat("closed loop, ", r.concurrency, " in flight")
                                 : absl::StrFormat("open loop at %.0f/s", r.target_rate);
    Add({scenario, what + ": rate", r.rate, "/s",
         reference_rate > 0 ? absl::StrFormat("%.2f of reference", r.rate / reference_rate) : "",
         r.errors ? absl::StrCat(r.errors, " errors") : ""});
    Add({scenario, what + ": p50", r.p50_ms, "ms", "", ""});
    Add({scenario, what + ": p99", r.p99_ms, "ms", "", ""});
    Add({scenario, what + ": p99.9", r.p999_ms, "ms", "", ""});
    // Per process, then the suite's total (every watched process but the load's own client).
    double suite = 0;
    int suite_processes = 0;
    for (const CpuPerCall& cpu : r.cpu) {
      Add({scenario, absl::StrCat(what, ": CPU per call, ", cpu.process), cpu.micros, "us", "",
           ""});
      if (cpu.process != kClientProcess) {
        suite += cpu.micros;
        ++suite_processes;
      }
    }
    if (suite_processes > 1) {
      Add({scenario, what + ": CPU per call, suite", suite, "us", "", ""});
    }
  }
  std::string Json(const std::string& name, const std::string& machine) const {
    std::string out =
        absl::StrCat("{\n  \"name\": \"", name, "\",\n  \"time\": \"",
                     absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()),
                     "\",\n  \"machine\": \"", machine, "\",\n  \"results\": [\n");
    for (size_t i = 0; i < rows_.size(); ++i) {
      const Row& r = rows_[i];
      absl::StrAppendFormat(&out,
                            "    {\"scenario\": \"%s\", \"measure\": \"%s\", \"value\": %.4f, "
                            "\"unit\": \"%s\", \"vs_reference\": \"%s\", \"note\": \"%s\"}%s\n",
                            r.scenario, r.measure, r.value, r.unit, r.vs_reference, r.note,
                            i + 1 < rows_.size() ? "," : "");
    }
    return out + "  ]\n}\n";
  }
  std::string Markdown(const std::string& machine, const std::string& command) const {
    std::string out = absl::StrCat(
        "Machine: ", machine, "  \nCommand: `", command,
        "`  \nRun: ", absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone()),
        "\n\n| scenario | measure | value | unit | vs reference | note "
        "|\n|---|---|---:|---|---|---|\n");
    for (const Row& r : rows_) {
      absl::StrAppendFormat(&out, "| %s | %s | %.2f | %s | %s | %s |\n", r.scenario, r.measure,
                            r.value, r.unit, r.vs_reference, r.note);
    }
    return out;
  }

 private:
  std::vector<Row> rows_;
};

std::string MachineDescription() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const double gib = static_cast<double>(pages) * sysconf(_SC_PAGESIZE) / (1024.0 * 1024 * 1024);
  return absl::StrFormat("%d cores, %.0f GiB, %s", sysconf(_SC_NPROCESSORS_ONLN), gib, model);
}

// VmRSS / VmHWM of a process, in MB.
// A field of /proc/<pid>/status ("VmRSS", "VmHWM") or, with file "smaps_rollup", of that
// ("Pss": the process's own pages plus its share of those it maps with others), in MB.
double MemoryMb(pid_t pid, const char* field, const char* file = "status") {
  std::ifstream status(absl::StrCat("/proc/", pid, "/", file));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      std::istringstream in(line.substr(line.find(':') + 1));
      double kb = 0;
      in >> kb;
      return kb / 1024.0;
    }
  }
  return 0;
}

// Several channels (distinct arguments, so gRPC does not share one connection): one HTTP/2
// connection caps a client on this machine.
class IncidentClient {
 public:
  // `authorization`: the "Bearer <token>" every call presents, as the gateway's calls do;
  // `credentials`: runtime::GrpcTls's for a service running mutual TLS, null for plaintext.
  IncidentClient(const std::string& address, int channels, std::string authorization,
                 std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr)
      : authorization_(std::move(authorization)) {
    if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
    for (int i = 0; i < channels; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("itsm.bench.channel", i);
      stubs_.push_back(incident::v1::IncidentService::NewStub(
          grpc::CreateCustomChannel(address, credentials, args)));
    }
  }

  AsyncCall Create() {
    return [this](int worker, std::function<void(bool)> done) {
      struct Call {
        grpc::ClientContext ctx;
        CreateIncidentRequest request;
        incident::v1::CreateIncidentResponse response;
      };
      auto* c = new Call();
      c->ctx.AddMetadata("authorization", authorization_);
      c->request = SampleRequest(counter_++);
      c->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      stubs_[worker % stubs_.size()]->async()->CreateIncident(&c->ctx, &c->request, &c->response,
                                                              [c, done](grpc::Status s) {
                                                                done(s.ok());
                                                                delete c;
                                                              });
    };
  }

  AsyncCall Get(std::vector<std::string> ids) {
    auto shared = std::make_shared<std::vector<std::string>>(std::move(ids));
    return [this, shared](int worker, std::function<void(bool)> done) {
      struct Call {
        grpc::ClientContext ctx;
        incident::v1::GetIncidentRequest request;
        incident::v1::GetIncidentResponse response;
      };
      auto* c = new Call();
      c->ctx.AddMetadata("authorization", authorization_);
      c->request.set_id((*shared)[counter_++ % shared->size()]);
      stubs_[worker % stubs_.size()]->async()->GetIncident(&c->ctx, &c->request, &c->response,
                                                           [c, done](grpc::Status s) {
                                                             done(s.ok());
                                                             delete c;
                                                           });
    };
  }

  AsyncCall List(incident::v1::ListIncidentsRequest request) {
    return [this, request](int worker, std::function<void(bool)> done) {
      struct Call {
        grpc::ClientContext ctx;
        incident::v1::ListIncidentsRequest request;
        incident::v1::ListIncidentsResponse response;
      };
      auto* c = new Call();
      c->ctx.AddMetadata("authorization", authorization_);
      c->request = request;
      stubs_[worker % stubs_.size()]->async()->ListIncidents(
          &c->ctx, &c->request, &c->response, [c, done](grpc::Status s) {
            done(s.ok() && c->response.incidents_size() > 0);
            delete c;
          });
    };
  }

  // Blocking create, for the event-latency scenario.
  absl::StatusOr<incident::v1::Incident> CreateNow(int64_t n) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", authorization_);
    incident::v1::CreateIncidentResponse response;
    grpc::Status s = stubs_[0]->CreateIncident(&ctx, SampleRequest(n), &response);
    if (!s.ok()) return absl::UnavailableError(s.error_message());
    return response.incident();
  }

 private:
  const std::string authorization_;
  std::vector<std::unique_ptr<incident::v1::IncidentService::Stub>> stubs_;
  std::atomic<int64_t> counter_{0};
};

struct Bench {
  Settings settings;
  Results results;
  testing::ScratchDir dir;
  // The services verify identity tokens as in the suite: one signed for the load's agent.
  testing::TestIssuer issuer;
  const std::string authorization = issuer.Authorization(
      {.subject = "bench", .roles = {common::v1::ROLE_AGENT}}, absl::Hours(24));
  double reference_rate = 0;
  std::unique_ptr<supervisor::KafkaBroker> broker;

  absl::Status EnsureKafka() {
    if (broker) return absl::OkStatus();
    supervisor::KafkaBroker::Options options;
    options.dir = dir.File("kafka");
    options.log_file = dir.File("kafka.log");
    ITSM_ASSIGN_OR_RETURN(broker, supervisor::KafkaBroker::Start(options));
    return absl::OkStatus();
  }

  // The processes whose CPU per call a scenario reports: `services`, the broker when running,
  // the load's client, and `trees` with every process they started.
  CpuWatch Watch(std::vector<std::pair<std::string, pid_t>> services,
                 std::vector<std::pair<std::string, pid_t>> trees = {}) {
    CpuWatch watch{std::move(services), std::move(trees)};
    if (broker) watch.processes.emplace_back("broker (itsm-kafka)", broker->process().pid());
    watch.processes.emplace_back(kClientProcess, getpid());
    return watch;
  }

  // Closed loops at each concurrency; returns the best rate.
  double ClosedLoops(const std::string& scenario, const AsyncCall& call,
                     const CpuWatch& watch = {}) {
    double best = 0;
    for (int c : settings.concurrencies) {
      LoadResult r = RunClosedLoop(call, c, settings.warmup, settings.duration, watch);
      results.AddLoad(scenario, r, reference_rate);
      best = std::max(best, r.rate);
    }
    return best;
  }

  // The no-op gRPC server the create scenarios are compared with.
  absl::Status Reference() {
    const std::string scenario = "reference (no-op gRPC)";
    ITSM_ASSIGN_OR_RETURN(auto echo, StartChild("itsm-bench-echo", {}));
    IncidentClient client(echo.address, settings.channels, authorization);
    const CpuWatch watch{
        {{"service (itsm-bench-echo)", echo.process->pid()}, {kClientProcess, getpid()}}};
    reference_rate = ClosedLoops(scenario, client.Create(), watch);
    // The open loop at half the best rate, as the create scenarios run it: its p99 is what this
    // machine's scheduler and gRPC alone add to a call at that share of their capacity, the floor
    // under the scenarios' open-loop p99.
    results.AddLoad(scenario,
                    RunOpenLoop(client.Create(), std::max(1.0, reference_rate / 2),
                                settings.open_duration, watch),
                    reference_rate);
    echo.process->Stop(absl::Seconds(5));
    return absl::OkStatus();
  }

  // The no-op server answering through the group committer (itsm-bench-echo --committed): what
  // a durable write's hand-overs cost before any storage work, the floor under a create's CPU.
  absl::Status CommittedReference() {
    ITSM_ASSIGN_OR_RETURN(auto echo, StartChild("itsm-bench-echo", {"--committed"}));
    IncidentClient client(echo.address, settings.channels, authorization);
    const CpuWatch watch{
        {{"service (itsm-bench-echo)", echo.process->pid()}, {kClientProcess, getpid()}}};
    ClosedLoops("no-op answered through the group committer", client.Create(), watch);
    echo.process->Stop(absl::Seconds(5));
    return absl::OkStatus();
  }

  // Issue 13's GET ratio against its floor: the thinnest gateway on the gateway's own HTTP server
  // and upstream pool (itsm-bench-proxy: no authentication, routing or JSON), in front of the
  // no-op server's GetIncident, next to calling that GetIncident directly. What the proxy costs
  // a call is the least any gateway on this stack adds.
  absl::Status GatewayFloor() {
    const std::string scenario = "gateway floor";
    ITSM_ASSIGN_OR_RETURN(auto echo, StartChild("itsm-bench-echo", {}));
    ITSM_ASSIGN_OR_RETURN(auto proxy, StartChild("itsm-bench-proxy", {echo.address}));
    const size_t colon = proxy.address.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(proxy.address.substr(colon + 1), &port)) {
      return absl::InternalError(absl::StrCat("proxy address: ", proxy.address));
    }
    HttpLoadClient http(proxy.address.substr(0, colon), port, 16, {});
    IncidentClient direct(echo.address, settings.channels, authorization);
    const CpuWatch watch = Watch({{"proxy (itsm-bench-proxy)", proxy.process->pid()},
                                  {"service (itsm-bench-echo)", echo.process->pid()}});
    LoadResult direct_get =
        RunClosedLoop(direct.Get({"INC0000001"}), 16, settings.warmup, settings.duration, watch);
    results.AddLoad("gateway floor: direct no-op GetIncident", direct_get, reference_rate);
    LoadResult proxied_get = RunClosedLoop(http.Get([](int64_t) { return "/v1/incidents/1"; }), 16,
                                           settings.warmup, settings.duration, watch);
    results.AddLoad("gateway floor: GET through the proxy", proxied_get, reference_rate);
    results.Add({scenario, "GET rate / direct rate, 16 in flight",
                 direct_get.rate > 0 ? proxied_get.rate / direct_get.rate : 0, "x", "", ""});
    proxy.process->Stop(absl::Seconds(5));
    echo.process->Stop(absl::Seconds(5));
    return absl::OkStatus();
  }

  // A bench binary of the suite that prints the address it serves on its first line.
  struct Child {
    std::unique_ptr<supervisor::ChildProcess> process;
    std::string address;
  };
  absl::StatusOr<Child> StartChild(const std::string& name, std::vector<std::string> args) {
    ITSM_ASSIGN_OR_RETURN(std::string binary, supervisor::FindSuiteBinary(name));
    const std::string out = dir.File(absl::StrCat(name, "-", ++children_started, ".out"));
    Child child;
    ITSM_ASSIGN_OR_RETURN(child.process,
                          supervisor::ChildProcess::Start({binary, std::move(args), {}, out, ""}));
    ITSM_RETURN_IF_ERROR(supervisor::WaitUntil(
        [&] {
          auto text = supervisor::ReadFile(out);
          if (text.ok() && text->find('\n') != std::string::npos) {
            child.address = text->substr(0, text->find('\n'));
          }
          return !child.address.empty();
        },
        absl::Seconds(10), name));
    return child;
  }
  int children_started = 0;

  absl::StatusOr<std::unique_ptr<supervisor::SuiteService>> StartIncident(
      const std::string& scenario, const std::string& database_url) {
    ITSM_RETURN_IF_ERROR(EnsureKafka());
    supervisor::SuiteService::Options options;
    options.name = "incident";
    options.dir = dir.File("data-" + scenario);
    options.log_file = dir.File(scenario + ".log");
    options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", broker->bootstrap_servers()},
                   {"ITSM_LOG_LEVEL", "warn"}};
    for (auto& setting : issuer.ServiceEnv(dir.path())) options.env.push_back(setting);
    if (!database_url.empty()) options.env.emplace_back("ITSM_DATABASE_URL", database_url);
    const absl::Time start = absl::Now();
    ITSM_ASSIGN_OR_RETURN(auto service, supervisor::SuiteService::Start(options));
    results.Add({scenario, "start to SERVING", absl::ToDoubleMilliseconds(absl::Now() - start),
                 "ms", "", "target < 500 ms"});
    absl::SleepFor(absl::Milliseconds(500));
    results.Add({scenario, "idle RSS", MemoryMb(service->process().pid(), "VmRSS"), "MB", "",
                 "target < 50 MB"});
    // Most of the RSS is shared libraries' pages (gRPC, OpenSSL, protobuf), shared with every
    // other process of the suite: the proportional figure says what this one adds.
    results.Add({scenario, "idle PSS", MemoryMb(service->process().pid(), "Pss", "smaps_rollup"),
                 "MB", "", ""});
    return service;
  }

  absl::Status IncidentCreate(const std::string& scenario, const std::string& database_url) {
    ITSM_ASSIGN_OR_RETURN(auto service, StartIncident(scenario, database_url));
    IncidentClient client(service->grpc_address(), settings.channels, authorization);
    // On PostgreSQL, the database's CPU too (it counts in the suite's): the scratch server this
    // process started, with the backend of each connection and its background workers.
    std::vector<std::pair<std::string, pid_t>> database;
    if (!database_url.empty()) {
      for (pid_t postmaster : ChildrenNamed(getpid(), "postgres")) {
        database.emplace_back("database (postgres)", postmaster);
      }
    }
    const CpuWatch watch =
        Watch({{"service (itsm-incident)", service->process().pid()}}, std::move(database));
    const double max_rate = ClosedLoops(scenario, client.Create(), watch);
    LoadResult open =
        RunOpenLoop(client.Create(), std::max(1.0, max_rate / 2), settings.open_duration, watch);
    results.AddLoad(scenario, open, reference_rate);
    results.Add({scenario, "peak RSS under load", MemoryMb(service->process().pid(), "VmHWM"), "MB",
                 "", ""});
    service->Stop();
    return absl::OkStatus();
  }

  absl::Status EventLatency() {
    const std::string scenario = "event latency";
    ITSM_ASSIGN_OR_RETURN(auto service, StartIncident(scenario, ""));
    IncidentClient client(service->grpc_address(), 1, authorization);
    absl::Mutex mu;
    std::map<std::string, absl::Time> acked;     // incident id -> create acknowledged
    std::map<std::string, absl::Time> consumed;  // incident id -> event seen
    prometheus::Registry registry;
    events::EventConsumer consumer(
        {.bootstrap_servers = broker->bootstrap_servers(),
         .group_id = "bench-latency",
         .topics = {"itsm.incident.v1"},
         .auto_offset_reset = "latest"},
        [&](const events::ConsumedEvent& e) {
          absl::MutexLock lock(&mu);
          consumed.emplace(e.key, absl::Now());
          return absl::OkStatus();
        },
        registry);
    std::atomic<bool> assigned{false};
    consumer.SetRebalanceListener([&](bool gained, const auto&) { assigned = gained; });
    ITSM_RETURN_IF_ERROR(consumer.Start());
    // Measure the steady state: the consumer has joined its group and seen a first event.
    ITSM_RETURN_IF_ERROR(supervisor::WaitUntil([&] { return assigned.load(); }, absl::Seconds(30),
                                               "consumer assignment"));
    ITSM_RETURN_IF_ERROR(client.CreateNow(1 << 30).status());
    ITSM_RETURN_IF_ERROR(supervisor::WaitUntil(
        [&] {
          absl::MutexLock lock(&mu);
          return !consumed.empty();
        },
        absl::Seconds(30), "warm-up event"));
    {
      absl::MutexLock lock(&mu);
      consumed.clear();
    }
    const int64_t count = std::max<int64_t>(
        20, static_cast<int64_t>(200 * absl::ToDoubleSeconds(settings.open_duration)));
    const absl::Duration gap = absl::Milliseconds(5);  // 200 creates/s: latency, not throughput
    for (int64_t i = 0; i < count; ++i) {
      ITSM_ASSIGN_OR_RETURN(auto incident, client.CreateNow(i));
      {
        absl::MutexLock lock(&mu);
        acked.emplace(incident.id(), absl::Now());
      }
      absl::SleepFor(gap);
    }
    ITSM_RETURN_IF_ERROR(supervisor::WaitUntil(
        [&] {
          absl::MutexLock lock(&mu);
          return consumed.size() >= acked.size();
        },
        absl::Seconds(30), "every event consumed"));
    consumer.Stop();
    std::vector<double> latencies;
    for (const auto& [id, at] : acked) {
      // An event may even arrive before the client has the response: count that as zero.
      latencies.push_back(std::max(0.0, absl::ToDoubleMilliseconds(consumed[id] - at)));
    }
    results.Add({scenario, "commit -> consumer: p50", Percentile(latencies, 50), "ms", "", ""});
    results.Add({scenario, "commit -> consumer: p99", Percentile(latencies, 99), "ms", "",
                 "target <= 50 ms"});
    service->Stop();
    return absl::OkStatus();
  }

  // Issue 13's bar: the gateway's cost in the same run, against the same incident service.
  // REST with an agent's API key (as integrations call it: key check, token reuse, transcoding,
  // forwarding) next to direct gRPC with a token, at each concurrency; then both at half the
  // gateway's best rate in an open loop, whose p99 difference is what the gateway adds. Rate
  // limits are off (no Redis): they cost one Redis round trip, measured by ratelimit's tests.
  absl::Status Gateway() {
    const std::string scenario = "gateway";
    ITSM_ASSIGN_OR_RETURN(auto incident, StartIncident("gateway: incident, SQLite", ""));
    supervisor::SuiteService::Options options;
    options.name = "gateway";
    options.dir = dir.File("data-gateway");
    options.log_file = dir.File("gateway.log");
    options.env = {{"ITSM_INCIDENT_ADDRESS", incident->grpc_address()},
                   {"ITSM_HTTP_PORT", "0"},
                   {"ITSM_LOG_LEVEL", "warn"}};
    for (auto& setting : issuer.ServiceEnv(dir.path())) options.env.push_back(setting);
    ITSM_ASSIGN_OR_RETURN(auto gateway, supervisor::SuiteService::Start(options));

    auto keys = gateway::v1::ApiKeyService::NewStub(issuer.Channel(
        gateway->grpc_address(), {.subject = "bench-admin", .roles = {common::v1::ROLE_ADMIN}}));
    gateway::v1::CreateApiKeyRequest key_request;
    key_request.set_name("bench-agent");
    key_request.add_roles(common::v1::ROLE_AGENT);
    gateway::v1::CreateApiKeyResponse key;
    grpc::ClientContext key_ctx;
    if (grpc::Status s = keys->CreateApiKey(&key_ctx, key_request, &key); !s.ok()) {
      return absl::InternalError(absl::StrCat("creating the API key: ", s.error_message()));
    }
    const std::string& http = gateway->http_address();
    const size_t colon = http.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(http.substr(colon + 1), &port)) {
      return absl::InternalError(absl::StrCat("gateway HTTP address: ", http));
    }
    const int most =
        *std::max_element(settings.concurrencies.begin(), settings.concurrencies.end());
    HttpLoadClient rest(http.substr(0, colon), port, std::max(most, 16),
                        {{"X-API-Key", key.secret()}});
    IncidentClient direct(incident->grpc_address(), settings.channels, authorization);
    auto create_json = [](int64_t n) {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(SampleRequest(n), &json);
      return json;
    };

    const CpuWatch watch = Watch({{"gateway (itsm-gateway)", gateway->process().pid()},
                                  {"service (itsm-incident)", incident->process().pid()}});
    double best_rest = 0;
    for (int c : settings.concurrencies) {
      LoadResult d = RunClosedLoop(direct.Create(), c, settings.warmup, settings.duration, watch);
      results.AddLoad("gateway: direct CreateIncident", d, reference_rate);
      LoadResult g = RunClosedLoop(rest.Post("/v1/incidents", create_json), c, settings.warmup,
                                   settings.duration, watch);
      results.AddLoad("gateway: POST /v1/incidents", g, reference_rate);
      results.Add({scenario, absl::StrCat("POST rate / direct rate, ", c, " in flight"),
                   d.rate > 0 ? g.rate / d.rate : 0, "x", "", "target >= 0.7"});
      best_rest = std::max(best_rest, g.rate);
    }
    const double half = std::max(1.0, best_rest / 2);
    LoadResult direct_open = RunOpenLoop(direct.Create(), half, settings.open_duration, watch);
    results.AddLoad("gateway: direct CreateIncident", direct_open, reference_rate);
    LoadResult rest_open =
        RunOpenLoop(rest.Post("/v1/incidents", create_json), half, settings.open_duration, watch);
    results.AddLoad("gateway: POST /v1/incidents", rest_open, reference_rate);
    results.Add({scenario, "p99 added at half load", rest_open.p99_ms - direct_open.p99_ms, "ms",
                 "", "target <= 2 ms"});

    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) {
      ITSM_ASSIGN_OR_RETURN(auto created, direct.CreateNow(i));
      ids.push_back(created.id());
    }
    LoadResult direct_get =
        RunClosedLoop(direct.Get(ids), 16, settings.warmup, settings.duration, watch);
    results.AddLoad("gateway: direct GetIncident", direct_get, reference_rate);
    LoadResult rest_get = RunClosedLoop(
        rest.Get([&ids](int64_t n) { return "/v1/incidents/" + ids[n % ids.size()]; }), 16,
        settings.warmup, settings.duration, watch);
    results.AddLoad("gateway: GET /v1/incidents/{id}", rest_get, reference_rate);
    results.Add({scenario, "GET rate / direct rate, 16 in flight",
                 direct_get.rate > 0 ? rest_get.rate / direct_get.rate : 0, "x", "",
                 "target >= 0.7"});
    results.Add(
        {scenario, "gateway peak RSS", MemoryMb(gateway->process().pid(), "VmHWM"), "MB", "", ""});
    gateway->Stop();
    incident->Stop();
    return absl::OkStatus();
  }

  // Seeds the database file directly (far faster than through the API), then measures reads.
  absl::Status Reads() {
    const std::string scenario = absl::StrCat("reads, ", settings.seed_incidents, " stored");
    const std::string data = dir.File("data-" + scenario);
    ITSM_ASSIGN_OR_RETURN(
        auto db, storage::OpenDatabase(
                     "sqlite://" + data + "/incident.db",
                     {.pool_size = 1, .busy_timeout_ms = 5000, .sqlite_synchronous_full = false}));
    ITSM_RETURN_IF_ERROR(storage::ApplySchema(*db, incident::IncidentRepository::Schema()));
    const incident::PriorityMatrix matrix = incident::PriorityMatrix::Default();
    const incident::IncidentFactory factory(matrix, base::SystemClock::Get());
    std::vector<std::string> ids;
    const absl::Time seed_start = absl::Now();
    for (int64_t done = 0; done < settings.seed_incidents;) {
      ITSM_ASSIGN_OR_RETURN(auto txn, db->Begin(storage::TransactionMode::kReadWrite));
      for (int i = 0; i < 20000 && done < settings.seed_incidents; ++i, ++done) {
        incident::v1::Incident inc = factory.NewIncident(SampleRequest(done), "bench");
        ITSM_RETURN_IF_ERROR(incident::IncidentRepository::Insert(*txn, inc));
        if (done % 97 == 0) ids.push_back(inc.id());
      }
      ITSM_RETURN_IF_ERROR(txn->Commit());
    }
    results.Add({scenario, "seeding (direct SQLite inserts)",
                 settings.seed_incidents / absl::ToDoubleSeconds(absl::Now() - seed_start), "/s",
                 "", ""});
    db.reset();
    ITSM_RETURN_IF_ERROR(EnsureKafka());
    supervisor::SuiteService::Options options;
    options.name = "incident";
    options.dir = data;
    options.log_file = dir.File("reads.log");
    options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", broker->bootstrap_servers()},
                   {"ITSM_LOG_LEVEL", "warn"}};
    for (auto& setting : issuer.ServiceEnv(dir.path())) options.env.push_back(setting);
    ITSM_ASSIGN_OR_RETURN(auto service, supervisor::SuiteService::Start(options));
    IncidentClient client(service->grpc_address(), settings.channels, authorization);
    const CpuWatch watch = Watch({{"service (itsm-incident)", service->process().pid()}});
    // This machine's speed drifts between the reference scenario and a read step minutes later
    // by more than the code's difference (docs/benchmarks.md, "Reads"), so each read step is
    // also compared with the no-op server run just before and just after it, at its depth.
    ITSM_ASSIGN_OR_RETURN(auto echo, StartChild("itsm-bench-echo", {}));
    IncidentClient noop(echo.address, settings.channels, authorization);
    auto beside_reference = [&](const std::string& step, const AsyncCall& read) {
      const absl::Duration half = settings.duration / 2;
      const double before = RunClosedLoop(noop.Create(), 16, settings.warmup, half, {}).rate;
      const LoadResult r = RunClosedLoop(read, 16, settings.warmup, settings.duration, watch);
      const double after = RunClosedLoop(noop.Create(), 16, settings.warmup, half, {}).rate;
      results.AddLoad(step, r, reference_rate);
      const double beside = (before + after) / 2;
      results.Add({step, "rate / the no-op reference's run beside it (16 in flight)",
                   beside > 0 ? r.rate / beside : 0, "x",
                   absl::StrFormat("reference %.0f /s before, %.0f /s after", before, after), ""});
    };
    beside_reference(scenario + ": GetIncident", client.Get(ids));
    incident::v1::ListIncidentsRequest filtered;
    filtered.set_assignment_group("payments");
    filtered.add_priorities(incident::v1::PRIORITY_P1);
    filtered.add_priorities(incident::v1::PRIORITY_P2);
    filtered.mutable_page()->set_page_size(50);
    beside_reference(scenario + ": ListIncidents page of 50 (group + priority filter)",
                     client.List(filtered));
    results.Add({scenario, "peak RSS", MemoryMb(service->process().pid(), "VmHWM"), "MB", "", ""});
    echo.process->Stop(absl::Seconds(5));
    service->Stop();
    return absl::OkStatus();
  }
};

int Main(int argc, char** argv) {
  // With --address, the grpc_tls_* options give the client certificate for a service running
  // mutual TLS.
  std::vector<runtime::OptionSpec> options = {
      runtime::StringOption(
          "scenarios",
          "reference,committed-reference,incident-sqlite,incident-postgres,gateway,"
          "gateway-floor,events,reads",
          "Comma-separated scenarios to run (the reference always runs first)."),
      runtime::BoolOption("quick", false,
                          "Tiny durations and counts: checks the harness works (CI smoke run)."),
      runtime::IntOption("seconds", 5, 1, 3600, "Measured seconds per closed-loop step."),
      runtime::IntOption("seed_incidents", 1000000, 0, 100000000,
                         "Incidents stored before measuring reads."),
      runtime::StringOption("concurrency", "1,4,16,64",
                            "Calls in flight for the closed-loop steps."),
      runtime::StringOption("results_dir", "bench/results",
                            "Where <name>.json and <name>.md are written."),
      runtime::StringOption("name", "latest", "Result file name."),
      runtime::StringOption("address", "",
                            "Drive an already running incident service at host:port (scenario "
                            "incident-create-at) instead of starting one."),
      runtime::StringOption("token", "",
                            "The identity token (JWT) to present to the service at --address; "
                            "it must trust its issuer."),
      runtime::LogLevelOption("warn"),
      runtime::LogFormatOption("text")};
  for (runtime::OptionSpec& tls : runtime::GrpcTlsOptions()) options.push_back(std::move(tls));
  runtime::Config config = runtime::Config::LoadOrExit(argc, argv, "bench", std::move(options));
  log::Init("bench", config.GetString("log_level"), config.GetString("log_format"));
  Bench bench;
  const bool quick = config.GetBool("quick");
  bench.settings.warmup = quick ? absl::Milliseconds(100) : absl::Seconds(1);
  bench.settings.duration =
      quick ? absl::Milliseconds(300) : absl::Seconds(config.GetInt("seconds"));
  bench.settings.open_duration = quick ? absl::Milliseconds(500) : absl::Seconds(10);
  bench.settings.seed_incidents = quick ? 2000 : config.GetInt("seed_incidents");
  const std::vector<std::string> scenarios = absl::StrSplit(config.GetString("scenarios"), ',');
  bench.settings.concurrencies.clear();
  for (absl::string_view c :
       absl::StrSplit(config.GetString("concurrency"), ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(c, &n) || n < 1) {
      std::fprintf(stderr, "--concurrency: expected numbers like 1,16,64\n");
      return 2;
    }
    bench.settings.concurrencies.push_back(n);
  }
  const std::string machine = MachineDescription();
  std::printf("itsm-bench on %s\n", machine.c_str());

  auto wanted = [&](const std::string& s) {
    return std::find(scenarios.begin(), scenarios.end(), s) != scenarios.end();
  };
  std::vector<std::pair<std::string, absl::Status>> failures;
  auto run = [&](const std::string& name, const std::function<absl::Status()>& fn) {
    std::printf("\n== %s\n", name.c_str());
    std::fflush(stdout);
    absl::Status s = fn();
    if (!s.ok()) {
      std::printf("  FAILED: %s\n", s.ToString().c_str());
      failures.emplace_back(name, s);
    }
  };
  run("reference", [&] { return bench.Reference(); });
  if (wanted("committed-reference")) {
    run("committed-reference", [&] { return bench.CommittedReference(); });
  }
  if (wanted("incident-sqlite")) {
    run("incident-sqlite", [&] { return bench.IncidentCreate("incident create, SQLite", ""); });
  }
  if (wanted("incident-postgres")) {
    run("incident-postgres", [&]() -> absl::Status {
      ITSM_ASSIGN_OR_RETURN(std::string url, testing::NewDatabaseUrl(testing::Backend::kPostgres));
      return bench.IncidentCreate("incident create, PostgreSQL", url);
    });
  }
  if (wanted("incident-create-at")) {
    run("incident-create-at", [&]() -> absl::Status {
      ITSM_ASSIGN_OR_RETURN(runtime::GrpcTls tls, runtime::GrpcTls::FromConfig(config));
      IncidentClient client(config.GetString("address"), bench.settings.channels,
                            "Bearer " + config.GetString("token"), tls.ChannelCredentials());
      bench.ClosedLoops("incident create at " + config.GetString("address"), client.Create());
      return absl::OkStatus();
    });
  }
  if (wanted("gateway")) run("gateway", [&] { return bench.Gateway(); });
  if (wanted("gateway-floor")) run("gateway-floor", [&] { return bench.GatewayFloor(); });
  if (wanted("events")) run("events", [&] { return bench.EventLatency(); });
  if (wanted("reads")) run("reads", [&] { return bench.Reads(); });

  const std::string dir = config.GetString("results_dir");
  const std::string name = config.GetString("name");
  std::string command = "itsm-bench";
  for (int i = 1; i < argc; ++i) absl::StrAppend(&command, " ", argv[i]);
  std::filesystem::create_directories(dir);
  (void)supervisor::WriteFileAtomically(dir + "/" + name + ".json",
                                        bench.results.Json(name, machine));
  const std::string md = bench.results.Markdown(machine, command);
  (void)supervisor::WriteFileAtomically(dir + "/" + name + ".md", md);
  std::printf("\n%s\nwritten: %s/%s.json and .md\n", md.c_str(), dir.c_str(), name.c_str());
  for (const auto& [scenario, status] : failures) {
    std::fprintf(stderr, "scenario %s failed: %s\n", scenario.c_str(), status.ToString().c_str());
  }
  return failures.empty() ? 0 : 1;
}

}  // namespace
}  // namespace itsm::bench

int main(int argc, char** argv) { return itsm::bench::Main(argc, argv); }
