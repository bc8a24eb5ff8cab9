#include "itsm/redis/redis_settings.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace itsm::redis {

runtime::OptionSpec RedisUsernameOption() {
  return runtime::StringOption(
      "redis_username", "", "Redis 6+ ACL user to AUTH as; empty: the default user (requirepass).");
}

runtime::OptionSpec RedisPasswordOption() {
  return runtime::StringOption(
      "redis_password", "",
      "Redis password (AUTH). Give it as the environment variable ITSM_REDIS_PASSWORD, never as "
      "a flag (other users see a process's arguments); or use redis_password_file. Never "
      "logged.");
}

runtime::OptionSpec RedisPasswordFileOption() {
  return runtime::StringOption(
      "redis_password_file", "",
      "File holding the Redis password (a mounted Kubernetes secret); a trailing newline is "
      "ignored. Read at start.");
}

absl::StatusOr<RedisAuth> RedisAuthFrom(const runtime::Config& config) {
  RedisAuth auth{.username = config.GetString("redis_username"),
                 .password = config.GetString("redis_password")};
  const std::string file = config.GetString("redis_password_file");
  if (file.empty()) return auth;
  if (!auth.password.empty()) {
    return absl::InvalidArgumentError(
        "redis_password and redis_password_file are both set: set one");
  }
  std::ifstream in(file);
  std::stringstream text;
  if (!in || !(text << in.rdbuf())) {
    return absl::InvalidArgumentError(absl::StrCat("redis_password_file: cannot read ", file));
  }
  // Secrets are usually written with a final newline (echo, kubectl create secret --from-file).
  auth.password = std::string(absl::StripTrailingAsciiWhitespace(text.str()));
  if (auth.password.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("redis_password_file: ", file, " is empty"));
  }
  return auth;
}

}  // namespace itsm::redis
