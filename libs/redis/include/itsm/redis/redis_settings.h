// The Redis credentials a service reads, declared once for every service that talks to Redis
// (the SLA timer, the gateway's rate limits): redis_username, and the password from a file
// (redis_password_file: a Kubernetes secret mounted as a file) or from the environment
// (ITSM_REDIS_PASSWORD). Neither is ever logged.
//
//   {StringOption("redis_address", ...), redis::RedisUsernameOption(),
//    redis::RedisPasswordOption(), redis::RedisPasswordFileOption(), ...}
//   ITSM_ASSIGN_OR_RETURN(redis::RedisAuth auth, redis::RedisAuthFrom(config));
#ifndef ITSM_REDIS_REDIS_SETTINGS_H_
#define ITSM_REDIS_REDIS_SETTINGS_H_

#include "absl/status/statusor.h"
#include "itsm/redis/redis_client.h"
#include "itsm/runtime/config.h"

namespace itsm::redis {

runtime::OptionSpec RedisUsernameOption();
runtime::OptionSpec RedisPasswordOption();
runtime::OptionSpec RedisPasswordFileOption();

// The credentials of those options. INVALID_ARGUMENT (naming the option, never the secret) when
// both a password and a password file are set, or the file cannot be read or is empty.
absl::StatusOr<RedisAuth> RedisAuthFrom(const runtime::Config& config);

}  // namespace itsm::redis

#endif  // ITSM_REDIS_REDIS_SETTINGS_H_
