#include "services/sla/src/ci_location_zone.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"

namespace itsm::sla {

CiLocationZone::CiLocationZone(std::shared_ptr<grpc::Channel> configuration,
                               const base::Clock& clock, absl::Duration cache_ttl)
    : stub_(config::v1::ConfigurationService::NewStub(configuration)),
      clock_(clock),
      ttl_(cache_ttl) {}

absl::StatusOr<config::v1::ConfigurationItem> CiLocationZone::Get(const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ctx.AddMetadata("x-itsm-actor", "itsm-sla");
  config::v1::GetConfigurationItemRequest request;
  request.set_id(id);
  config::v1::GetConfigurationItemResponse response;
  grpc::Status s = stub_->GetConfigurationItem(&ctx, request, &response);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(absl::StrCat("ci_id: no configuration item \"", id, "\""));
  }
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("configuration service: ", s.error_message()));
  }
  return response.configuration_item();
}

absl::StatusOr<std::string> CiLocationZone::ZoneOf(const std::string& ci_id) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(ci_id);
    if (it != cache_.end() && it->second.expires > now) return it->second.zone;
  }
  ITSM_ASSIGN_OR_RETURN(config::v1::ConfigurationItem ci, Get(ci_id));
  std::string zone;
  if (ci.class_name() == "location") {
    zone = ci.attributes().contains("time_zone") ? ci.attributes().at("time_zone") : "";
  } else if (auto loc = ci.attributes().find("location");
             loc != ci.attributes().end() && !loc->second.empty()) {
    auto location = Get(loc->second);
    // A dangling reference is the CMDB's problem, not the caller's: no zone, use the default.
    if (location.ok()) {
      const auto& attrs = location->attributes();
      zone = attrs.contains("time_zone") ? attrs.at("time_zone") : "";
    } else if (location.status().code() != absl::StatusCode::kNotFound) {
      return location.status();
    }
  }
  absl::MutexLock lock(&mu_);
  cache_[ci_id] = Cached{zone, now + ttl_};
  return zone;
}

}  // namespace itsm::sla
