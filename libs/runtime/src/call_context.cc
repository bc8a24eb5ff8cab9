#include "itsm/runtime/call_context.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "itsm/base/error_detail.h"
#include "itsm/runtime/call_auth.h"
#include "itsm/runtime/grpc_metrics.h"
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

std::string ClientMetadata(const grpc::ServerContextBase& context, const char* name) {
  const auto& md = context.client_metadata();
  auto it = md.find(name);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

std::string RequestId(const grpc::ServerContextBase& context) {
  return ClientMetadata(context, kRequestIdHeader);
}

std::string Actor(const grpc::ServerContextBase& context) {
  // The interceptor removes both headers from what a client sent, and the self-declared one
  // entirely when authentication is on.
  std::string actor = ClientMetadata(context, kVerifiedSubjectHeader);
  if (actor.empty()) actor = ClientMetadata(context, kActorHeader);
  return actor.empty() ? "anonymous" : actor;
}

absl::Status Admit(const grpc::ServerContextBase& context,
                   const google::protobuf::Message& request) {
  if (absl::Status refused = Refusal(context); !refused.ok()) return refused;
  return limits::CheckFieldLimits(request);
}

base::Caller CallerOf(const grpc::ServerContextBase& context) {
  std::optional<std::vector<std::string>> roles;
  // Set by the authentication interceptor for every call it admits (and removed from what a
  // client sent): its absence means authentication is off.
  if (!ClientMetadata(context, kVerifiedSubjectHeader).empty()) {
    roles = absl::StrSplit(ClientMetadata(context, kVerifiedRolesHeader), ',', absl::SkipEmpty());
  }
  return base::Caller{.actor = Actor(context),
                      .request_id = RequestId(context),
                      .own_records_only = OwnRecordsOnly(context),
                      .roles = std::move(roles)};
}

grpc::Status ToGrpcStatus(const absl::Status& status, const grpc::ServerContextBase& context) {
  if (status.ok()) return grpc::Status::OK;
  return ToGrpcStatus(status, RequestId(context));
}

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id) {
  if (status.ok()) return grpc::Status::OK;
  if (MustHideMessage(status)) {
    const auto [code, text] = GenericAnswer(status.code());
    const bool expected = code == absl::StatusCode::kUnavailable ||
                          code == absl::StatusCode::kAborted ||
                          code == absl::StatusCode::kCancelled;
    log::Write(expected ? log::Level::kWarn : log::Level::kError, "call failed",
               {{"request_id", request_id},
                {"code", absl::StatusCodeToString(status.code())},
                {"error", status.message()}});
    return grpc::Status(static_cast<grpc::StatusCode>(code),
                        absl::StrCat(text, " (request id ", request_id, ")"));
  }
  const std::string message(status.message());
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
  }
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  if (auto field = base::ErrorField(status)) {
    google::rpc::BadRequest bad_request;
    auto* violation = bad_request.add_field_violations();
    violation->set_field(*field);
    violation->set_description(message.substr(std::min(message.size(), field->size() + 2)));
    details.add_details()->PackFrom(bad_request);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      details.SerializeAsString());
}

grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status, *ctx));
  return reactor;
}

}  // namespace itsm::runtime
