#include "services/change/src/change_grpc_service.h"

#include <functional>
#include <memory>
#include <optional>

#include "itsm/base/status_macros.h"
#include "itsm/runtime/call_context.h"
#include "itsm/servicedb/calls.h"
#include "itsm/storage/database.h"

namespace itsm::change {

grpc::ServerUnaryReactor* ChangeGrpcService::CreateChange(grpc::CallbackServerContext* ctx,
                                                          const v1::CreateChangeRequest* request,
                                                          v1::CreateChangeResponse* response) {
  return servicedb::CommitCallAfter<CmdbFacts>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.changes.GatherForCreate(*request); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CmdbFacts& facts) {
        return apps_.changes.Create(txn, caller, *request, facts, *response->mutable_change());
      },
      [this, response] { apps_.metrics.ConflictsFound(response->change()); });
}

grpc::ServerUnaryReactor* ChangeGrpcService::GetChange(grpc::CallbackServerContext* ctx,
                                                       const v1::GetChangeRequest* request,
                                                       v1::GetChangeResponse* response) {
  return servicedb::ReadRecordCall(
      executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
        return apps_.changes.Get(txn, *request, *response->mutable_change());
      });
}

namespace {

// A read filtered by a CI or a business service: each is resolved with the CMDB first (by id or
// "class_name/name", an unknown one refused), holding no transaction, then `read` runs with the
// CMDB's ids.
// `of_ci`, when given, is told the CI filter's id (still holding no transaction).
template <typename Request, typename Read>
grpc::ServerUnaryReactor* ReadByCi(runtime::Executor& executor, storage::Database& db,
                                   const ChangeManagement& changes,
                                   grpc::CallbackServerContext* ctx, const Request* request,
                                   Read read,
                                   std::function<void(const std::string&)> of_ci = nullptr) {
  return servicedb::ResolvedReadCall<Request>(
      executor, db, ctx, *request,
      [&changes, of_ci](Request& resolved) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(
            *resolved.mutable_configuration_item_id(),
            changes.ResolveCiFilter(resolved.configuration_item_id(), "configuration_item_id"));
        ITSM_ASSIGN_OR_RETURN(*resolved.mutable_service_id(),
                              changes.ResolveCiFilter(resolved.service_id(), "service_id"));
        if (of_ci && !resolved.configuration_item_id().empty()) {
          of_ci(resolved.configuration_item_id());
        }
        return absl::OkStatus();
      },
      [read](storage::Transaction& txn, const base::Caller&, const Request& resolved) {
        return read(txn, resolved);
      });
}

}  // namespace

grpc::ServerUnaryReactor* ChangeGrpcService::ListChanges(grpc::CallbackServerContext* ctx,
                                                         const v1::ListChangesRequest* request,
                                                         v1::ListChangesResponse* response) {
  if (!request->configuration_item_id().empty() || !request->service_id().empty()) {
    return ReadByCi(executor_, db_, apps_.changes, ctx, request,
                    [=, this](storage::Transaction& txn, const v1::ListChangesRequest& r) {
                      return apps_.changes.List(txn, r, *response);
                    });
  }
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.changes.List(txn, *request, *response);
                                    });
}

grpc::ServerUnaryReactor* ChangeGrpcService::UpdateChange(grpc::CallbackServerContext* ctx,
                                                          const v1::UpdateChangeRequest* request,
                                                          v1::UpdateChangeResponse* response) {
  return servicedb::CommitCallAfter<CmdbFacts>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.changes.GatherFor(request->change().id(), request); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CmdbFacts& facts) {
        return apps_.changes.Update(txn, caller, *request, facts, *response->mutable_change());
      },
      [this, response] { apps_.metrics.ConflictsFound(response->change()); });
}

grpc::ServerUnaryReactor* ChangeGrpcService::TransitionChange(
    grpc::CallbackServerContext* ctx, const v1::TransitionChangeRequest* request,
    v1::TransitionChangeResponse* response) {
  return servicedb::CommitCallAfter<CmdbFacts>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.changes.GatherFor(request->id(), nullptr); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CmdbFacts& facts) {
        return apps_.changes.Transition(txn, caller, *request, facts, *response->mutable_change());
      },
      [this, response] { apps_.metrics.ConflictsFound(response->change()); });
}

grpc::ServerUnaryReactor* ChangeGrpcService::AssessChange(grpc::CallbackServerContext* ctx,
                                                          const v1::AssessChangeRequest* request,
                                                          v1::AssessChangeResponse* response) {
  return servicedb::CommitCallAfter<CmdbFacts>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.changes.GatherFor(request->id(), nullptr); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CmdbFacts& facts) {
        return apps_.changes.Assess(txn, caller, *request, facts, *response->mutable_change());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::DecideChangeApproval(
    grpc::CallbackServerContext* ctx, const v1::DecideChangeApprovalRequest* request,
    v1::DecideChangeApprovalResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.changes.Decide(txn, caller, *request, *response->mutable_change());
      },
      [this, response] { apps_.metrics.ApprovalDecided(response->change()); });
}

