// The ConfigurationService gRPC API (callback API): thin handlers over the application class
// Cmdb. Writes go through the group committer (servicedb::CommitCall), so a record, its history
// entry and its outbox event always commit together (and many small writes share one fsync);
// reads run on the executor (runtime::RunCall). Both check the request's field limits first.
#ifndef ITSM_SERVICES_CONFIGURATION_CONFIG_GRPC_SERVICE_H_
#define ITSM_SERVICES_CONFIGURATION_CONFIG_GRPC_SERVICE_H_

#include "itsm/config/v1/config.grpc.pb.h"
#include "itsm/runtime/arena_messages.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/group_commit.h"
#include "services/configuration/src/cmdb.h"

namespace itsm::config {

class ConfigGrpcService final : public v1::ConfigurationService::CallbackService {
 public:
  // Reads run on `executor`, writes on the committer's writer: no callback thread ever waits for
  // the database.
  ConfigGrpcService(Cmdb& cmdb, storage::GroupCommitter& committer, runtime::Executor& executor)
      : cmdb_(cmdb), committer_(committer), executor_(executor) {
    SetMessageAllocatorFor_AnalyzeImpact(&impact_messages_);
  }

  grpc::ServerUnaryReactor* CreateClass(grpc::CallbackServerContext* ctx,
                                        const v1::CreateClassRequest* request,
                                        v1::CreateClassResponse* response) override;
  grpc::ServerUnaryReactor* GetClass(grpc::CallbackServerContext* ctx,
                                     const v1::GetClassRequest* request,
                                     v1::GetClassResponse* response) override;
  grpc::ServerUnaryReactor* ListClasses(grpc::CallbackServerContext* ctx,
                                        const v1::ListClassesRequest* request,
                                        v1::ListClassesResponse* response) override;
  grpc::ServerUnaryReactor* CreateConfigurationItem(
      grpc::CallbackServerContext* ctx, const v1::CreateConfigurationItemRequest* request,
      v1::CreateConfigurationItemResponse* response) override;
  grpc::ServerUnaryReactor* GetConfigurationItem(
      grpc::CallbackServerContext* ctx, const v1::GetConfigurationItemRequest* request,
      v1::GetConfigurationItemResponse* response) override;
  grpc::ServerUnaryReactor* UpdateConfigurationItem(
      grpc::CallbackServerContext* ctx, const v1::UpdateConfigurationItemRequest* request,
      v1::UpdateConfigurationItemResponse* response) override;
  grpc::ServerUnaryReactor* ListConfigurationItems(
      grpc::CallbackServerContext* ctx, const v1::ListConfigurationItemsRequest* request,
      v1::ListConfigurationItemsResponse* response) override;
  grpc::ServerUnaryReactor* CreateRelationship(grpc::CallbackServerContext* ctx,
                                               const v1::CreateRelationshipRequest* request,
                                               v1::CreateRelationshipResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRelationship(grpc::CallbackServerContext* ctx,
                                               const v1::DeleteRelationshipRequest* request,
                                               v1::DeleteRelationshipResponse* response) override;
  grpc::ServerUnaryReactor* ListRelationships(grpc::CallbackServerContext* ctx,
                                              const v1::ListRelationshipsRequest* request,
                                              v1::ListRelationshipsResponse* response) override;
  grpc::ServerUnaryReactor* AnalyzeImpact(grpc::CallbackServerContext* ctx,
                                          const v1::AnalyzeImpactRequest* request,
                                          v1::AnalyzeImpactResponse* response) override;
  grpc::ServerUnaryReactor* ListHistory(grpc::CallbackServerContext* ctx,
                                        const v1::ListHistoryRequest* request,
                                        v1::ListHistoryResponse* response) override;
  grpc::ServerUnaryReactor* CreateBaseline(grpc::CallbackServerContext* ctx,
                                           const v1::CreateBaselineRequest* request,
                                           v1::CreateBaselineResponse* response) override;
  grpc::ServerUnaryReactor* GetBaseline(grpc::CallbackServerContext* ctx,
                                        const v1::GetBaselineRequest* request,
                                        v1::GetBaselineResponse* response) override;
  grpc::ServerUnaryReactor* ListBaselines(grpc::CallbackServerContext* ctx,
                                          const v1::ListBaselinesRequest* request,
                                          v1::ListBaselinesResponse* response) override;
  grpc::ServerUnaryReactor* DiffBaseline(grpc::CallbackServerContext* ctx,
                                         const v1::DiffBaselineRequest* request,
                                         v1::DiffBaselineResponse* response) override;
  grpc::ServerUnaryReactor* ImportConfigurationItems(
      grpc::CallbackServerContext* ctx, const v1::ImportConfigurationItemsRequest* request,
      v1::ImportConfigurationItemsResponse* response) override;

 private:
  Cmdb& cmdb_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  // An impact analysis answers up to 1,000 CIs, each with its path: built on the call's arena.
  runtime::ArenaMessages<v1::AnalyzeImpactRequest, v1::AnalyzeImpactResponse> impact_messages_;
};

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_CONFIG_GRPC_SERVICE_H_
