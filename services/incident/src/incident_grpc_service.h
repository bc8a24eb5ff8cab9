// The IncidentService gRPC API (callback API): thin handlers over the service's three
// applications — IncidentManagement, RequestFulfilment, ProblemManagement. Each handler names the
// application call; servicedb::CommitCall / ReadCall check the request's field limits, run the
// call in the group committer's transaction (writes) or a read-only one on the executor (reads),
// and translate its status for the wire. No callback thread ever waits for the database. Writes
// that name configuration items ask the CMDB about them first, on the executor
// (servicedb::CommitCallAfter, ci_references.h); the others commit straight away.
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_

#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "services/incident/src/ci_references.h"
#include "services/incident/src/cmdb_lookup.h"
#include "services/incident/src/incident_management.h"
#include "services/incident/src/problem_management.h"
#include "services/incident/src/request_fulfilment.h"

namespace itsm::incident {

struct Applications {
  const IncidentManagement& incidents;
  const RequestFulfilment& requests;
  const ProblemManagement& problems;
};

class IncidentGrpcService final : public v1::IncidentService::CallbackService {
 public:
  // Without `cmdb` (no configuration service configured) CIs are stored as given.
  IncidentGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                      runtime::Executor& executor, Applications apps, CmdbLookup* cmdb = nullptr)
      : db_(db), committer_(committer), executor_(executor), apps_(apps), cmdb_(cmdb) {}

  grpc::ServerUnaryReactor* CreateIncident(grpc::CallbackServerContext* ctx,
                                           const v1::CreateIncidentRequest* request,
                                           v1::CreateIncidentResponse* response) override;
  grpc::ServerUnaryReactor* GetIncident(grpc::CallbackServerContext* ctx,
                                        const v1::GetIncidentRequest* request,
                                        v1::GetIncidentResponse* response) override;
  grpc::ServerUnaryReactor* ListIncidents(grpc::CallbackServerContext* ctx,
                                          const v1::ListIncidentsRequest* request,
                                          v1::ListIncidentsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateIncident(grpc::CallbackServerContext* ctx,
                                           const v1::UpdateIncidentRequest* request,
                                           v1::UpdateIncidentResponse* response) override;
  grpc::ServerUnaryReactor* AssignIncident(grpc::CallbackServerContext* ctx,
                                           const v1::AssignIncidentRequest* request,
                                           v1::AssignIncidentResponse* response) override;
  grpc::ServerUnaryReactor* TransitionIncident(grpc::CallbackServerContext* ctx,
                                               const v1::TransitionIncidentRequest* request,
                                               v1::TransitionIncidentResponse* response) override;
  grpc::ServerUnaryReactor* AddIncidentNote(grpc::CallbackServerContext* ctx,
                                            const v1::AddIncidentNoteRequest* request,
                                            v1::AddIncidentNoteResponse* response) override;
  grpc::ServerUnaryReactor* ListIncidentNotes(grpc::CallbackServerContext* ctx,
                                              const v1::ListIncidentNotesRequest* request,
                                              v1::ListIncidentNotesResponse* response) override;
  grpc::ServerUnaryReactor* GetHistory(grpc::CallbackServerContext* ctx,
                                       const v1::GetHistoryRequest* request,
                                       v1::GetHistoryResponse* response) override;

  grpc::ServerUnaryReactor* CreateServiceRequest(
      grpc::CallbackServerContext* ctx, const v1::CreateServiceRequestRequest* request,
      v1::CreateServiceRequestResponse* response) override;
  grpc::ServerUnaryReactor* GetServiceRequest(grpc::CallbackServerContext* ctx,
                                              const v1::GetServiceRequestRequest* request,
                                              v1::GetServiceRequestResponse* response) override;
  grpc::ServerUnaryReactor* ListServiceRequests(grpc::CallbackServerContext* ctx,
                                                const v1::ListServiceRequestsRequest* request,
                                                v1::ListServiceRequestsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateServiceRequest(
      grpc::CallbackServerContext* ctx, const v1::UpdateServiceRequestRequest* request,
      v1::UpdateServiceRequestResponse* response) override;
  grpc::ServerUnaryReactor* TransitionServiceRequest(
      grpc::CallbackServerContext* ctx, const v1::TransitionServiceRequestRequest* request,
      v1::TransitionServiceRequestResponse* response) override;
  grpc::ServerUnaryReactor* AddServiceRequestNote(
      grpc::CallbackServerContext* ctx, const v1::AddRecordNoteRequest* request,
      v1::AddServiceRequestNoteResponse* response) override;
  grpc::ServerUnaryReactor* ListServiceRequestNotes(grpc::CallbackServerContext* ctx,
                                                    const v1::ListRecordNotesRequest* request,
                                                    v1::ListRecordNotesResponse* response) override;

  grpc::ServerUnaryReactor* CreateProblem(grpc::CallbackServerContext* ctx,
                                          const v1::CreateProblemRequest* request,
                                          v1::CreateProblemResponse* response) override;
  grpc::ServerUnaryReactor* GetProblem(grpc::CallbackServerContext* ctx,
                                       const v1::GetProblemRequest* request,
                                       v1::GetProblemResponse* response) override;
  grpc::ServerUnaryReactor* ListProblems(grpc::CallbackServerContext* ctx,
                                         const v1::ListProblemsRequest* request,
                                         v1::ListProblemsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateProblem(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateProblemRequest* request,
                                          v1::UpdateProblemResponse* response) override;
  grpc::ServerUnaryReactor* TransitionProblem(grpc::CallbackServerContext* ctx,
                                              const v1::TransitionProblemRequest* request,
                                              v1::TransitionProblemResponse* response) override;
  grpc::ServerUnaryReactor* AddProblemNote(grpc::CallbackServerContext* ctx,
                                           const v1::AddRecordNoteRequest* request,
                                           v1::AddProblemNoteResponse* response) override;
  grpc::ServerUnaryReactor* ListProblemNotes(grpc::CallbackServerContext* ctx,
                                             const v1::ListRecordNotesRequest* request,
                                             v1::ListRecordNotesResponse* response) override;

 private:
  using CiWriteUnit =
      std::function<absl::Status(storage::Transaction&, const base::Caller&, const CiReferences&)>;
  // `unit` with what the CMDB says of `cis` (part of `request`; null: the write names none).
  grpc::ServerUnaryReactor* CommitNamingCis(grpc::CallbackServerContext* ctx,
                                            const google::protobuf::Message& request,
                                            const CiIds* cis, std::string field, CiWriteUnit unit);

  storage::Database& db_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const Applications apps_;
  CmdbLookup* const cmdb_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_