grpc::ServerUnaryReactor* ChangeGrpcService::ScheduleChange(
    grpc::CallbackServerContext* ctx, const v1::ScheduleChangeRequest* request,
    v1::ScheduleChangeResponse* response) {
  return servicedb::CommitCallAfter<CmdbFacts>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.changes.GatherFor(request->id(), nullptr); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CmdbFacts& facts) {
        return apps_.changes.Schedule(txn, caller, *request, facts, *response->mutable_change());
      },
      [this, response] { apps_.metrics.ConflictsFound(response->change()); });
}

grpc::ServerUnaryReactor* ChangeGrpcService::OverrideChangeConflicts(
    grpc::CallbackServerContext* ctx, const v1::OverrideChangeConflictsRequest* request,
    v1::OverrideChangeConflictsResponse* response) {
  return servicedb::CommitCallAfter<CmdbFacts>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.changes.GatherFor(request->id(), nullptr); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CmdbFacts& facts) {
        return apps_.changes.Override(txn, caller, *request, facts, *response->mutable_change());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::AddChangeTask(grpc::CallbackServerContext* ctx,
                                                           const v1::AddChangeTaskRequest* request,
                                                           v1::AddChangeTaskResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.changes.AddTask(txn, caller, *request, *response);
                               });
}

grpc::ServerUnaryReactor* ChangeGrpcService::UpdateChangeTask(
    grpc::CallbackServerContext* ctx, const v1::UpdateChangeTaskRequest* request,
    v1::UpdateChangeTaskResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.changes.UpdateTask(txn, caller, *request, *response);
                               });
}

grpc::ServerUnaryReactor* ChangeGrpcService::GetChangeHistory(
    grpc::CallbackServerContext* ctx, const v1::GetChangeHistoryRequest* request,
    v1::GetChangeHistoryResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.changes.History(txn, caller, *request, *response);
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::CreateChangeTemplate(
    grpc::CallbackServerContext* ctx, const v1::CreateChangeTemplateRequest* request,
    v1::CreateChangeTemplateResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.catalogue.CreateTemplate(
                                     txn, caller, *request, *response->mutable_template_());
                               });
}

