#include "itsm/runtime/call_context.h"

#include "itsm/runtime/grpc_metrics.h"

namespace itsm::runtime {
namespace {

std::string Header(const grpc::ServerContextBase& context, const char* name) {
  const auto& md = context.client_metadata();
  auto it = md.find(name);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

std::string RequestId(const grpc::ServerContextBase& context) {
  return Header(context, kRequestIdHeader);
}

std::string Actor(const grpc::ServerContextBase& context) {
  std::string actor = Header(context, kActorHeader);
  return actor.empty() ? "anonymous" : actor;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace itsm::runtime
