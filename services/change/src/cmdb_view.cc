#include "services/change/src/cmdb_view.h"

#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/configitems/item_lookup.h"

namespace itsm::change {
namespace {

CiInfo InfoOf(const config::v1::CiSummary& s) {
  return {s.id(), s.class_name(), s.name(), static_cast<int>(s.business_criticality()),
          s.status() == config::v1::LIFECYCLE_STATUS_RETIRED};
}

// The CMDB's answer as this service's: its NOT_FOUND is "no such CI"; anything else means it
// cannot answer now, whatever it said (its words are not ours to pass on).
absl::Status Translate(const grpc::Status& status, const std::string& id) {
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(absl::StrCat("no CI \"", id, "\" in the configuration service"));
  }
  return absl::UnavailableError(
      absl::StrCat("the configuration service did not answer (", status.error_code(), "); retry"));
}

}  // namespace

GrpcCmdbView::GrpcCmdbView(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline)
    : stub_(config::v1::ConfigurationService::NewStub(std::move(channel))), deadline_(deadline) {}

absl::StatusOr<CiInfo> GrpcCmdbView::Describe(const std::string& id) {
  absl::StatusOr<std::optional<config::v1::ConfigurationItem>> found =
      configitems::LookUpItem(*stub_, id, deadline_);
  if (!found.ok()) {
    return absl::UnavailableError(absl::StrCat(found.status().message(), "; retry"));
  }
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "no CI \"", id, "\" in the configuration service (or several bear that name)"));
  }
  const config::v1::ConfigurationItem& ci = **found;
  CiInfo info{ci.id(), ci.class_name(), ci.name(), static_cast<int>(ci.business_criticality()),
              ci.status() == config::v1::LIFECYCLE_STATUS_RETIRED};
  ITSM_ASSIGN_OR_RETURN(info.lineage, LineageOf(ci.class_name()));
  return info;
}

absl::StatusOr<std::vector<std::string>> GrpcCmdbView::LineageOf(const std::string& class_name) {
  constexpr size_t kMaxDepth = 16;  // classes nest a few levels; a loop must not hang a call
  std::vector<std::string> lineage;
  for (std::string at = class_name; !at.empty() && lineage.size() < kMaxDepth;) {
    lineage.push_back(at);
    absl::StatusOr<std::string> parent = ParentOf(at);
    // A CI's class the CMDB does not describe is its fault of the moment, not the CI's absence.
    if (absl::IsNotFound(parent.status())) {
      return absl::UnavailableError(std::string(parent.status().message()));
    }
    ITSM_ASSIGN_OR_RETURN(at, std::move(parent));
  }
  return lineage;
}

absl::StatusOr<std::string> GrpcCmdbView::ParentOf(const std::string& class_name) {
  {
    absl::MutexLock lock(&parents_mu_);
    if (auto it = parents_.find(class_name); it != parents_.end()) return it->second;
  }
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  config::v1::GetClassRequest request;
  request.set_name(class_name);
  config::v1::GetClassResponse response;
  const grpc::Status status = stub_->GetClass(&ctx, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(
        absl::StrCat("the configuration service defines no CI class \"", class_name, "\""));
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the configuration service did not describe class \"", class_name, "\" (",
                     status.error_code(), "); retry"));
  }
  absl::MutexLock lock(&parents_mu_);
  parents_[class_name] = response.ci_class().parent();
  return response.ci_class().parent();
}

absl::Status GrpcCmdbView::CheckClass(const std::string& class_name) {
  return ParentOf(class_name).status();
}

void GrpcCmdbView::SetDeadline(grpc::ClientContext& ctx) const {
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_));
}

absl::StatusOr<std::vector<ReachedCi>> GrpcCmdbView::Reach(
    const std::string& id, bool downstream, int depth,
    const std::vector<std::string>& class_names) {
  grpc::ClientContext ctx;
  SetDeadline(ctx);
  config::v1::AnalyzeImpactRequest request;
  request.set_ci_id(id);
  request.set_direction(downstream ? config::v1::IMPACT_DIRECTION_DOWNSTREAM
                                   : config::v1::IMPACT_DIRECTION_UPSTREAM);
  request.set_max_depth(depth);
  for (const std::string& c : class_names) request.add_class_names(c);
  request.set_max_results(10000);
  config::v1::AnalyzeImpactResponse response;
  const grpc::Status status = stub_->AnalyzeImpact(&ctx, request, &response);
  if (!status.ok()) return Translate(status, id);
  std::vector<ReachedCi> out;
  for (const config::v1::ImpactedItem& item : response.items()) {
    ReachedCi r{InfoOf(item.ci()), {response.origin().id()}};
    for (const config::v1::PathStep& step : item.path()) r.path.push_back(step.ci().id());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace itsm::change
