#include "itsm/configitems/item_lookup.h"

#include <chrono>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace itsm::configitems {
namespace {

// Name lookups read one page of the CIs bearing the name in any case: more than this is
// ambiguous anyway.
constexpr int kNamePage = 50;

std::unique_ptr<grpc::ClientContext> ContextWithin(absl::Duration deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
  return ctx;
}

// Anything but the CMDB's "no such CI" means it cannot answer now (its words are not ours to
// pass on).
absl::Status Unavailable(const grpc::Status& status) {
  return absl::UnavailableError(
      absl::StrCat("the configuration service did not answer (", status.error_code(), ")"));
}

}  // namespace

absl::StatusOr<std::optional<config::v1::ConfigurationItem>> LookUpItem(
    config::v1::ConfigurationService::StubInterface& stub, const std::string& value,
    absl::Duration deadline) {
  {
    config::v1::GetConfigurationItemRequest request;
    request.set_id(value);
    config::v1::GetConfigurationItemResponse response;
    const grpc::Status status =
        stub.GetConfigurationItem(ContextWithin(deadline).get(), request, &response);
    if (status.ok()) return response.configuration_item();
    // INVALID_ARGUMENT: the value is not a well-formed id; a name may still match.
    if (status.error_code() != grpc::StatusCode::NOT_FOUND &&
        status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
      return Unavailable(status);
    }
  }
  config::v1::ListConfigurationItemsRequest request;
  request.set_name(value);
  request.mutable_page()->set_page_size(kNamePage);
  config::v1::ListConfigurationItemsResponse response;
  const grpc::Status status =
      stub.ListConfigurationItems(ContextWithin(deadline).get(), request, &response);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) return std::nullopt;
  if (!status.ok()) return Unavailable(status);
  std::optional<config::v1::ConfigurationItem> exact, folded;
  int exact_count = 0, folded_count = 0;
  for (const auto& ci : response.configuration_items()) {
    if (ci.name() == value) {
      exact = ci;
      ++exact_count;
    } else if (absl::EqualsIgnoreCase(ci.name(), value)) {
      folded = ci;
      ++folded_count;
    }
  }
  if (exact_count == 1) return exact;
  if (exact_count == 0 && folded_count == 1) return folded;
  return std::nullopt;  // none, or ambiguous: several CIs of that name
}

}  // namespace itsm::configitems
