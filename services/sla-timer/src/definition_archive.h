// Where the SLA timer keeps the definitions and calendars it read from the SLA service, so that a
// timer restarted while the SLA service is down or hung can still fire the clocks it holds:
// their pinned versions never change, and the current versions read last are what a running
// timer would go on with (GrpcDefinitionSource). Kept in the timer's Redis, beside the clocks,
// one hash per key prefix; best effort: a write that fails is tried again at the next read
// from the SLA service.
//
//   RedisDefinitionArchive archive(redis_address, auth, "itsm:sla");
//   source.KeepIn(&archive);
#ifndef ITSM_SERVICES_SLA_TIMER_DEFINITION_ARCHIVE_H_
#define ITSM_SERVICES_SLA_TIMER_DEFINITION_ARCHIVE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "itsm/redis/redis_client.h"

namespace itsm::sla_timer {

class DefinitionArchive {
 public:
  virtual ~DefinitionArchive() = default;
  // Stores `bytes` (a serialised definition or calendar) under `key` ("d:<id>:<version>").
  virtual void Keep(const std::string& key, const std::string& bytes) = 0;
  // What was kept under `key`; nullopt when nothing was, or the store cannot be read.
  virtual std::optional<std::string> Find(const std::string& key) = 0;
};

class RedisDefinitionArchive final : public DefinitionArchive {
 public:
  // The hash `<key_prefix>:<what>`: "definitions" (definitions and calendars), or
  // "configuration_items" (what the clocks read of the CIs, GrpcConfigurationItems).
  RedisDefinitionArchive(std::string redis_address, redis::RedisAuth auth,
                         const std::string& key_prefix, const std::string& what = "definitions");
  void Keep(const std::string& key, const std::string& bytes) override;
  std::optional<std::string> Find(const std::string& key) override;

 private:
  const std::string hash_;
  absl::Mutex mu_;
  redis::RedisClient client_ ABSL_GUARDED_BY(mu_);
  // What this process stored under each key: the current versions are read every second, and
  // written only when they changed. Bounded (emptied past 100,000 keys: there are as many
  // configuration items as the CMDB holds).
  absl::flat_hash_map<std::string, std::string> kept_ ABSL_GUARDED_BY(mu_);
};

// In memory (tests).
class MemoryDefinitionArchive final : public DefinitionArchive {
 public:
  void Keep(const std::string& key, const std::string& bytes) override;
  std::optional<std::string> Find(const std::string& key) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> kept_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_DEFINITION_ARCHIVE_H_
