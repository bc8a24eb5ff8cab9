#include "itsm/runtime/config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "itsm/runtime/grpc_tls.h"
#include "itsm/runtime/logging.h"

extern char** environ;

namespace itsm::runtime {
namespace {

// ITSM_* variables that the suite sets on purpose for processes other than the one reading them,
// and that therefore reach every service: warning about them would make every start noisy and
// hide the warnings that matter.
// - The launcher announces every service started before the next one as ITSM_<NAME>_ADDRESS
//   (tools/launcher/main.cc), and both the launcher and the Helm chart pass ITSM_REDIS_ADDRESS
//   to every service; only the services that call the named one declare the option
//   (sla_address, configuration_address, redis_address). The names are the suite's services,
//   planned ones included (docs/settings.md, default ports), and replicas named after them
//   ("incident-b"), so that a misspelt name still warns.
// - The launcher also gives every service ITSM_REDIS_PASSWORD_FILE, the local Redis's password
//   (only the services with redis_address read it).
// - ITSM_BIN_DIR (where the supervisor finds binaries; ctest sets it for every test),
//   ITSM_ENDPOINTS (itsmctl), ITSM_BUILD_JOBS and ITSM_TEST_JOBS (tools/*.sh) and
//   ITSM_BUSINESSTIME_SEED (a property test) belong to tools, and children inherit them.
constexpr absl::string_view kAnnouncedAddressNames[] = {
    "INCIDENT",  "CHANGE",           "CONFIGURATION", "SLA",     "SUPPLIER",
    "SLA_TIMER", "CHANGE_SLA_TIMER", "WEBHOOKS",      "GATEWAY", "REDIS"};
constexpr absl::string_view kToolVariables[] = {
    "ITSM_BIN_DIR",   "ITSM_ENDPOINTS",         "ITSM_BUILD_JOBS",
    "ITSM_TEST_JOBS", "ITSM_BUSINESSTIME_SEED", "ITSM_REDIS_PASSWORD_FILE"};

bool IsSharedVariable(absl::string_view variable) {
  for (absl::string_view tool : kToolVariables) {
    if (variable == tool) return true;
  }
  absl::string_view name = variable;
  if (!absl::ConsumePrefix(&name, "ITSM_") || !absl::ConsumeSuffix(&name, "_ADDRESS")) {
    return false;
  }
  // A replica named after its service ("incident-b", ITSM_INCIDENT_B_ADDRESS) is announced too.
  return std::any_of(std::begin(kAnnouncedAddressNames), std::end(kAnnouncedAddressNames),
                     [name](absl::string_view known) {
                       return name == known || absl::StartsWith(name, absl::StrCat(known, "_"));
                     });
}

// Levenshtein distance: insertions, deletions and substitutions each cost one.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string ClosestOption(absl::string_view variable, const std::vector<OptionSpec>& specs) {
  absl::string_view name = variable;
  absl::ConsumePrefix(&name, "ITSM_");
  const std::string lower = absl::AsciiStrToLower(name);
  std::string best;
  size_t best_distance = std::string::npos;
  for (const auto& spec : specs) {
    const size_t distance = EditDistance(lower, spec.name);
    if (distance < best_distance) {
      best = spec.name;
      best_distance = distance;
    }
  }
  return best;
}

std::string Bounds(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::kString:
      return "";
    case OptionType::kInt:
      return absl::StrCat(spec.min, "..", spec.max);
    case OptionType::kBool:
      return "true, false";
    case OptionType::kEnum:
      return absl::StrJoin(spec.allowed, ", ");
  }
  return "";
}

absl::string_view TypeName(OptionType type) {
  switch (type) {
    case OptionType::kString:
      return "string";
    case OptionType::kInt:
      return "int";
    case OptionType::kBool:
      return "bool";
    case OptionType::kEnum:
      return "enum";
  }
  return "";
}

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  const std::string value = absl::AsciiStrToLower(text);
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  return absl::InvalidArgumentError("");
}

// Checks `value` against `spec` and returns it in canonical form (an enum value spelt as
// declared), or why it does not fit.
absl::StatusOr<std::string> CheckValue(const OptionSpec& spec, absl::string_view value) {
  switch (spec.type) {
    case OptionType::kString:
      return std::string(value);
    case OptionType::kInt: {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n)) {
        return absl::InvalidArgumentError(
            absl::StrCat("must be an integer in ", spec.min, "..", spec.max));
      }
      if (n < spec.min || n > spec.max) {
        return absl::InvalidArgumentError(
            absl::StrCat("must be between ", spec.min, " and ", spec.max));
      }
      return absl::StrCat(n);
    }
    case OptionType::kBool: {
      absl::StatusOr<bool> b = ParseBool(value);
      if (!b.ok()) return absl::InvalidArgumentError("must be true or false");
      return std::string(*b ? "true" : "false");
    }
    case OptionType::kEnum:
      for (const auto& allowed : spec.allowed) {
        if (absl::EqualsIgnoreCase(allowed, value)) return allowed;
      }
      return absl::InvalidArgumentError(
          absl::StrCat("must be one of ", absl::StrJoin(spec.allowed, ", ")));
  }
  return absl::InternalError("unknown option type");
}

