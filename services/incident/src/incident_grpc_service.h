// The IncidentService gRPC API (callback API): incidents, service requests and problems.
// Every write goes through the group committer as one unit of work that reads the record,
// applies the domain rules (IncidentWorkflow, ProblemWorkflow, ServiceRequestWorkflow), and
// writes the record, its audit entry and its outbox events together — so a change, its history
// and its events are never seen apart. Reads use their own snapshot transactions.
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_

#include <functional>

#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_workflow.h"
#include "services/incident/src/problem_workflow.h"

namespace itsm::incident {

inline constexpr char kIncidentTopic[] = "itsm.incident.v1";
inline constexpr char kEventSource[] = "itsm/incident";

// The domain rules the service applies; plain classes, owned by the caller.
struct DomainRules {
  const IncidentFactory& factory;
  const IncidentWorkflow& incidents;
  const ProblemWorkflow& problems;
  const ServiceRequestWorkflow& requests;
};

class IncidentGrpcService final : public v1::IncidentService::CallbackService {
 public:
  // Reads run on `executor`, writes on the committer's writer: no callback thread ever waits for
  // the database.
  IncidentGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                      runtime::Executor& executor, DomainRules rules)
      : db_(db), committer_(committer), executor_(executor), rules_(rules) {}

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

 private:
  // Validates with `check`, then commits `unit` through the group committer and finishes the
  // call with its status. `unit` runs on the writer thread inside its own savepoint.
  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, absl::Status check,
                                  storage::GroupCommitter::Work unit);
  // Runs `read` in a read-only snapshot on the executor and finishes the call with its status.
  // `read` outlives the handler: it captures by value.
  grpc::ServerUnaryReactor* Read(grpc::CallbackServerContext* ctx,
                                 std::function<absl::Status(storage::Transaction&)> read);

  storage::Database& db_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const DomainRules rules_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_
