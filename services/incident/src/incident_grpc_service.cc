#include "services/incident/src/incident_grpc_service.h"

#include <algorithm>
#include <string>
#include <utility>

#include "itsm/base/status_macros.h"
#include "itsm/runtime/call_context.h"
#include "itsm/servicedb/calls.h"
#include "services/incident/src/requester_rules.h"

namespace itsm::incident {
namespace {

constexpr char kCiPath[] = "configuration_item_ids";

// The CIs an update sets: those of its record when its mask names them.
template <typename Record>
const CiIds* CisSetBy(const google::protobuf::FieldMask& mask, const Record& record) {
  const auto& paths = mask.paths();
  return std::find(paths.begin(), paths.end(), kCiPath) != paths.end()
             ? &record.configuration_item_ids()
             : nullptr;
}

}  // namespace

grpc::ServerUnaryReactor* IncidentGrpcService::CommitNamingCis(
    grpc::CallbackServerContext* ctx, const google::protobuf::Message& request, const CiIds* cis,
    std::string field, CiWriteUnit unit) {
  if (cmdb_ == nullptr || cis == nullptr || cis->empty()) {
    return servicedb::CommitCall(
        committer_, ctx, request,
        [unit = std::move(unit)](storage::Transaction& txn, const base::Caller& caller) {
          return unit(txn, caller, CiReferences{});
        });
  }
  // Refused before the CMDB is asked: its answer would tell a requester what it holds.
  return servicedb::CommitCallAfter<CiReferences>(
      executor_, committer_, ctx, request,
      [this, cis, field = std::move(field),
       caller = runtime::CallerOf(*ctx)]() -> absl::StatusOr<CiReferences> {
        ITSM_RETURN_IF_ERROR(CheckRequesterMayNameCis(caller, field.c_str(), true));
        return LookUpCis(cmdb_, *cis, field);
      },
      std::move(unit));
}

// ---- Incidents ----

grpc::ServerUnaryReactor* IncidentGrpcService::CreateIncident(
    grpc::CallbackServerContext* ctx, const v1::CreateIncidentRequest* request,
    v1::CreateIncidentResponse* response) {
  return CommitNamingCis(
      ctx, *request, &request->configuration_item_ids(), kCiPath,
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CiReferences& cis) {
        return apps_.incidents.Create(txn, caller, *request, cis, *response->mutable_incident());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetIncident(grpc::CallbackServerContext* ctx,
                                                           const v1::GetIncidentRequest* request,
                                                           v1::GetIncidentResponse* response) {
  return servicedb::ReadRecordCall(
      executor_, db_, ctx, *request,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.incidents.Get(txn, caller, *request, *response);
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListIncidents(
    grpc::CallbackServerContext* ctx, const v1::ListIncidentsRequest* request,
    v1::ListIncidentsResponse* response) {
  if (cmdb_ != nullptr && !request->configuration_item_id().empty()) {
    return servicedb::ResolvedReadCall<v1::ListIncidentsRequest>(
        executor_, db_, ctx, *request,
        [this,
         caller = runtime::CallerOf(*ctx)](v1::ListIncidentsRequest& resolved) -> absl::Status {
          ITSM_RETURN_IF_ERROR(CheckRequesterMayNameCis(caller, "configuration_item_id", true));
          absl::StatusOr<std::string> ci =
              ResolveCiFilter(cmdb_, resolved.configuration_item_id(), "configuration_item_id");
          if (!ci.ok()) return ci.status();
          resolved.set_configuration_item_id(*std::move(ci));
          return absl::OkStatus();
        },
        [this, response](storage::Transaction& txn, const base::Caller& caller,
                         const v1::ListIncidentsRequest& resolved) {
          return apps_.incidents.List(txn, caller, resolved, *response);
        });
  }
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.incidents.List(txn, caller, *request, *response);
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::UpdateIncident(
    grpc::CallbackServerContext* ctx, const v1::UpdateIncidentRequest* request,
    v1::UpdateIncidentResponse* response) {
  return CommitNamingCis(
      ctx, *request, CisSetBy(request->update_mask(), request->incident()),
      "incident.configuration_item_ids",
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CiReferences& cis) {
        return apps_.incidents.Update(txn, caller, *request, cis, *response->mutable_incident());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::AssignIncident(
    grpc::CallbackServerContext* ctx, const v1::AssignIncidentRequest* request,
    v1::AssignIncidentResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.incidents.Assign(txn, caller, *request, *response->mutable_incident());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::TransitionIncident(
    grpc::CallbackServerContext* ctx, const v1::TransitionIncidentRequest* request,
    v1::TransitionIncidentResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.incidents.Transition(txn, caller, *request, *response);
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::AddIncidentNote(
    grpc::CallbackServerContext* ctx, const v1::AddIncidentNoteRequest* request,
    v1::AddIncidentNoteResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.incidents.AddNote(txn, caller, *request, *response);
                               });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListIncidentNotes(
    grpc::CallbackServerContext* ctx, const v1::ListIncidentNotesRequest* request,
    v1::ListIncidentNotesResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.incidents.ListNotes(txn, caller, *request, *response);
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetHistory(grpc::CallbackServerContext* ctx,
                                                          const v1::GetHistoryRequest* request,
                                                          v1::GetHistoryResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.incidents.History(txn, caller, *request, *response);
      });
}

// ---- Service requests ----

grpc::ServerUnaryReactor* IncidentGrpcService::AddServiceRequestNote(
    grpc::CallbackServerContext* ctx, const v1::AddRecordNoteRequest* request,
    v1::AddServiceRequestNoteResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.requests.AddNote(txn, caller, *request, *response);
                               });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListServiceRequestNotes(
    grpc::CallbackServerContext* ctx, const v1::ListRecordNotesRequest* request,
    v1::ListRecordNotesResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.requests.ListNotes(txn, caller, *request, *response);
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::CreateServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::CreateServiceRequestRequest* request,
    v1::CreateServiceRequestResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.requests.Create(txn, caller, *request, *response->mutable_service_request());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::GetServiceRequestRequest* request,
    v1::GetServiceRequestResponse* response) {
  return servicedb::ReadRecordCall(
      executor_, db_, ctx, *request,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.requests.Get(txn, caller, *request, *response->mutable_service_request());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListServiceRequests(
    grpc::CallbackServerContext* ctx, const v1::ListServiceRequestsRequest* request,
    v1::ListServiceRequestsResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.requests.List(txn, caller, *request, *response);
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::UpdateServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::UpdateServiceRequestRequest* request,
    v1::UpdateServiceRequestResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.requests.Update(txn, caller, *request, *response->mutable_service_request());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::TransitionServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::TransitionServiceRequestRequest* request,
    v1::TransitionServiceRequestResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.requests.Transition(
                                     txn, caller, *request, *response->mutable_service_request());
                               });
}

// ---- Problems ----

grpc::ServerUnaryReactor* IncidentGrpcService::CreateProblem(
    grpc::CallbackServerContext* ctx, const v1::CreateProblemRequest* request,
    v1::CreateProblemResponse* response) {
  return CommitNamingCis(
      ctx, *request, &request->configuration_item_ids(), kCiPath,
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CiReferences& cis) {
        return apps_.problems.Create(txn, caller, *request, cis, *response->mutable_problem());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetProblem(grpc::CallbackServerContext* ctx,
                                                          const v1::GetProblemRequest* request,
                                                          v1::GetProblemResponse* response) {
  return servicedb::ReadRecordCall(executor_, db_, ctx, *request,
                                   [=, this](storage::Transaction& txn) {
                                     return apps_.problems.Get(txn, *request, *response);
                                   });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListProblems(grpc::CallbackServerContext* ctx,
                                                            const v1::ListProblemsRequest* request,
                                                            v1::ListProblemsResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.problems.List(txn, *request, *response);
                                    });
}

grpc::ServerUnaryReactor* IncidentGrpcService::UpdateProblem(
    grpc::CallbackServerContext* ctx, const v1::UpdateProblemRequest* request,
    v1::UpdateProblemResponse* response) {
  return CommitNamingCis(
      ctx, *request, CisSetBy(request->update_mask(), request->problem()),
      "problem.configuration_item_ids",
      [=, this](storage::Transaction& txn, const base::Caller& caller, const CiReferences& cis) {
        return apps_.problems.Update(txn, caller, *request, cis, *response->mutable_problem());
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::TransitionProblem(
    grpc::CallbackServerContext* ctx, const v1::TransitionProblemRequest* request,
    v1::TransitionProblemResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.problems.Transition(txn, caller, *request, *response);
                               });
}

grpc::ServerUnaryReactor* IncidentGrpcService::AddProblemNote(
    grpc::CallbackServerContext* ctx, const v1::AddRecordNoteRequest* request,
    v1::AddProblemNoteResponse* response) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.problems.AddNote(txn, caller, *request, *response);
                               });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListProblemNotes(
    grpc::CallbackServerContext* ctx, const v1::ListRecordNotesRequest* request,
    v1::ListRecordNotesResponse* response) {
  return servicedb::BoundedReadCall(
      executor_, db_, ctx, *request, *response,
      [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.problems.ListNotes(txn, caller, *request, *response);
      });
}

}  // namespace itsm::incident