// Markdown table cells may not contain '|' or line breaks, and "<data_dir>" would read as an
// HTML tag and vanish.
std::string Cell(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}, {"\n", " "}, {"<", "\\<"}});
}

}  // namespace

OptionSpec StringOption(std::string name, std::string default_value, std::string help) {
  return {.name = std::move(name),
          .type = OptionType::kString,
          .default_value = std::move(default_value),
          .help = std::move(help)};
}

OptionSpec IntOption(std::string name, int64_t default_value, int64_t min, int64_t max,
                     std::string help) {
  return {.name = std::move(name),
          .type = OptionType::kInt,
          .default_value = absl::StrCat(default_value),
          .help = std::move(help),
          .min = min,
          .max = max};
}

OptionSpec BoolOption(std::string name, bool default_value, std::string help) {
  return {.name = std::move(name),
          .type = OptionType::kBool,
          .default_value = default_value ? "true" : "false",
          .help = std::move(help)};
}

OptionSpec EnumOption(std::string name, std::string default_value, std::vector<std::string> allowed,
                      std::string help) {
  return {.name = std::move(name),
          .type = OptionType::kEnum,
          .default_value = std::move(default_value),
          .help = std::move(help),
          .allowed = std::move(allowed)};
}

// The level names log::Init understands.
OptionSpec LogLevelOption(std::string default_level) {
  return EnumOption("log_level", std::move(default_level),
                    {"trace", "debug", "info", "warn", "error"},
                    "Least severe level logged; debug logs every call.");
}

OptionSpec LogFormatOption(std::string default_format) {
  return EnumOption("log_format", std::move(default_format), {"json", "text"},
                    "json (one object per line) or text (for a terminal).");
}

