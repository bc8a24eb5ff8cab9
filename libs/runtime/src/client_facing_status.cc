#include "itsm/runtime/client_facing_status.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/runtime/logging.h"

namespace itsm::runtime {
namespace {

bool MustHideMessage(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return true;
    default:
      return base::IsPrivate(status);
  }
}

// What a client may rely on for each code of a hidden error.
std::pair<absl::StatusCode, absl::string_view> GenericAnswer(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
      return {code, "the service cannot reach what it depends on; retry later"};
    case absl::StatusCode::kAborted:
      return {code, "the write met a concurrent one and was not applied; retry it"};
    case absl::StatusCode::kDeadlineExceeded:
      return {code, "the service did not finish in time"};
    case absl::StatusCode::kResourceExhausted:
      return {code, "the service is overloaded; retry later"};
    case absl::StatusCode::kCancelled:
      return {code, "cancelled"};
    default:
      return {absl::StatusCode::kInternal, "internal error"};
  }
}

}  // namespace

absl::Status ClientFacingStatus(const absl::Status& status, absl::string_view request_id) {
  if (!MustHideMessage(status)) return status;
  const auto [code, text] = GenericAnswer(status.code());
  const bool expected = code == absl::StatusCode::kUnavailable ||
                        code == absl::StatusCode::kAborted || code == absl::StatusCode::kCancelled;
  if (log::WithinBudget("call failed")) {
    log::Write(expected ? log::Level::kWarn : log::Level::kError, "call failed",
               {{"request_id", request_id},
                {"code", absl::StatusCodeToString(status.code())},
                {"error", status.message()}});
  }
  return absl::Status(code, absl::StrCat(text, " (request id ", request_id, ")"));
}

}  // namespace itsm::runtime
