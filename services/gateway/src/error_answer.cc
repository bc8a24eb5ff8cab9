#include "services/gateway/src/error_answer.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "itsm/base/error_detail.h"
#include "itsm/runtime/client_facing_status.h"

namespace itsm::gateway {
namespace {

constexpr char kHttpStatusPayload[] = "itsm.gateway/http_status";

// A message a client may see must be valid UTF-8 to be JSON; a service's always is, a parser's
// may quote the bad bytes it met.
std::string SafeText(absl::string_view text) {
  if (google::protobuf::internal::IsStructurallyValidUTF8(text.data(),
                                                          static_cast<int>(text.size())))
    return std::string(text);
  return absl::CHexEscape(text);
}

std::string Render(google::rpc::Status& status, absl::string_view request_id) {
  google::rpc::RequestInfo info;
  info.set_request_id(std::string(request_id));
  status.add_details()->PackFrom(info);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(status, &json).ok()) {
    // A detail of a type this binary does not know: answer without the details.
    status.clear_details();
    status.add_details()->PackFrom(info);
    (void)google::protobuf::util::MessageToJsonString(status, &json);
  }
  return json;
}

}  // namespace

int HttpStatusForCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    default:
      return 500;
  }
}

absl::Status WithHttpStatus(absl::Status status, int http_status) {
  status.SetPayload(kHttpStatusPayload, absl::Cord(absl::StrCat(http_status)));
  return status;
}

std::optional<int> ExplicitHttpStatus(const absl::Status& status) {
  const auto payload = status.GetPayload(kHttpStatusPayload);
  int value = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &value)) return std::nullopt;
  return value;
}

ErrorAnswer GatewayError(const absl::Status& given, absl::string_view request_id) {
  // The gateway's own stores (API keys, sessions) fail as the services' do: never with the
  // database's words.
  const absl::Status status = runtime::ClientFacingStatus(given, request_id);
  google::rpc::Status body;
  body.set_code(static_cast<int>(status.code()));
  body.set_message(SafeText(status.message()));
  if (std::optional<std::string> field = base::ErrorField(status)) {
    google::rpc::BadRequest bad_request;
    auto* violation = bad_request.add_field_violations();
    violation->set_field(SafeText(*field));
    absl::string_view description = status.message();
    if (absl::StartsWith(description, *field + ": ")) description.remove_prefix(field->size() + 2);
    violation->set_description(SafeText(description));
    body.add_details()->PackFrom(bad_request);
  }
  return {ExplicitHttpStatus(given).value_or(HttpStatusForCode(status.code())),
          Render(body, request_id)};
}

ErrorAnswer UpstreamError(const grpc::Status& status, absl::string_view request_id,
                          bool version_from_if_match) {
  // The gateway's own channel refusing an answer too large to take: the call was made, and a
  // write stands. Not 429 (found from outside: a client told to slow down and retry met 409).
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
      absl::StartsWith(status.error_message(), "Received message larger than max")) {
    google::rpc::Status body;
    body.set_code(static_cast<int>(absl::StatusCode::kInternal));
    body.set_message(
        "the service's answer is larger than the gateway takes (4 MiB); a write may have been "
        "made: read the record before retrying");
    return {502, Render(body, request_id)};
  }
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  google::rpc::Status body;
  // The services' rich status, when there is one and it agrees with the call's status.
  if (!body.ParseFromString(status.error_details()) || body.code() != status.error_code()) {
    body.Clear();
  }
  body.set_code(static_cast<int>(code));
  body.set_message(SafeText(status.error_message()));
  int http = HttpStatusForCode(code);
  if (code == absl::StatusCode::kAborted && version_from_if_match) http = 412;
  return {http, Render(body, request_id)};
}

}  // namespace itsm::gateway
