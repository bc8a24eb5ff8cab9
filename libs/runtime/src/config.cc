#include "itsm/runtime/config.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace itsm::runtime {

std::vector<OptionSpec> CommonOptions(int default_grpc_port, int default_metrics_port) {
  return {
      {"bind_address", "127.0.0.1",
       "Address the gRPC and metrics ports listen on (0.0.0.0 in a container)."},
      {"grpc_port", std::to_string(default_grpc_port),
       "gRPC port; 0 picks a free one (see ready_file)."},
      {"metrics_port", std::to_string(default_metrics_port),
       "Prometheus /metrics port; 0 picks a free one."},
      {"data_dir", "./data", "Folder for the embedded SQLite database and other local state."},
      {"database_url", "",
       "sqlite:///path.db or postgresql://user@host/db; empty means "
       "sqlite://<data_dir>/<service>.db."},
      {"database_pool_size", "8", "Database connections per process."},
      {"sqlite_synchronous", "full",
       "SQLite only: full fsyncs every commit (survives power loss); normal fsyncs at checkpoints "
       "(survives a process crash, may lose the last commits on power loss)."},
      {"kafka_bootstrap_servers", "",
       "Kafka bootstrap servers (host:port,...). Empty: events wait in the outbox until it is "
       "set."},
      {"kafka_client_properties", "",
       "Extra librdkafka properties, key=value;key=value (e.g. security.protocol=ssl)."},
      {"outbox_retention_hours", "168",
       "How long published events stay in the outbox, re-publishable with RepublishEvents."},
      {"idempotency_retention_hours", "168",
       "How long an idempotency key answers with the record it created; after that the same key "
       "creates again."},
      {"outbox_poll_interval_ms", "200",
       "How often the outbox relay looks for rows written by other replicas."},
      {"log_level", "info", "trace, debug, info, warn, error."},
      {"log_format", "json", "json (one object per line) or text."},
      {"shutdown_timeout_seconds", "15",
       "Upper bound on a graceful stop after SIGTERM: drain calls, flush events."},
      {"ready_file", "",
       "If set, a JSON file written once serving, with the bound addresses (used by the launcher "
       "and tests)."},
  };
}

std::string EnvironmentName(absl::string_view option) {
  return absl::StrCat("ITSM_", absl::AsciiStrToUpper(option));
}

absl::StatusOr<Config> Config::Load(int argc, const char* const* argv, std::string service,
                                    std::vector<OptionSpec> specs) {
  Config config;
  config.service_ = std::move(service);
  config.specs_ = std::move(specs);
  for (const auto& spec : config.specs_) {
    const char* env = std::getenv(EnvironmentName(spec.name).c_str());
    config.values_[spec.name] = env ? std::string(env) : spec.default_value;
  }
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      return absl::CancelledError(config.Usage());
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name;
    std::string value;
    if (auto eq = arg.find('='); eq != absl::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < argc) {
      name = std::string(arg);
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("option --", arg, " needs a value"));
    }
    if (!config.values_.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name, " (see --help)"));
    }
    config.values_[name] = value;
  }
  return config;
}

Config Config::LoadOrExit(int argc, char** argv, std::string service,
                          std::vector<OptionSpec> specs) {
  auto config = Load(argc, argv, std::move(service), std::move(specs));
  if (config.ok()) return *std::move(config);
  if (config.status().code() == absl::StatusCode::kCancelled) {
    std::fprintf(stdout, "%s", std::string(config.status().message()).c_str());
    std::exit(0);
  }
  std::fprintf(stderr, "configuration error: %s\n", std::string(config.status().message()).c_str());
  std::exit(2);
}

std::string Config::GetString(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    // A typo in code, not in configuration: fail loudly at start-up.
    std::fprintf(stderr, "internal error: option %s is not declared\n", std::string(name).c_str());
    std::abort();
  }
  return it->second;
}

int64_t Config::GetInt(absl::string_view name) const {
  const std::string value = GetString(name);
  int64_t out = 0;
  if (!absl::SimpleAtoi(value, &out)) {
    std::fprintf(stderr, "configuration error: --%s (%s) must be an integer, got \"%s\"\n",
                 std::string(name).c_str(), EnvironmentName(name).c_str(), value.c_str());
    std::exit(2);
  }
  return out;
}

bool Config::GetBool(absl::string_view name) const {
  const std::string value = absl::AsciiStrToLower(GetString(name));
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no" || value.empty()) return false;
  std::fprintf(stderr, "configuration error: --%s must be true or false, got \"%s\"\n",
               std::string(name).c_str(), value.c_str());
  std::exit(2);
}

std::string Config::Usage() const {
  std::string out = absl::StrCat("itsm-", service_, " options (flag, else environment, else default):\n");
  for (const auto& spec : specs_) {
    absl::StrAppend(&out, "  --", spec.name, " / ", EnvironmentName(spec.name), "  [default \"",
                    spec.default_value, "\"]\n      ", spec.help, "\n");
  }
  return out;
}

std::string Config::DatabaseUrl() const {
  std::string url = GetString("database_url");
  if (!url.empty()) return url;
  return absl::StrCat("sqlite://", GetString("data_dir"), "/", service_, ".db");
}

}  // namespace itsm::runtime
