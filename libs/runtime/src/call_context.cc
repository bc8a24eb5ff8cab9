#include "itsm/runtime/call_context.h"

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/runtime/call_auth.h"
#include "itsm/runtime/client_facing_status.h"
#include "itsm/runtime/grpc_metrics.h"
#include "itsm/runtime/logging.h"

namespace itsm::runtime {
namespace {}  // namespace

std::string ClientMetadata(const grpc::ServerContextBase& context, const char* name) {
  const auto& md = context.client_metadata();
  auto it = md.find(name);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

std::string RequestId(const grpc::ServerContextBase& context) {
  return ClientMetadata(context, kRequestIdHeader);
}

std::string EffectiveRequestId(absl::string_view received) {
  constexpr size_t kMaxLength = 128;
  bool valid = !received.empty() && received.size() <= kMaxLength;
  for (char c : received) {
    valid = valid && (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-');
  }
  return valid ? std::string(received) : base::NewUuid();
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

grpc::Status ToGrpcStatus(const absl::Status& given, absl::string_view request_id) {
  if (given.ok()) return grpc::Status::OK;
  const absl::Status status = ClientFacingStatus(given, request_id);
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
