#include "itsm/apikeys/api_key_grpc_service.h"

#include "itsm/servicedb/calls.h"

namespace itsm::apikeys {

namespace v1 = ::itsm::gateway::v1;

grpc::ServerUnaryReactor* ApiKeyGrpcService::CreateApiKey(grpc::CallbackServerContext* ctx,
                                                          const v1::CreateApiKeyRequest* request,
                                                          v1::CreateApiKeyResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return keys_.Create(txn, caller, *request, *response);
                               });
}

grpc::ServerUnaryReactor* ApiKeyGrpcService::GetApiKey(grpc::CallbackServerContext* ctx,
                                                       const v1::GetApiKeyRequest* request,
                                                       v1::GetApiKeyResponse* response) {
  return servicedb::ReadCall(executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
    return keys_.Get(txn, *request, *response->mutable_api_key());
  });
}

grpc::ServerUnaryReactor* ApiKeyGrpcService::ListApiKeys(grpc::CallbackServerContext* ctx,
                                                         const v1::ListApiKeysRequest* request,
                                                         v1::ListApiKeysResponse* response) {
  return servicedb::ReadCall(executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
    return keys_.List(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* ApiKeyGrpcService::GetApiKeyHistory(
    grpc::CallbackServerContext* ctx, const v1::GetApiKeyHistoryRequest* request,
    v1::GetApiKeyHistoryResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn) { return keys_.History(txn, *request, *response); });
}

grpc::ServerUnaryReactor* ApiKeyGrpcService::RotateApiKey(grpc::CallbackServerContext* ctx,
                                                          const v1::RotateApiKeyRequest* request,
                                                          v1::RotateApiKeyResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return keys_.Rotate(txn, caller, *request, *response);
      },
      on_withdrawn_);
}

grpc::ServerUnaryReactor* ApiKeyGrpcService::RevokeApiKey(grpc::CallbackServerContext* ctx,
                                                          const v1::RevokeApiKeyRequest* request,
                                                          v1::RevokeApiKeyResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return keys_.Revoke(txn, caller, *request, *response->mutable_api_key());
      },
      on_withdrawn_);
}

}  // namespace itsm::apikeys
