#include "services/sla-timer/src/definition_archive.h"

#include "absl/time/time.h"
#include "itsm/runtime/logging.h"

namespace itsm::sla_timer {
namespace {

// A connection Redis closed (a restart, a failover) fails one command and is opened again by
// the next: tried twice.
absl::StatusOr<redis::RedisValue> TwiceIfClosed(redis::RedisClient& client,
                                                const std::vector<std::string>& command) {
  absl::StatusOr<redis::RedisValue> reply = client.Command(command);
  if (reply.ok() || reply.status().code() != absl::StatusCode::kUnavailable) return reply;
  return client.Command(command);
}

}  // namespace

RedisDefinitionArchive::RedisDefinitionArchive(std::string redis_address, redis::RedisAuth auth,
                                               const std::string& key_prefix,
                                               const std::string& what)
    : hash_(key_prefix + ":" + what),
      client_(std::move(redis_address), absl::Seconds(2), std::move(auth)) {}

void RedisDefinitionArchive::Keep(const std::string& key, const std::string& bytes) {
  absl::MutexLock lock(&mu_);
  if (auto it = kept_.find(key); it != kept_.end() && it->second == bytes) return;
  absl::StatusOr<redis::RedisValue> stored = TwiceIfClosed(client_, {"HSET", hash_, key, bytes});
  if (!stored.ok()) {
    runtime::log::Warn("cannot keep what was read in Redis; tried again at its next read",
                       {{"hash", hash_}, {"key", key}, {"error", stored.status().ToString()}});
    return;
  }
  if (kept_.size() >= 100000) kept_.clear();
  kept_[key] = bytes;
}

std::optional<std::string> RedisDefinitionArchive::Find(const std::string& key) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<redis::RedisValue> found = TwiceIfClosed(client_, {"HGET", hash_, key});
  if (!found.ok() || found->type != redis::RedisValue::Type::kString) return std::nullopt;
  return found->str;
}

void MemoryDefinitionArchive::Keep(const std::string& key, const std::string& bytes) {
  absl::MutexLock lock(&mu_);
  kept_[key] = bytes;
}

std::optional<std::string> MemoryDefinitionArchive::Find(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = kept_.find(key);
  if (it == kept_.end()) return std::nullopt;
  return it->second;
}

}  // namespace itsm::sla_timer
