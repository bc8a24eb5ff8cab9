#include "itsm/base/error_detail.h"

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace itsm::base {
namespace {

constexpr char kFieldUrl[] = "type.itsm.dev/itsm.base.FieldError";
constexpr char kPrivateUrl[] = "type.itsm.dev/itsm.base.PrivateError";

// "incident.title", "calendar.weekly_hours[2].start", "page.page_token": what validators name.
bool LooksLikeFieldPath(absl::string_view s) {
  if (s.empty() || s.size() > 200 || !absl::ascii_islower(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_islower(u) && !absl::ascii_isdigit(u) && c != '_' && c != '.' && c != '[' &&
        c != ']') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status FieldError(absl::string_view field, absl::string_view description) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(field, ": ", description));
  status.SetPayload(kFieldUrl, absl::Cord(field));
  return status;
}

std::optional<std::string> ErrorField(const absl::Status& status) {
  if (auto field = status.GetPayload(kFieldUrl)) return std::string(*field);
  if (status.code() != absl::StatusCode::kInvalidArgument) return std::nullopt;
  const absl::string_view message = status.message();
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos) return std::nullopt;
  const absl::string_view path = message.substr(0, colon);
  if (!LooksLikeFieldPath(path)) return std::nullopt;
  return std::string(path);
}

absl::Status UnderField(absl::string_view parent, absl::Status status) {
  const std::optional<std::string> field = ErrorField(status);
  if (!field.has_value() || status.code() != absl::StatusCode::kInvalidArgument) return status;
  absl::string_view description = status.message();
  absl::ConsumePrefix(&description, absl::StrCat(*field, ": "));
  return FieldError(absl::StrCat(parent, ".", *field), description);
}

absl::Status PrivateError(absl::StatusCode code, absl::string_view message) {
  return MakePrivate(absl::Status(code, message));
}

absl::Status MakePrivate(absl::Status status) {
  if (!status.ok()) status.SetPayload(kPrivateUrl, absl::Cord());
  return status;
}

bool IsPrivate(const absl::Status& status) { return status.GetPayload(kPrivateUrl).has_value(); }

}  // namespace itsm::base
