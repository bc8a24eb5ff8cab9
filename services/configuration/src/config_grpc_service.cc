#include "services/configuration/src/config_grpc_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/call_context.h"
#include "itsm/servicedb/calls.h"

namespace itsm::config {

grpc::ServerUnaryReactor* ConfigGrpcService::CreateClass(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateClassRequest* request,
                                                         v1::CreateClassResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [this, request, response](storage::Transaction& txn, const base::Caller& caller) {
        *response->mutable_ci_class() = request->ci_class();
        return cmdb_.CreateClass(txn, caller, *response->mutable_ci_class());
      },
      [this] { (void)cmdb_.ReloadClasses(); });
}

grpc::ServerUnaryReactor* ConfigGrpcService::GetClass(grpc::CallbackServerContext* ctx,
                                                      const v1::GetClassRequest* request,
                                                      v1::GetClassResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response->mutable_ci_class(), cmdb_.GetClass(request->name()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::ListClasses(grpc::CallbackServerContext* ctx,
                                                         const v1::ListClassesRequest* request,
                                                         v1::ListClassesResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, cmdb_.ListClasses(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::CreateConfigurationItem(
    grpc::CallbackServerContext* ctx, const v1::CreateConfigurationItemRequest* request,
    v1::CreateConfigurationItemResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [this, request, response](storage::Transaction& txn, const base::Caller& caller) {
        return cmdb_.CreateCi(txn, caller, *request, *response->mutable_configuration_item());
      });
}

grpc::ServerUnaryReactor* ConfigGrpcService::GetConfigurationItem(
    grpc::CallbackServerContext* ctx, const v1::GetConfigurationItemRequest* request,
    v1::GetConfigurationItemResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response->mutable_configuration_item(), cmdb_.GetCi(request->id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::UpdateConfigurationItem(
    grpc::CallbackServerContext* ctx, const v1::UpdateConfigurationItemRequest* request,
    v1::UpdateConfigurationItemResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [this, request, response](storage::Transaction& txn, const base::Caller& caller) {
        return cmdb_.UpdateCi(txn, caller, *request, *response->mutable_configuration_item());
      });
}

grpc::ServerUnaryReactor* ConfigGrpcService::ListConfigurationItems(
    grpc::CallbackServerContext* ctx, const v1::ListConfigurationItemsRequest* request,
    v1::ListConfigurationItemsResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, cmdb_.ListCis(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::CreateRelationship(
    grpc::CallbackServerContext* ctx, const v1::CreateRelationshipRequest* request,
    v1::CreateRelationshipResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [this, request, response](storage::Transaction& txn, const base::Caller& caller) {
        return cmdb_.CreateRelationship(txn, caller, *request, *response->mutable_relationship());
      });
}

grpc::ServerUnaryReactor* ConfigGrpcService::DeleteRelationship(
    grpc::CallbackServerContext* ctx, const v1::DeleteRelationshipRequest* request,
    v1::DeleteRelationshipResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [this, request, response](storage::Transaction& txn, const base::Caller& caller) {
        return cmdb_.DeleteRelationship(txn, caller, request->id(),
                                        *response->mutable_relationship());
      });
}

grpc::ServerUnaryReactor* ConfigGrpcService::ListRelationships(
    grpc::CallbackServerContext* ctx, const v1::ListRelationshipsRequest* request,
    v1::ListRelationshipsResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, cmdb_.ListRelationships(request->ci_id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::AnalyzeImpact(grpc::CallbackServerContext* ctx,
                                                           const v1::AnalyzeImpactRequest* request,
                                                           v1::AnalyzeImpactResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    return cmdb_.AnalyzeImpact(*request, *response);
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::ListHistory(grpc::CallbackServerContext* ctx,
                                                         const v1::ListHistoryRequest* request,
                                                         v1::ListHistoryResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, cmdb_.ListHistory(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::CreateBaseline(
    grpc::CallbackServerContext* ctx, const v1::CreateBaselineRequest* request,
    v1::CreateBaselineResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [this, request, response](storage::Transaction& txn, const base::Caller& caller) {
        return cmdb_.CreateBaseline(txn, caller, *request, *response->mutable_baseline());
      });
}

grpc::ServerUnaryReactor* ConfigGrpcService::GetBaseline(grpc::CallbackServerContext* ctx,
                                                         const v1::GetBaselineRequest* request,
                                                         v1::GetBaselineResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response->mutable_baseline(), cmdb_.GetBaseline(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::ListBaselines(grpc::CallbackServerContext* ctx,
                                                           const v1::ListBaselinesRequest* request,
                                                           v1::ListBaselinesResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, cmdb_.ListBaselines(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::DiffBaseline(grpc::CallbackServerContext* ctx,
                                                          const v1::DiffBaselineRequest* request,
                                                          v1::DiffBaselineResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, cmdb_.DiffBaseline(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConfigGrpcService::ImportConfigurationItems(
    grpc::CallbackServerContext* ctx, const v1::ImportConfigurationItemsRequest* request,
    v1::ImportConfigurationItemsResponse* response) {
  // Admitted without its over-limit rows, which the import answers as rejected (ImportRows).
  auto rows = std::make_shared<const ImportRows>(SeparateOverLimitRows(*request));
  return servicedb::CommitCall(
      committer_, ctx, rows->request,
      [this, rows, response](storage::Transaction& txn, const base::Caller& caller) {
        return cmdb_.Import(txn, caller, *rows, *response);
      });
}

}  // namespace itsm::config
