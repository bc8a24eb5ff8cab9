#include "first_admin_key.h"

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "itsm/gateway/v1/api_keys.grpc.pb.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::launcher {

absl::StatusOr<std::string> CreateFirstAdminKey(const std::string& gateway,
                                                std::shared_ptr<runtime::OutboundIdentity> admin,
                                                const std::string& marker_file,
                                                const runtime::GrpcTls& tls) {
  if (std::filesystem::exists(marker_file)) return std::string();
  auto stub = gateway::v1::ApiKeyService::NewStub(
      runtime::OutboundChannel(gateway, std::move(admin), tls.ChannelCredentials()));
  gateway::v1::CreateApiKeyRequest request;
  request.set_name("admin");
  request.set_description("Created by itsm-launch on the first start of this run directory.");
  request.add_roles(common::v1::ROLE_ADMIN);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  gateway::v1::CreateApiKeyResponse created;
  grpc::Status status = stub->CreateApiKey(&ctx, request, &created);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("creating the first admin API key: ", status.error_message()));
  }
  absl::Status marked = supervisor::WriteFileAtomically(
      marker_file, absl::StrCat("{\"id\":\"", created.api_key().id(), "\",\"prefix\":\"",
                                created.api_key().prefix(), "\"}\n"));
  if (!marked.ok()) return marked;
  return created.secret();
}

}  // namespace itsm::launcher
