// The ApiKeyService gRPC API (callback API): thin handlers over ApiKeyManagement. The gateway
// serves it; every RPC is admin-only (declared in api_keys.proto).
#ifndef ITSM_APIKEYS_API_KEY_GRPC_SERVICE_H_
#define ITSM_APIKEYS_API_KEY_GRPC_SERVICE_H_

#include <functional>

#include "itsm/apikeys/api_key_management.h"
#include "itsm/gateway/v1/api_keys.grpc.pb.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"

namespace itsm::apikeys {

class ApiKeyGrpcService final : public gateway::v1::ApiKeyService::CallbackService {
 public:
  // `on_withdrawn` runs once a rotation or a revocation committed (before its answer): the
  // gateway's key cache forgets what it knew.
  ApiKeyGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                    runtime::Executor& executor, const ApiKeyManagement& keys,
                    std::function<void()> on_withdrawn = nullptr)
      : db_(db),
        committer_(committer),
        executor_(executor),
        keys_(keys),
        on_withdrawn_(std::move(on_withdrawn)) {}

  grpc::ServerUnaryReactor* CreateApiKey(grpc::CallbackServerContext* ctx,
                                         const gateway::v1::CreateApiKeyRequest* request,
                                         gateway::v1::CreateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* GetApiKey(grpc::CallbackServerContext* ctx,
                                      const gateway::v1::GetApiKeyRequest* request,
                                      gateway::v1::GetApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(grpc::CallbackServerContext* ctx,
                                        const gateway::v1::ListApiKeysRequest* request,
                                        gateway::v1::ListApiKeysResponse* response) override;
  grpc::ServerUnaryReactor* GetApiKeyHistory(
      grpc::CallbackServerContext* ctx, const gateway::v1::GetApiKeyHistoryRequest* request,
      gateway::v1::GetApiKeyHistoryResponse* response) override;
  grpc::ServerUnaryReactor* RotateApiKey(grpc::CallbackServerContext* ctx,
                                         const gateway::v1::RotateApiKeyRequest* request,
                                         gateway::v1::RotateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(grpc::CallbackServerContext* ctx,
                                         const gateway::v1::RevokeApiKeyRequest* request,
                                         gateway::v1::RevokeApiKeyResponse* response) override;

 private:
  storage::Database& db_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const ApiKeyManagement& keys_;
  const std::function<void()> on_withdrawn_;
};

}  // namespace itsm::apikeys

#endif  // ITSM_APIKEYS_API_KEY_GRPC_SERVICE_H_
