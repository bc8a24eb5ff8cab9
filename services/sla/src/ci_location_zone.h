// The time zone of a configuration item's location, read from the configuration service: the
// `time_zone` attribute of the location CI that the item's `location` attribute references, or of
// the item itself when it is a location. Used for SLA definitions whose zone comes from the CI
// location. Answers are cached for a few minutes: locations rarely move.
#ifndef ITSM_SLA_SRC_CI_LOCATION_ZONE_H_
#define ITSM_SLA_SRC_CI_LOCATION_ZONE_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/clock.h"
#include "itsm/config/v1/config.grpc.pb.h"

namespace itsm::sla {

class CiLocationZone {
 public:
  CiLocationZone(std::shared_ptr<grpc::Channel> configuration, const base::Clock& clock,
                 absl::Duration cache_ttl = absl::Minutes(5));

  // The zone, or "" when the CI has no location or the location no zone (the caller then falls
  // back to the tenant default). NOT_FOUND when the CI does not exist; UNAVAILABLE when the
  // configuration service cannot be reached.
  absl::StatusOr<std::string> ZoneOf(const std::string& ci_id);

 private:
  absl::StatusOr<config::v1::ConfigurationItem> Get(const std::string& id);

  std::unique_ptr<config::v1::ConfigurationService::Stub> stub_;
  const base::Clock& clock_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  struct Cached {
    std::string zone;
    absl::Time expires;
  };
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::sla

#endif  // ITSM_SLA_SRC_CI_LOCATION_ZONE_H_