std::vector<OptionSpec> CommonOptions(int default_grpc_port, int default_metrics_port) {
  std::vector<OptionSpec> options = {
      StringOption("bind_address", "127.0.0.1",
                   "Address the gRPC and metrics ports listen on (0.0.0.0 in a container)."),
      IntOption("grpc_port", default_grpc_port, 0, 65535,
                "gRPC port; 0 picks a free one (see ready_file)."),
      IntOption("metrics_port", default_metrics_port, 0, 65535,
                "Prometheus /metrics port; 0 picks a free one."),
      // The launcher and the Helm chart set it: one program may run as two processes of the
      // suite (itsm-sla-timer as sla-timer and change-sla-timer), and dashboards tell them apart.
      StringOption("service_name", "",
                   "The process's name in the suite: the value of the service label on every "
                   "metric it serves. Empty: the program's name (incident, sla-timer, ...)."),
      // Counting rows by state is cheap but not free on a large table; a scrape every 15 s sees
      // a value at most one interval old.
      IntOption("store_gauge_interval_seconds", 15, 1, 3600,
                "How often the gauges counted from the database (records by state and priority, "
                "backlog age, outbox pending) are refreshed; a round that takes longer than a "
                "twentieth of this waits twenty times its length before the next."),
      StringOption("data_dir", "./data",
                   "Folder for the embedded SQLite database and other local state."),
      StringOption("database_url", "",
                   "sqlite:///path.db or postgresql://user@host:5432/db; empty means "
                   "sqlite://<data_dir>/<service>.db."),
      // More connections than PostgreSQL's default max_connections (100) shared by replicas
      // would fail at start anyway; 256 leaves room for a tuned server.
      IntOption("database_pool_size", 8, 1, 256,
                "Database connections per process (SQLite: for reads, and one more for writes)."),
      EnumOption("sqlite_synchronous", "full", {"full", "normal"},
                 "SQLite only. full: every commit is fsynced (an acknowledged write survives "
                 "power loss). normal: fsync at WAL checkpoints only (survives kill -9, may lose "
                 "the last commits on power loss; much faster on slow disks)."),
      // A page read through the map is a memory access where a copy into the connection's
      // cache was a system call and 4 KiB copied; but every page read stays in the process's
      // RSS, so it is off unless asked for (decision 224).
      IntOption("sqlite_mmap_mb", 0, 0, 1 << 20,
                "SQLite only. How much of the database file is read through a memory map "
                "instead of copies into each connection's page cache, in MiB; 0 (the default) "
                "maps nothing. Saves ~5 µs of CPU a get by id on a large database; every page "
                "read then counts in the process's RSS (the kernel's cache, which it may drop), "
                "up to the file's size. SQLite caps it at its build's maximum (2 GiB less 64 KiB "
                "in Debian's). An I/O error reading a mapped page stops the process (SIGBUS) "
                "instead of failing the call."),
      StringOption("kafka_bootstrap_servers", "",
                   "Kafka bootstrap servers (host:port,...). Empty: events wait in the outbox "
                   "until it is set."),
      StringOption("kafka_client_properties", "",
                   "Extra librdkafka properties, key=value;key=value (TLS, SASL: e.g. "
                   "security.protocol=ssl)."),
      StringOption("kafka_json_topics", "",
                   "Topics this service publishes as proto3 JSON (content-type application/json) "
                   "instead of protobuf, comma-separated, e.g. itsm.incident.v1."),
      // At least an hour: a shorter retention would delete events before a broker outage of
      // an afternoon is over, and RepublishEvents could not restore them. At most ten years.
      IntOption("outbox_retention_hours", 168, 1, 87600,
                "How long published events stay in the outbox, re-publishable with "
                "RepublishEvents."),
      IntOption("idempotency_retention_hours", 168, 1, 87600,
                "How long an idempotency key answers with the record it created; after that the "
                "same key creates again."),
      // Below 10 ms the relay would spin on an idle database; above a minute, events written by
      // another replica wait that long.
      IntOption("outbox_poll_interval_ms", 200, 10, 60000,
                "How often the outbox relay looks for rows written by other replicas."),
      BoolOption("outbox_republish_on_start", false,
                 "Before the relay's first round, queue every retained event to be published "
                 "again, so that they reach the broker in the order they were written, ahead of "
                 "the events still waiting. Only for a broker known to be new and empty (the "
                 "launcher sets it for its embedded broker, whose events die with it)."),
      LogLevelOption("info"),
      LogFormatOption("json"),
      IntOption("shutdown_timeout_seconds", 15, 1, 3600,
                "Upper bound on a graceful stop after SIGTERM: drain calls, flush events."),
      IntOption("shutdown_grace_ms", 1000, 0, 60000,
                "After SIGTERM, how long the service reports NOT_SERVING while still answering, so "
                "that load balancers stop sending calls before it stops accepting them."),
      StringOption("ready_file", "",
                   "If set, a JSON file {grpcAddress, metricsAddress, pid} written once serving "
                   "(used by the launcher and tests)."),
      StringOption("auth_jwks_file", "",
                   "JWKS file with the public keys of the identity tokens this service accepts "
                   "(the gateway's and the services'), re-read when it changes. Required "
                   "unless allow_unauthenticated is set."),
      BoolOption("allow_unauthenticated", false,
                 "Development only: with no auth_jwks_file, serve every RPC to anyone and record "
                 "whatever name a caller puts in x-itsm-actor. Without this, a service with no "
                 "auth_jwks_file refuses to start (fail closed)."),
      StringOption("auth_issuer", "itsm",
                   "The issuer (iss) of the identity tokens this service accepts."),
      StringOption("auth_audience", "itsm", "The audience (aud) the identity tokens must name."),
      StringOption("auth_signing_key_file", "",
                   "PEM private key (EC P-256 or RSA) this service signs its own identity token "
                   "with (subject service:<name>, role service) for its calls to other services. "
                   "Empty: its calls carry no identity."),
  };
  for (OptionSpec& tls : GrpcTlsOptions()) options.push_back(std::move(tls));
  options.push_back(IntOption("grpc_plaintext_health_port", 0, 0, 65535,
                              "With mutual TLS on: a second gRPC port, without TLS, that answers "
                              "only the health service (Kubernetes' gRPC probes speak no TLS); "
                              "0: none."));
  return options;
}

std::string EnvironmentName(absl::string_view option) {
  return absl::StrCat("ITSM_", absl::AsciiStrToUpper(option));
}

Environment ProcessEnvironment() {
  Environment environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view text = *entry;
    const size_t eq = text.find('=');
    if (eq == absl::string_view::npos) continue;
    environment.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return environment;
}

