// The ChangeService gRPC API (callback API): thin handlers over the service's applications —
// ChangeManagement (changes), ChangeCatalogue (templates, windows, the policy), ChangeCalendar
// and ReleaseManagement (releases and deployments). Each handler names the application call and how
// it runs: servicedb::ReadCall for a read, servicedb::CommitCall for a write,
// servicedb::CommitCallAfter for a write that asks the CMDB first (on the executor, before its
// transaction). No callback thread waits for the database or another service.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_GRPC_SERVICE_H_
#define ITSM_SERVICES_CHANGE_CHANGE_GRPC_SERVICE_H_

#include "itsm/change/v1/change.grpc.pb.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "services/change/src/change_calendar.h"
#include "services/change/src/change_catalogue.h"
#include "services/change/src/change_management.h"
#include "services/change/src/change_metrics.h"
#include "services/change/src/release_management.h"

namespace itsm::change {

struct Applications {
  const ChangeManagement& changes;
  const ChangeCatalogue& catalogue;
  const ChangeCalendar& calendar;
  ChangeMetrics& metrics;
  const ReleaseManagement& releases;
};

class ChangeGrpcService final : public v1::ChangeService::CallbackService {
 public:
  ChangeGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                    runtime::Executor& executor, Applications apps)
      : db_(db), committer_(committer), executor_(executor), apps_(apps) {}

  grpc::ServerUnaryReactor* CreateChange(grpc::CallbackServerContext* ctx,
                                         const v1::CreateChangeRequest* request,
                                         v1::CreateChangeResponse* response) override;
  grpc::ServerUnaryReactor* GetChange(grpc::CallbackServerContext* ctx,
                                      const v1::GetChangeRequest* request,
                                      v1::GetChangeResponse* response) override;
  grpc::ServerUnaryReactor* ListChanges(grpc::CallbackServerContext* ctx,
                                        const v1::ListChangesRequest* request,
                                        v1::ListChangesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateChange(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateChangeRequest* request,
                                         v1::UpdateChangeResponse* response) override;
  grpc::ServerUnaryReactor* TransitionChange(grpc::CallbackServerContext* ctx,
                                             const v1::TransitionChangeRequest* request,
                                             v1::TransitionChangeResponse* response) override;
  grpc::ServerUnaryReactor* AssessChange(grpc::CallbackServerContext* ctx,
                                         const v1::AssessChangeRequest* request,
                                         v1::AssessChangeResponse* response) override;
  grpc::ServerUnaryReactor* DecideChangeApproval(
      grpc::CallbackServerContext* ctx, const v1::DecideChangeApprovalRequest* request,
      v1::DecideChangeApprovalResponse* response) override;
  grpc::ServerUnaryReactor* ScheduleChange(grpc::CallbackServerContext* ctx,
                                           const v1::ScheduleChangeRequest* request,
                                           v1::ScheduleChangeResponse* response) override;
  grpc::ServerUnaryReactor* OverrideChangeConflicts(
      grpc::CallbackServerContext* ctx, const v1::OverrideChangeConflictsRequest* request,
      v1::OverrideChangeConflictsResponse* response) override;
  grpc::ServerUnaryReactor* AddChangeTask(grpc::CallbackServerContext* ctx,
                                          const v1::AddChangeTaskRequest* request,
                                          v1::AddChangeTaskResponse* response) override;
  grpc::ServerUnaryReactor* UpdateChangeTask(grpc::CallbackServerContext* ctx,
                                             const v1::UpdateChangeTaskRequest* request,
                                             v1::UpdateChangeTaskResponse* response) override;
  grpc::ServerUnaryReactor* GetChangeHistory(grpc::CallbackServerContext* ctx,
                                             const v1::GetChangeHistoryRequest* request,
                                             v1::GetChangeHistoryResponse* response) override;
  grpc::ServerUnaryReactor* CreateChangeTemplate(
      grpc::CallbackServerContext* ctx, const v1::CreateChangeTemplateRequest* request,
      v1::CreateChangeTemplateResponse* response) override;
  grpc::ServerUnaryReactor* GetChangeTemplate(grpc::CallbackServerContext* ctx,
                                              const v1::GetChangeTemplateRequest* request,
                                              v1::GetChangeTemplateResponse* response) override;
  grpc::ServerUnaryReactor* ListChangeTemplates(grpc::CallbackServerContext* ctx,
                                                const v1::ListChangeTemplatesRequest* request,
                                                v1::ListChangeTemplatesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateChangeTemplate(
      grpc::CallbackServerContext* ctx, const v1::UpdateChangeTemplateRequest* request,
      v1::UpdateChangeTemplateResponse* response) override;
  grpc::ServerUnaryReactor* GetChangePolicy(grpc::CallbackServerContext* ctx,
                                            const v1::GetChangePolicyRequest* request,
                                            v1::GetChangePolicyResponse* response) override;
  grpc::ServerUnaryReactor* UpdateChangePolicy(grpc::CallbackServerContext* ctx,
                                               const v1::UpdateChangePolicyRequest* request,
                                               v1::UpdateChangePolicyResponse* response) override;
  grpc::ServerUnaryReactor* CreateChangeWindow(grpc::CallbackServerContext* ctx,
                                               const v1::CreateChangeWindowRequest* request,
                                               v1::CreateChangeWindowResponse* response) override;
  grpc::ServerUnaryReactor* ListChangeWindows(grpc::CallbackServerContext* ctx,
                                              const v1::ListChangeWindowsRequest* request,
                                              v1::ListChangeWindowsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateChangeWindow(grpc::CallbackServerContext* ctx,
                                               const v1::UpdateChangeWindowRequest* request,
                                               v1::UpdateChangeWindowResponse* response) override;
  grpc::ServerUnaryReactor* GetChangeCalendar(grpc::CallbackServerContext* ctx,
                                              const v1::GetChangeCalendarRequest* request,
                                              v1::GetChangeCalendarResponse* response) override;
  grpc::ServerUnaryReactor* ExportChangeCalendar(
      grpc::CallbackServerContext* ctx, const v1::ExportChangeCalendarRequest* request,
      v1::ExportChangeCalendarResponse* response) override;

  grpc::ServerUnaryReactor* CreateRelease(grpc::CallbackServerContext* ctx,
                                          const v1::CreateReleaseRequest* request,
                                          v1::CreateReleaseResponse* response) override;
  grpc::ServerUnaryReactor* GetRelease(grpc::CallbackServerContext* ctx,
                                       const v1::GetReleaseRequest* request,
                                       v1::GetReleaseResponse* response) override;
  grpc::ServerUnaryReactor* ListReleases(grpc::CallbackServerContext* ctx,
                                         const v1::ListReleasesRequest* request,
                                         v1::ListReleasesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateRelease(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateReleaseRequest* request,
                                          v1::UpdateReleaseResponse* response) override;
  grpc::ServerUnaryReactor* TransitionRelease(grpc::CallbackServerContext* ctx,
                                              const v1::TransitionReleaseRequest* request,
                                              v1::TransitionReleaseResponse* response) override;
  grpc::ServerUnaryReactor* AddDeployment(grpc::CallbackServerContext* ctx,
                                          const v1::AddDeploymentRequest* request,
                                          v1::AddDeploymentResponse* response) override;
  grpc::ServerUnaryReactor* UpdateDeployment(grpc::CallbackServerContext* ctx,
                                             const v1::UpdateDeploymentRequest* request,
                                             v1::UpdateDeploymentResponse* response) override;

 private:
  storage::Database& db_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const Applications apps_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_GRPC_SERVICE_H_
