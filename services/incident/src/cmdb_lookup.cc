#include "services/incident/src/cmdb_lookup.h"

#include <chrono>
#include <deque>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/configitems/item_lookup.h"

namespace itsm::incident {
namespace {

constexpr char kServiceClass[] = "business_service";
// The CMDB's NOT_FOUND is "no such CI"; anything else means it cannot answer now (its words are
// not ours to pass on).
absl::Status Unavailable(const grpc::Status& status) {
  return absl::UnavailableError(
      absl::StrCat("the configuration service did not answer (", status.error_code(), ")"));
}

// "web-1:9100" -> "web-1"; "" when the value has no port.
std::string HostOf(const std::string& value) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || value.front() == '[') return "";
  int port = 0;
  if (!absl::SimpleAtoi(value.substr(colon + 1), &port)) return "";
  return value.substr(0, colon);
}

CmdbCi FromItem(const config::v1::ConfigurationItem& item) {
  return {.id = item.id(),
          .class_name = item.class_name(),
          .name = item.name(),
          .retired = item.status() == config::v1::LIFECYCLE_STATUS_RETIRED};
}

}  // namespace

GrpcCmdbLookup::GrpcCmdbLookup(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
    : stub_(config::v1::ConfigurationService::NewStub(std::move(channel))), deadline_(deadline) {}

std::unique_ptr<grpc::ClientContext> GrpcCmdbLookup::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_));
  return ctx;
}

absl::StatusOr<std::optional<config::v1::ConfigurationItem>> GrpcCmdbLookup::Lookup(
    const std::string& value) {
  return configitems::LookUpItem(*stub_, value, deadline_);
}

absl::StatusOr<std::optional<CmdbCi>> GrpcCmdbLookup::Resolve(const std::string& value) {
  ITSM_ASSIGN_OR_RETURN(std::optional<config::v1::ConfigurationItem> ci, Lookup(value));
  if (!ci.has_value()) return std::nullopt;
  return FromItem(*ci);
}

absl::StatusOr<std::optional<CmdbCi>> GrpcCmdbLookup::FindCi(const std::string& label_value,
                                                             int depth) {
  auto ci = Lookup(label_value);
  if (ci.ok() && !ci->has_value()) {
    if (const std::string host = HostOf(label_value); !host.empty()) ci = Lookup(host);
  }
  if (!ci.ok()) return ci.status();
  if (!ci->has_value()) return std::nullopt;
  CmdbCi out = FromItem(**ci);
  if (depth <= 0) return out;
  {
    config::v1::AnalyzeImpactRequest request;
    request.set_ci_id(out.id);
    request.set_direction(config::v1::IMPACT_DIRECTION_UPSTREAM);
    request.set_max_depth(depth);
    request.set_max_results(200);
    config::v1::AnalyzeImpactResponse response;
    const grpc::Status status = stub_->AnalyzeImpact(Context().get(), request, &response);
    if (!status.ok()) return Unavailable(status);
    for (const auto& item : response.items()) {
      out.upstream.push_back({item.ci().id(), item.ci().name(), item.depth()});
    }
  }
  if (absl::EqualsIgnoreCase(out.class_name, kServiceClass)) {
    out.service = out.name;
    return out;
  }
  config::v1::AnalyzeImpactRequest request;
  request.set_ci_id(out.id);
  request.set_direction(config::v1::IMPACT_DIRECTION_DOWNSTREAM);
  request.set_max_depth(depth);
  request.add_class_names(kServiceClass);
  request.set_max_results(1);
  config::v1::AnalyzeImpactResponse response;
  const grpc::Status status = stub_->AnalyzeImpact(Context().get(), request, &response);
  if (!status.ok()) return Unavailable(status);
  if (response.items_size() > 0) out.service = response.items(0).ci().name();
  return out;
}

absl::StatusOr<std::optional<std::string>> GrpcCmdbLookup::FindService(const std::string& name) {
  auto ci = Lookup(absl::StrCat(kServiceClass, "/", name));
  if (ci.ok() && !ci->has_value()) ci = Lookup(name);
  if (!ci.ok()) return ci.status();
  if (!ci->has_value() || !absl::EqualsIgnoreCase((*ci)->class_name(), kServiceClass)) {
    return std::nullopt;
  }
  return (*ci)->name();
}

void StaticCmdbLookup::AddCi(const std::string& id, const std::string& class_name,
                             const std::string& name) {
  items_[id] = {class_name, name};
}

void StaticCmdbLookup::DependsOn(const std::string& from, const std::string& to) {
  depends_on_.emplace(from, to);
}

void StaticCmdbLookup::Retire(const std::string& id) { items_.at(id).retired = true; }

std::optional<std::string> StaticCmdbLookup::IdOf(const std::string& value, bool host_too) const {
  if (items_.contains(value)) return value;
  for (const auto& [id, item] : items_) {
    if (absl::StrCat(item.class_name, "/", item.name) == value || item.name == value) return id;
  }
  if (const std::string host = HostOf(value); host_too && !host.empty()) return IdOf(host, false);
  return std::nullopt;
}

absl::StatusOr<std::optional<CmdbCi>> StaticCmdbLookup::Resolve(const std::string& value) {
  if (unavailable_) return absl::UnavailableError("the configuration service did not answer");
  const std::optional<std::string> id = IdOf(value, false);
  if (!id) return std::nullopt;
  const Item& item = items_.at(*id);
  return CmdbCi{
      .id = *id, .class_name = item.class_name, .name = item.name, .retired = item.retired};
}

absl::StatusOr<std::optional<CmdbCi>> StaticCmdbLookup::FindCi(const std::string& label_value,
                                                               int depth) {
  if (unavailable_) return absl::UnavailableError("the configuration service did not answer");
  const std::optional<std::string> id = IdOf(label_value, true);
  if (!id) return std::nullopt;
  const Item& item = items_.at(*id);
  CmdbCi out{.id = *id, .class_name = item.class_name, .name = item.name, .retired = item.retired};
  // Breadth first, upstream along depends_on; downstream (reverse edges) for the service.
  std::set<std::string> seen = {*id};
  std::deque<std::pair<std::string, int>> queue = {{*id, 0}};
  while (!queue.empty()) {
    auto [at, d] = queue.front();
    queue.pop_front();
    if (d == depth) continue;
    auto [begin, end] = depends_on_.equal_range(at);
    for (auto it = begin; it != end; ++it) {
      if (seen.insert(it->second).second) {
        out.upstream.push_back({it->second, items_.at(it->second).name, d + 1});
        queue.emplace_back(it->second, d + 1);
      }
    }
  }
  if (out.class_name == kServiceClass) out.service = out.name;
  seen = {*id};
  queue = {{*id, 0}};
  while (!queue.empty() && out.service.empty()) {
    auto [at, d] = queue.front();
    queue.pop_front();
    if (d == depth) continue;
    for (const auto& [from, to] : depends_on_) {
      if (to != at || !seen.insert(from).second) continue;
      if (items_.at(from).class_name == kServiceClass) {
        out.service = items_.at(from).name;
        break;
      }
      queue.emplace_back(from, d + 1);
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> StaticCmdbLookup::FindService(const std::string& name) {
  if (unavailable_) return absl::UnavailableError("the configuration service did not answer");
  for (const auto& [id, item] : items_) {
    if (item.class_name == kServiceClass && (item.name == name || id == name)) return item.name;
  }
  return std::nullopt;
}

}  // namespace itsm::incident
