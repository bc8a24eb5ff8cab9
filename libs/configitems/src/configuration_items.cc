#include "itsm/configitems/configuration_items.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"

namespace itsm::configitems {
namespace {

// The zone of `item`'s location, given how to read another item.
template <typename GetFn>
absl::StatusOr<std::string> LocationZone(const config::v1::ConfigurationItem& item, GetFn get) {
  const auto& attrs = item.attributes();
  if (item.class_name() == "location") {
    auto zone = attrs.find("time_zone");
    return zone == attrs.end() ? "" : zone->second;
  }
  auto loc = attrs.find("location");
  if (loc == attrs.end() || loc->second.empty()) return std::string();
  absl::StatusOr<config::v1::ConfigurationItem> location = get(loc->second);
  if (!location.ok()) {
    if (location.status().code() == absl::StatusCode::kNotFound) return std::string();
    return location.status();
  }
  auto zone = location->attributes().find("time_zone");
  return zone == location->attributes().end() ? "" : zone->second;
}

// What the clocks read of an item: its class, and for its zone its location or its own zone.
config::v1::ConfigurationItem ForClocks(const config::v1::ConfigurationItem& item) {
  config::v1::ConfigurationItem kept;
  kept.set_id(item.id());
  kept.set_class_name(item.class_name());
  for (const char* name : {"location", "time_zone"}) {
    if (auto it = item.attributes().find(name); it != item.attributes().end()) {
      (*kept.mutable_attributes())[name] = it->second;
    }
  }
  return kept;
}

}  // namespace

GrpcConfigurationItems::GrpcConfigurationItems(std::shared_ptr<grpc::Channel> channel,
                                               const base::Clock& clock, Options options)
    : stub_(config::v1::ConfigurationService::NewStub(std::move(channel))),
      clock_(clock),
      options_(std::move(options)),
      service_("the configuration service", clock,
               {.deadline = options_.deadline, .quiet = options_.quiet}) {}

absl::StatusOr<config::v1::ConfigurationItem> GrpcConfigurationItems::Get(const std::string& id) {
  const absl::Time now = clock_.Now();
  std::optional<config::v1::ConfigurationItem> stale;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(id);
    if (it != cache_.end() && it->second.expires > now) return it->second.item;
    if (it != cache_.end()) stale = it->second.item;
  }
  config::v1::GetConfigurationItemRequest request;
  request.set_id(id);
  config::v1::GetConfigurationItemResponse response;
  grpc::Status s = service_.Call([&](grpc::ClientContext& ctx) {
    ctx.AddMetadata("x-itsm-actor", options_.actor);
    return stub_->GetConfigurationItem(&ctx, request, &response);
  });
  // INVALID_ARGUMENT: the CMDB refuses the id itself (too long, say: a free-text `location`
  // attribute). No item has it, now or later; reported as unavailable, it was retried forever
  // and held up every record behind it (the SLA timer's partition, its breaches included).
  if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
      s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return absl::NotFoundError(absl::StrCat("no configuration item \"", id, "\""));
  }
  if (!s.ok()) {
    if (stale.has_value()) return *std::move(stale);
    if (options_.find) {
      std::optional<std::string> bytes = options_.find(absl::StrCat("i:", id));
      config::v1::ConfigurationItem kept;
      if (bytes.has_value() && kept.ParseFromString(*bytes)) {
        absl::MutexLock lock(&mu_);
        cache_.try_emplace(id, Cached{kept, now});  // past its TTL: reused while unanswered
        return kept;
      }
    }
    // Anything else (unreachable, deadline, silenced, overloaded, an error of the service) can
    // heal.
    return absl::UnavailableError(absl::StrCat("configuration service: ", s.error_message()));
  }
  if (options_.keep) {
    options_.keep(absl::StrCat("i:", id),
                  ForClocks(response.configuration_item()).SerializeAsString());
  }
  absl::MutexLock lock(&mu_);
  if (cache_.size() > 100000) cache_.clear();  // bounded; refilled on demand
  cache_[id] = Cached{response.configuration_item(), now + options_.cache_ttl};
  return response.configuration_item();
}

absl::StatusOr<std::string> GrpcConfigurationItems::ClassOf(const std::string& ci_id) {
  ITSM_ASSIGN_OR_RETURN(config::v1::ConfigurationItem item, Get(ci_id));
  return item.class_name();
}

absl::StatusOr<std::string> GrpcConfigurationItems::LocationZoneOf(const std::string& ci_id) {
  ITSM_ASSIGN_OR_RETURN(config::v1::ConfigurationItem item, Get(ci_id));
  return LocationZone(item, [this](const std::string& id) { return Get(id); });
}

void StaticConfigurationItems::Put(config::v1::ConfigurationItem item) {
  absl::MutexLock lock(&mu_);
  std::string id = item.id();
  items_[id] = std::move(item);
}

void StaticConfigurationItems::SetUnavailable(bool unavailable) {
  absl::MutexLock lock(&mu_);
  unavailable_ = unavailable;
}

int StaticConfigurationItems::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

absl::StatusOr<config::v1::ConfigurationItem> StaticConfigurationItems::Get(const std::string& id) {
  absl::MutexLock lock(&mu_);
  ++calls_;
  if (unavailable_) return absl::UnavailableError("configuration service unavailable");
  auto it = items_.find(id);
  if (it == items_.end()) return absl::NotFoundError(absl::StrCat("no configuration item ", id));
  return it->second;
}

absl::StatusOr<std::string> StaticConfigurationItems::ClassOf(const std::string& ci_id) {
  ITSM_ASSIGN_OR_RETURN(config::v1::ConfigurationItem item, Get(ci_id));
  return item.class_name();
}

absl::StatusOr<std::string> StaticConfigurationItems::LocationZoneOf(const std::string& ci_id) {
  ITSM_ASSIGN_OR_RETURN(config::v1::ConfigurationItem item, Get(ci_id));
  return LocationZone(item, [this](const std::string& id) { return Get(id); });
}

}  // namespace itsm::configitems
