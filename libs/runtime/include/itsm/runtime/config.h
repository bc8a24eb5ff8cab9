// Service configuration: typed, bounded options, each declared by the component that reads it
// with its type, default, bounds and description. A value comes from the command line
// (--name=value or --name value), else the environment (ITSM_NAME), else the default; every value
// is checked against its declaration at start, so a bad one stops the process before it does
// anything (exit code 2, naming the option, the bound and the value).
// docs/settings.md's option tables are generated from these declarations (itsm-settings-doc);
// `itsm-<service> --help` prints them.
//
//   Config config = Config::LoadOrExit(argc, argv, "kafka",
//       {IntOption("brokers", 1, 1, 16, "Number of brokers."), LogLevelOption("info")});
//   int brokers = static_cast<int>(config.GetInt("brokers"));
#ifndef ITSM_RUNTIME_CONFIG_H_
#define ITSM_RUNTIME_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::runtime {

enum class OptionType { kString, kInt, kBool, kEnum };

struct OptionSpec {
  std::string name;  // lower_snake_case; the environment variable is ITSM_<NAME>
  OptionType type = OptionType::kString;
  std::string default_value;  // as it would be written on the command line
  std::string help;
  // kInt only: inclusive bounds. Durations are ints with their unit in the name (_ms, _hours).
  int64_t min = 0;
  int64_t max = 0;
  // kEnum only: every accepted value.
  std::vector<std::string> allowed = {};
};

// Declarations. The default is checked against the bounds like any other value, so a bad
// default fails the first start (and the settings-doc test), not a later call.
OptionSpec StringOption(std::string name, std::string default_value, std::string help);
OptionSpec IntOption(std::string name, int64_t default_value, int64_t min, int64_t max,
                     std::string help);
// true/false; 1/0 and yes/no are accepted too, in any case.
OptionSpec BoolOption(std::string name, bool default_value, std::string help);
OptionSpec EnumOption(std::string name, std::string default_value, std::vector<std::string> allowed,
                      std::string help);

// log_level and log_format, for the tools that use Config without ServiceRuntime.
OptionSpec LogLevelOption(std::string default_level);
OptionSpec LogFormatOption(std::string default_format);

// Options every service has. Ports differ per service, so they come as arguments.
std::vector<OptionSpec> CommonOptions(int default_grpc_port, int default_metrics_port);

// The environment as variable -> value; ProcessEnvironment() is the process's own. Tests pass
// their own, so that they do not depend on (or change) the environment they run in.
using Environment = std::map<std::string, std::string, std::less<>>;
Environment ProcessEnvironment();

// An ITSM_* variable that no option of this process reads, and the declared option whose name is
// closest to it (the likely intended one).
struct UnknownVariable {
  std::string variable;
  std::string closest_option;
};

class Config {
 public:
  // INVALID_ARGUMENT for an unknown --option, a malformed argument or a value that does not fit
  // its declaration (every such value is named in the message); CANCELLED with the help text
  // for --help.
  static absl::StatusOr<Config> Load(int argc, const char* const* argv, std::string service,
                                     std::vector<OptionSpec> specs,
                                     const Environment& environment = ProcessEnvironment());
  // Load, or print the error (or the --help text) and exit: configuration errors stop a process
  // at start (exit code 2), never later.
  static Config LoadOrExit(int argc, char** argv, std::string service,
                           std::vector<OptionSpec> specs);

  const std::string& service() const { return service_; }
  // Any option, as text. Aborts when `name` is not declared: a typo in code, caught at start.
  std::string GetString(absl::string_view name) const;
  // A kInt option, already checked against its bounds at Load.
  int64_t GetInt(absl::string_view name) const;
  // A kBool option.
  bool GetBool(absl::string_view name) const;
  // The options with their defaults and bounds, for --help.
  std::string Usage() const;
  // The effective database URL: database_url, or the SQLite file <data_dir>/<service>.db.
  std::string DatabaseUrl() const;

  // ITSM_* variables of the environment read by no option of this process. A warning, not an
  // error: one environment is often shared by several processes (see config.cc).
  const std::vector<UnknownVariable>& unknown_environment() const { return unknown_environment_; }
  // One warning log line per unknown variable, naming the closest option.
  void LogUnknownEnvironment() const;

 private:
  const OptionSpec& Spec(absl::string_view name) const;

  std::string service_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<UnknownVariable> unknown_environment_;
};

// ITSM_ + upper case: "grpc_port" -> "ITSM_GRPC_PORT".
std::string EnvironmentName(absl::string_view option);

// The options as a markdown table (option, environment, type, default, bounds, meaning), the
// format of docs/settings.md. `defaults` replaces, as markdown, the default shown for the
// options it names (e.g. "per service" for the ports in the table common to every service).
std::string OptionsMarkdownTable(const std::vector<OptionSpec>& specs,
                                 const std::map<std::string, std::string>& defaults = {});

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_CONFIG_H_
