// Service configuration: each option has a name, a default and a description, and is read from
// the command line (--name=value), else the environment (ITSM_NAME), else the default.
// docs/settings.md is the table of every option; `itsm-<service> --help` prints it.
//
//   Config config = Config::LoadOrExit(argc, argv, "incident", CommonOptions(50051, 9151));
//   int port = config.GetInt("grpc_port");
#ifndef ITSM_RUNTIME_CONFIG_H_
#define ITSM_RUNTIME_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::runtime {

struct OptionSpec {
  std::string name;  // lower_snake_case; the environment variable is ITSM_<NAME>
  std::string default_value;
  std::string help;
};

// Options every service has. Ports differ per service, so they come as arguments.
std::vector<OptionSpec> CommonOptions(int default_grpc_port, int default_metrics_port);

class Config {
 public:
  // INVALID_ARGUMENT for an unknown --option or a malformed argument, naming it.
  static absl::StatusOr<Config> Load(int argc, const char* const* argv, std::string service,
                                     std::vector<OptionSpec> specs);
  // Load, or print the error (or the --help text) and exit: configuration errors stop a service
  // at start, never later.
  static Config LoadOrExit(int argc, char** argv, std::string service,
                           std::vector<OptionSpec> specs);

  const std::string& service() const { return service_; }
  std::string GetString(absl::string_view name) const;
  // Exits with a clear message when the value is not an integer: checked at start-up.
  int64_t GetInt(absl::string_view name) const;
  bool GetBool(absl::string_view name) const;
  // "--name=value" lines, one per option, for the start-up log.
  std::string Usage() const;
  // The effective database URL: database_url, or the SQLite file <data_dir>/<service>.db.
  std::string DatabaseUrl() const;

 private:
  std::string service_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string, std::less<>> values_;
};

// ITSM_ + upper case: "grpc_port" -> "ITSM_GRPC_PORT".
std::string EnvironmentName(absl::string_view option);

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_CONFIG_H_
