#include "itsm/events/kafka_config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/runtime/logging.h"

namespace itsm::events {
namespace {

// librdkafka's own lines (a broker unreachable, an authentication refused) as the process's
// JSON lines, not its "%3|1796609679.679|FAIL|..." text on stderr, which a JSON log pipeline
// would drop. `level` is syslog's: 0-3 error, 4 warning, 5-6 information, 7 debug.
void LogKafkaLine(const rd_kafka_t* client, int level, const char* facility, const char* line) {
  namespace log = runtime::log;
  const log::Level ours = level <= 3   ? log::Level::kError
                          : level == 4 ? log::Level::kWarn
                          : level <= 6 ? log::Level::kInfo
                                       : log::Level::kDebug;
  if (!log::Enabled(ours) || !log::WithinBudget("kafka client", 20)) return;
  log::Write(ours, "kafka client",
             {{"client", rd_kafka_name(client)}, {"facility", facility}, {"detail", line}});
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseKafkaProperties(const std::string& text) {
  std::map<std::string, std::string> out;
  int position = 0;
  for (absl::string_view entry : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    ++position;
    entry = absl::StripAsciiWhitespace(entry);
    const size_t eq = entry.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka_client_properties: entry ", position,
                       " is not key=value (entries are separated by ;)"));
    }
    out[std::string(absl::StripAsciiWhitespace(entry.substr(0, eq)))] =
        std::string(absl::StripAsciiWhitespace(entry.substr(eq + 1)));
  }
  return out;
}

absl::StatusOr<rd_kafka_conf_t*> MakeKafkaConf(const std::map<std::string, std::string>& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, &LogKafkaLine);
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat(
          "kafka property ", k, "=", IsSecretKafkaProperty(k) ? "<secret>" : v, ": ", err));
    }
  }
  return conf;
}

bool IsSecretKafkaProperty(const std::string& key) {
  return absl::StrContains(key, "password") || absl::StrContains(key, "secret") ||
         key == "ssl.key.pem" || key == "ssl_key" || key == "sasl.oauthbearer.config" ||
         key == "ssl.keystore.password";
}

}  // namespace itsm::events