absl::StatusOr<Config> Config::Load(int argc, const char* const* argv, std::string service,
                                    std::vector<OptionSpec> specs, const Environment& environment) {
  Config config;
  config.service_ = std::move(service);
  config.specs_ = std::move(specs);
  // Where each value came from, for the error message: the operator must know what to fix.
  std::map<std::string, std::string, std::less<>> sources;
  for (const auto& spec : config.specs_) {
    if (config.values_.contains(spec.name)) {
      // Two components reading one name would silently share a value meant for one of them.
      return absl::InvalidArgumentError(absl::StrCat("option ", spec.name, " is declared twice"));
    }
    const std::string variable = EnvironmentName(spec.name);
    if (auto it = environment.find(variable); it != environment.end()) {
      config.values_[spec.name] = it->second;
      sources[spec.name] = variable;
    } else {
      config.values_[spec.name] = spec.default_value;
      sources[spec.name] = "default";
    }
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
    sources[name] = "--" + name;
  }

  // Every bad value at once: fixing them one start at a time is tedious.
  std::vector<std::string> errors;
  for (const auto& spec : config.specs_) {
    std::string& value = config.values_[spec.name];
    absl::StatusOr<std::string> checked = CheckValue(spec, value);
    if (checked.ok()) {
      value = *std::move(checked);
    } else {
      errors.push_back(absl::StrCat(spec.name, " ", checked.status().message(), ", got \"", value,
                                    "\" (from ", sources[spec.name], ")"));
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));

  for (const auto& [variable, value] : environment) {
    if (!absl::StartsWith(variable, "ITSM_") || IsSharedVariable(variable)) continue;
    const bool read = std::any_of(config.specs_.begin(), config.specs_.end(), [&](const auto& s) {
      return EnvironmentName(s.name) == variable;
    });
    if (!read) {
      config.unknown_environment_.push_back({variable, ClosestOption(variable, config.specs_)});
    }
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

const OptionSpec& Config::Spec(absl::string_view name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return spec;
  }
  // A typo in code, not in configuration: fail loudly at start-up.
  std::fprintf(stderr, "internal error: option %s is not declared\n", std::string(name).c_str());
  std::abort();
}

std::string Config::GetString(absl::string_view name) const {
  (void)Spec(name);  // aborts on an undeclared name
  return values_.find(name)->second;
}

int64_t Config::GetInt(absl::string_view name) const {
  if (Spec(name).type != OptionType::kInt) {
    std::fprintf(stderr, "internal error: option %s is not an int\n", std::string(name).c_str());
    std::abort();
  }
  int64_t out = 0;
  // Cannot fail: Load checked the value.
  (void)absl::SimpleAtoi(values_.find(name)->second, &out);
  return out;
}

bool Config::GetBool(absl::string_view name) const {
  if (Spec(name).type != OptionType::kBool) {
    std::fprintf(stderr, "internal error: option %s is not a bool\n", std::string(name).c_str());
    std::abort();
  }
  return ParseBool(values_.find(name)->second).value_or(false);
}

std::string Config::Usage() const {
  std::string out =
      absl::StrCat("itsm-", service_, " options (flag, else environment, else default):\n");
  for (const auto& spec : specs_) {
    absl::StrAppend(&out, "  --", spec.name, " / ", EnvironmentName(spec.name), "  ",
                    TypeName(spec.type));
    if (const std::string bounds = Bounds(spec); !bounds.empty()) {
      absl::StrAppend(&out, " (", bounds, ")");
    }
    absl::StrAppend(&out, "  [default \"", spec.default_value, "\"]\n      ", spec.help, "\n");
  }
  return out;
}

std::string Config::DatabaseUrl() const {
  std::string url = GetString("database_url");
  if (!url.empty()) return url;
  return absl::StrCat("sqlite://", GetString("data_dir"), "/", service_, ".db");
}

void Config::LogUnknownEnvironment() const {
  for (const auto& unknown : unknown_environment_) {
    log::Warn("environment variable read by no option of this process; ignored",
              {{"variable", unknown.variable},
               {"closest_option", unknown.closest_option},
               {"closest_variable", EnvironmentName(unknown.closest_option)}});
  }
}

std::string OptionsMarkdownTable(const std::vector<OptionSpec>& specs,
                                 const std::map<std::string, std::string>& defaults) {
  std::string out =
      "| option | environment | type | default | allowed | meaning |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& spec : specs) {
    std::string shown_default;
    if (auto it = defaults.find(spec.name); it != defaults.end()) {
      shown_default = it->second;
    } else if (spec.default_value.empty()) {
      shown_default = "empty";
    } else {
      // A code span: '<' stays as it is there, '|' must still be escaped in a table.
      shown_default =
          absl::StrCat("`", absl::StrReplaceAll(spec.default_value, {{"|", "\\|"}}), "`");
    }
    absl::StrAppend(&out, "| `", spec.name, "` | `", EnvironmentName(spec.name), "` | ",
                    TypeName(spec.type), " | ", shown_default, " | ", Cell(Bounds(spec)), " | ",
                    Cell(spec.help), " |\n");
  }
  return out;
}

}  // namespace itsm::runtime
