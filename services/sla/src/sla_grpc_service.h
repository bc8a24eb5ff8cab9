// The SlaService gRPC API (callback API): thin handlers over the service's applications —
// Calendars, SlaDefinitions, SlaClocks, ClockExplanations. Each handler names the application call;
// servicedb::CommitCall / ReadCall / runtime::RunCall check the request's field limits, run the
// call in the group committer's transaction (writes), a read-only one on the executor (reads), or
// on the executor alone (queries that open their own transactions or read the projection), and
// translate its status for the wire. No callback thread ever waits for the database or another
// service.
#ifndef ITSM_SERVICES_SLA_SLA_GRPC_SERVICE_H_
#define ITSM_SERVICES_SLA_SLA_GRPC_SERVICE_H_

#include "itsm/runtime/executor.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "services/sla/src/calendars.h"
#include "services/sla/src/clock_explanations.h"
#include "services/sla/src/sla_clocks.h"
#include "services/sla/src/sla_definitions.h"

namespace itsm::sla {

struct Applications {
  const Calendars& calendars;
  const SlaDefinitions& definitions;
  const SlaClocks& clocks;
  const ClockExplanations& explanations;
};

class SlaGrpcService final : public v1::SlaService::CallbackService {
 public:
  SlaGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                 runtime::Executor& executor, Applications apps)
      : db_(db), committer_(committer), executor_(executor), apps_(apps) {}

  grpc::ServerUnaryReactor* CreateCalendar(grpc::CallbackServerContext* ctx,
                                           const v1::CreateCalendarRequest* request,
                                           v1::CreateCalendarResponse* response) override;
  grpc::ServerUnaryReactor* GetCalendar(grpc::CallbackServerContext* ctx,
                                        const v1::GetCalendarRequest* request,
                                        v1::GetCalendarResponse* response) override;
  grpc::ServerUnaryReactor* ListCalendars(grpc::CallbackServerContext* ctx,
                                          const v1::ListCalendarsRequest* request,
                                          v1::ListCalendarsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateCalendar(grpc::CallbackServerContext* ctx,
                                           const v1::UpdateCalendarRequest* request,
                                           v1::UpdateCalendarResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCalendar(grpc::CallbackServerContext* ctx,
                                           const v1::DeleteCalendarRequest* request,
                                           v1::DeleteCalendarResponse* response) override;
  grpc::ServerUnaryReactor* GetCalendarHistory(grpc::CallbackServerContext* ctx,
                                               const v1::GetCalendarHistoryRequest* request,
                                               v1::GetCalendarHistoryResponse* response) override;

  grpc::ServerUnaryReactor* CreateSlaDefinition(grpc::CallbackServerContext* ctx,
                                                const v1::CreateSlaDefinitionRequest* request,
                                                v1::CreateSlaDefinitionResponse* response) override;
  grpc::ServerUnaryReactor* GetSlaDefinition(grpc::CallbackServerContext* ctx,
                                             const v1::GetSlaDefinitionRequest* request,
                                             v1::GetSlaDefinitionResponse* response) override;
  grpc::ServerUnaryReactor* ListSlaDefinitions(grpc::CallbackServerContext* ctx,
                                               const v1::ListSlaDefinitionsRequest* request,
                                               v1::ListSlaDefinitionsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSlaDefinition(grpc::CallbackServerContext* ctx,
                                                const v1::UpdateSlaDefinitionRequest* request,
                                                v1::UpdateSlaDefinitionResponse* response) override;
  grpc::ServerUnaryReactor* GetSlaDefinitionHistory(
      grpc::CallbackServerContext* ctx, const v1::GetSlaDefinitionHistoryRequest* request,
      v1::GetSlaDefinitionHistoryResponse* response) override;

  grpc::ServerUnaryReactor* ResolveApplicableSla(
      grpc::CallbackServerContext* ctx, const v1::ResolveApplicableSlaRequest* request,
      v1::ResolveApplicableSlaResponse* response) override;
  grpc::ServerUnaryReactor* GetDueTime(grpc::CallbackServerContext* ctx,
                                       const v1::GetDueTimeRequest* request,
                                       v1::GetDueTimeResponse* response) override;
  grpc::ServerUnaryReactor* GetIncidentSlaStatus(
      grpc::CallbackServerContext* ctx, const v1::GetIncidentSlaStatusRequest* request,
      v1::GetIncidentSlaStatusResponse* response) override;
  grpc::ServerUnaryReactor* GetComplianceReport(grpc::CallbackServerContext* ctx,
                                                const v1::GetComplianceReportRequest* request,
                                                v1::GetComplianceReportResponse* response) override;
  grpc::ServerUnaryReactor* ExplainClocks(grpc::CallbackServerContext* ctx,
                                          const v1::ExplainClocksRequest* request,
                                          v1::ExplainClocksResponse* response) override;

 private:
  storage::Database& db_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const Applications apps_;
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_GRPC_SERVICE_H_
