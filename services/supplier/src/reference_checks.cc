#include "services/supplier/src/reference_checks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/time_util.h"

namespace itsm::supplier {
namespace {

void SetDeadline(grpc::ClientContext& ctx, absl::Duration deadline) {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
}

// The other service's answer about `what`, as this service's status: a record it does not know
// is the caller's bad input; an outage is UNAVAILABLE (never stored as "checked").
absl::Status Translate(const grpc::Status& status, const std::string& at, const std::string& what) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
      return base::FieldError(at, absl::StrCat("no ", what));
    default:
      return absl::UnavailableError(
          absl::StrCat(at, ": cannot check ", what, " now (", status.error_code(), "); try again"));
  }
}

}  // namespace

GrpcReferenceChecks::GrpcReferenceChecks(std::shared_ptr<grpc::Channel> configuration,
                                         std::shared_ptr<grpc::Channel> sla, Options options)
    : configuration_(configuration ? config::v1::ConfigurationService::NewStub(configuration)
                                   : nullptr),
      sla_(sla ? sla::v1::SlaService::NewStub(sla) : nullptr),
      options_(options) {}

absl::Status GrpcReferenceChecks::ResolveConfigurationItems(const std::string& field, Ids& ids,
                                                            const Ids& kept) {
  if (!configuration_) return absl::OkStatus();
  for (int i = 0; i < ids.size(); ++i) {
    grpc::ClientContext ctx;
    SetDeadline(ctx, options_.deadline);
    config::v1::GetConfigurationItemRequest request;
    request.set_id(ids[i]);
    config::v1::GetConfigurationItemResponse response;
    const grpc::Status status = configuration_->GetConfigurationItem(&ctx, request, &response);
    if (absl::Status s = Translate(status, absl::StrCat(field, "[", i, "]"),
                                   absl::StrCat("configuration item \"", ids[i], "\""));
        !s.ok()) {
      return s;
    }
    const config::v1::ConfigurationItem& ci = response.configuration_item();
    if (ci.status() == config::v1::LIFECYCLE_STATUS_RETIRED &&
        std::find(kept.begin(), kept.end(), ci.id()) == kept.end()) {
      return base::FieldError(
          absl::StrCat(field, "[", i, "]"),
          absl::StrCat("configuration item ", ci.class_name(), "/", ci.name(), " is retired"));
    }
    ids[i] = ci.id();
  }
  return absl::OkStatus();
}

absl::Status GrpcReferenceChecks::CheckUcDefinitions(const std::string& field, const Ids& ids,
                                                     const std::string& supplier_id) {
  if (!sla_) return absl::OkStatus();
  for (int i = 0; i < ids.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    grpc::ClientContext ctx;
    SetDeadline(ctx, options_.deadline);
    sla::v1::GetSlaDefinitionRequest request;
    request.set_id(ids[i]);
    sla::v1::GetSlaDefinitionResponse response;
    const grpc::Status status = sla_->GetSlaDefinition(&ctx, request, &response);
    if (absl::Status s = Translate(status, at, absl::StrCat("SLA definition \"", ids[i], "\""));
        !s.ok()) {
      return s;
    }
    const sla::v1::SlaDefinition& d = response.definition();
    if (d.kind() != sla::v1::AGREEMENT_KIND_UNDERPINNING_CONTRACT) {
      return base::FieldError(at, absl::StrCat("\"", d.name(),
                                               "\" is not an underpinning contract"
                                               " (UNDERPINNING_CONTRACT) definition"));
    }
    if (d.supplier_id() != supplier_id) {
      return base::FieldError(
          at, absl::StrCat("\"", d.name(), "\" is the underpinning contract of supplier \"",
                           d.supplier_id(), "\", not of this contract's supplier"));
    }
  }
  return absl::OkStatus();
}

}  // namespace itsm::supplier
