// What SLA clocks need to know of a configuration item, read from the configuration service:
// its class (SLA definitions can be restricted to CI classes) and the time zone of its location
// (definitions whose zone comes from the CI location). Answers are cached: classes and
// locations rarely change.
//
//   GrpcConfigurationItems cis(channel, clock, {.actor = "itsm-sla-timer"});
//   absl::StatusOr<std::string> cls = cis.ClassOf(incident.configuration_item_ids(0));
//   // NOT_FOUND: no such CI (no class); UNAVAILABLE: ask again later
#ifndef ITSM_CONFIGITEMS_CONFIGURATION_ITEMS_H_
#define ITSM_CONFIGITEMS_CONFIGURATION_ITEMS_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/clock.h"
#include "itsm/config/v1/config.grpc.pb.h"
#include "itsm/runtime/unresponsive_upstream.h"

namespace itsm::configitems {

class ConfigurationItems {
 public:
  virtual ~ConfigurationItems() = default;
  // The CI's class name. NOT_FOUND when there is no such CI; UNAVAILABLE when the configuration
  // service cannot answer now (retry).
  virtual absl::StatusOr<std::string> ClassOf(const std::string& ci_id) = 0;
  // The `time_zone` attribute of the location CI the item's `location` attribute references,
  // or of the item itself when it is a location; "" when it has no location or the location no
  // zone (a dangling location reference too: the CMDB's problem, not the record's). NOT_FOUND
  // when there is no such CI; UNAVAILABLE: retry.
  virtual absl::StatusOr<std::string> LocationZoneOf(const std::string& ci_id) = 0;
};

// GetConfigurationItem of the configuration service, each item cached for `cache_ttl`. While
// the service cannot answer, an item read before is reused past its TTL. A call left unanswered
// past `deadline` (a hung service, a partitioned network; a stopped one refuses at once)
// silences the service for `quiet`, and one under way for long keeps other threads from asking
// meanwhile (runtime::UnresponsiveUpstream): every item not in the cache is then UNAVAILABLE at
// once. The SLA timer asks on its consumer and firing threads, which must not wait one deadline
// per record while the service hangs.
class GrpcConfigurationItems final : public ConfigurationItems {
 public:
  struct Options {
    absl::Duration cache_ttl = absl::Minutes(5);
    // Per call: a configuration service that does not answer in time is unavailable.
    absl::Duration deadline = absl::Seconds(1);
    absl::Duration quiet = absl::Seconds(10);
    // The x-itsm-actor of the calls (the audit of the configuration service names it).
    std::string actor = "itsm";
    // Optional: where what was read of each item (its class, location and zone) is also kept
    // (key "i:<id>"), and read back from when the service cannot answer and this process has
    // not read the item: a timer restarted during a CMDB outage starts the clocks of records
    // on items it knew. The SLA timer keeps them in its Redis.
    std::function<void(const std::string& key, const std::string& bytes)> keep = {};
    std::function<std::optional<std::string>(const std::string& key)> find = {};
  };
  GrpcConfigurationItems(std::shared_ptr<grpc::Channel> channel, const base::Clock& clock,
                         Options options);

  absl::StatusOr<std::string> ClassOf(const std::string& ci_id) override;
  absl::StatusOr<std::string> LocationZoneOf(const std::string& ci_id) override;

 private:
  absl::StatusOr<config::v1::ConfigurationItem> Get(const std::string& id);

  std::unique_ptr<config::v1::ConfigurationService::Stub> stub_;
  const base::Clock& clock_;
  const Options options_;
  absl::Mutex mu_;
  struct Cached {
    config::v1::ConfigurationItem item;
    absl::Time expires;
  };
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
  runtime::UnresponsiveUpstream service_;
};

// Items held in memory (tests).
class StaticConfigurationItems final : public ConfigurationItems {
 public:
  void Put(config::v1::ConfigurationItem item);
  // Every call fails with UNAVAILABLE while set.
  void SetUnavailable(bool unavailable);
  // How many calls were answered (tests of when the timer asks).
  int calls() const;

  absl::StatusOr<std::string> ClassOf(const std::string& ci_id) override;
  absl::StatusOr<std::string> LocationZoneOf(const std::string& ci_id) override;

 private:
  absl::StatusOr<config::v1::ConfigurationItem> Get(const std::string& id);

  mutable absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, config::v1::ConfigurationItem> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::configitems

#endif  // ITSM_CONFIGITEMS_CONFIGURATION_ITEMS_H_