grpc::ServerUnaryReactor* ChangeGrpcService::GetChangeTemplate(
    grpc::CallbackServerContext* ctx, const v1::GetChangeTemplateRequest* request,
    v1::GetChangeTemplateResponse* response) {
  return servicedb::ReadRecordCall(
      executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
        return apps_.catalogue.GetTemplate(txn, *request, *response->mutable_template_());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::ListChangeTemplates(
    grpc::CallbackServerContext* ctx, const v1::ListChangeTemplatesRequest* request,
    v1::ListChangeTemplatesResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response, [=, this](storage::Transaction& txn) {
        return apps_.catalogue.ListTemplates(txn, *request, *response);
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::UpdateChangeTemplate(
    grpc::CallbackServerContext* ctx, const v1::UpdateChangeTemplateRequest* request,
    v1::UpdateChangeTemplateResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.catalogue.UpdateTemplate(
                                     txn, caller, *request, *response->mutable_template_());
                               });
}

grpc::ServerUnaryReactor* ChangeGrpcService::GetChangePolicy(
    grpc::CallbackServerContext* ctx, const v1::GetChangePolicyRequest* request,
    v1::GetChangePolicyResponse* response) {
  return servicedb::ReadRecordCall(
      executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
        return apps_.catalogue.GetPolicy(txn, *response->mutable_policy());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::UpdateChangePolicy(
    grpc::CallbackServerContext* ctx, const v1::UpdateChangePolicyRequest* request,
    v1::UpdateChangePolicyResponse* response) {
  return servicedb::ResolvedCommitCall<v1::UpdateChangePolicyRequest>(
      executor_, committer_, ctx, *request,
      [this](v1::UpdateChangePolicyRequest& r) {
        return apps_.catalogue.ResolvePolicy(*r.mutable_policy());
      },
      [=, this](storage::Transaction& txn, const base::Caller& caller,
                const v1::UpdateChangePolicyRequest& r) {
        return apps_.catalogue.UpdatePolicy(txn, caller, r, *response->mutable_policy());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::CreateChangeWindow(
    grpc::CallbackServerContext* ctx, const v1::CreateChangeWindowRequest* request,
    v1::CreateChangeWindowResponse* response) {
  return servicedb::ResolvedCommitCall<v1::CreateChangeWindowRequest>(
      executor_, committer_, ctx, *request,
      [this](v1::CreateChangeWindowRequest& r) {
        return apps_.catalogue.ResolveWindow(*r.mutable_window(), nullptr);
      },
      [=, this](storage::Transaction& txn, const base::Caller& caller,
                const v1::CreateChangeWindowRequest& r) {
        return apps_.catalogue.CreateWindow(txn, caller, r, *response->mutable_window());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::ListChangeWindows(
    grpc::CallbackServerContext* ctx, const v1::ListChangeWindowsRequest* request,
    v1::ListChangeWindowsResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.catalogue.ListWindows(txn, *request, *response);
                                    });
}

grpc::ServerUnaryReactor* ChangeGrpcService::UpdateChangeWindow(
    grpc::CallbackServerContext* ctx, const v1::UpdateChangeWindowRequest* request,
    v1::UpdateChangeWindowResponse* response) {
  return servicedb::ResolvedCommitCall<v1::UpdateChangeWindowRequest>(
      executor_, committer_, ctx, *request,
      [this](v1::UpdateChangeWindowRequest& r) {
        return apps_.catalogue.ResolveWindow(*r.mutable_window(), &r.update_mask());
      },
      [=, this](storage::Transaction& txn, const base::Caller& caller,
                const v1::UpdateChangeWindowRequest& r) {
        return apps_.catalogue.UpdateWindow(txn, caller, r, *response->mutable_window());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::GetChangeCalendar(
    grpc::CallbackServerContext* ctx, const v1::GetChangeCalendarRequest* request,
    v1::GetChangeCalendarResponse* response) {
  auto scope = std::make_shared<std::optional<CiWindowScope>>();
  return ReadByCi(
      executor_, db_, apps_.changes, ctx, request,
      [=, this](storage::Transaction& txn, const v1::GetChangeCalendarRequest& r) {
        return apps_.calendar.Get(txn, r, *response, *scope);
      },
      [=, this](const std::string& ci_id) { *scope = apps_.changes.WindowScopeOf(ci_id); });
}

grpc::ServerUnaryReactor* ChangeGrpcService::ExportChangeCalendar(
    grpc::CallbackServerContext* ctx, const v1::ExportChangeCalendarRequest* request,
    v1::ExportChangeCalendarResponse* response) {
  auto scope = std::make_shared<std::optional<CiWindowScope>>();
  return ReadByCi(
      executor_, db_, apps_.changes, ctx, request,
      [=, this](storage::Transaction& txn, const v1::ExportChangeCalendarRequest& r) {
        return apps_.calendar.Export(txn, r, *response, *scope);
      },
      [=, this](const std::string& ci_id) { *scope = apps_.changes.WindowScopeOf(ci_id); });
}

grpc::ServerUnaryReactor* ChangeGrpcService::CreateRelease(grpc::CallbackServerContext* ctx,
                                                           const v1::CreateReleaseRequest* request,
                                                           v1::CreateReleaseResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.releases.Create(txn, caller, *request, *response->mutable_release());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::GetRelease(grpc::CallbackServerContext* ctx,
                                                        const v1::GetReleaseRequest* request,
                                                        v1::GetReleaseResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.releases.Get(txn, *request, *response);
                                    });
}

grpc::ServerUnaryReactor* ChangeGrpcService::ListReleases(grpc::CallbackServerContext* ctx,
                                                          const v1::ListReleasesRequest* request,
                                                          v1::ListReleasesResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.releases.List(txn, *request, *response);
                                    });
}

grpc::ServerUnaryReactor* ChangeGrpcService::UpdateRelease(grpc::CallbackServerContext* ctx,
                                                           const v1::UpdateReleaseRequest* request,
                                                           v1::UpdateReleaseResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.releases.Update(txn, caller, *request, *response->mutable_release());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::TransitionRelease(
    grpc::CallbackServerContext* ctx, const v1::TransitionReleaseRequest* request,
    v1::TransitionReleaseResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.releases.Transition(txn, caller, *request, *response->mutable_release());
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::AddDeployment(grpc::CallbackServerContext* ctx,
                                                           const v1::AddDeploymentRequest* request,
                                                           v1::AddDeploymentResponse* response) {
  return servicedb::CommitCallAfter<std::vector<std::string>>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.releases.GatherCis(*request); },
      [=, this](storage::Transaction& txn, const base::Caller& caller,
                const std::vector<std::string>& cis) {
        return apps_.releases.AddDeployment(txn, caller, *request, cis, *response);
      });
}

grpc::ServerUnaryReactor* ChangeGrpcService::UpdateDeployment(
    grpc::CallbackServerContext* ctx, const v1::UpdateDeploymentRequest* request,
    v1::UpdateDeploymentResponse* response) {
  return servicedb::CommitCallAfter<std::vector<std::string>>(
      executor_, committer_, ctx, *request,
      [=, this] { return apps_.releases.GatherCis(*request); },
      [=, this](storage::Transaction& txn, const base::Caller& caller,
                const std::vector<std::string>& cis) {
        return apps_.releases.UpdateDeployment(txn, caller, *request, cis, *response);
      });
}

}  // namespace itsm::change
