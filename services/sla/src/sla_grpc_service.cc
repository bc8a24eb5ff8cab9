#include "services/sla/src/sla_grpc_service.h"

#include "itsm/runtime/call_context.h"
#include "itsm/servicedb/calls.h"

namespace itsm::sla {

// ---- Calendars ----

grpc::ServerUnaryReactor* SlaGrpcService::CreateCalendar(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateCalendarRequest* request,
                                                         v1::CreateCalendarResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.calendars.Create(txn, caller, *request, *response->mutable_calendar());
      });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetCalendar(grpc::CallbackServerContext* ctx,
                                                      const v1::GetCalendarRequest* request,
                                                      v1::GetCalendarResponse* response) {
  return servicedb::ReadRecordCall(
      executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
        return apps_.calendars.Get(txn, *request, *response->mutable_calendar());
      });
}

grpc::ServerUnaryReactor* SlaGrpcService::ListCalendars(grpc::CallbackServerContext* ctx,
                                                        const v1::ListCalendarsRequest* request,
                                                        v1::ListCalendarsResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.calendars.List(txn, *request, *response);
                                    });
}

grpc::ServerUnaryReactor* SlaGrpcService::UpdateCalendar(grpc::CallbackServerContext* ctx,
                                                         const v1::UpdateCalendarRequest* request,
                                                         v1::UpdateCalendarResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.calendars.Update(txn, caller, *request, *response->mutable_calendar());
      });
}

grpc::ServerUnaryReactor* SlaGrpcService::DeleteCalendar(grpc::CallbackServerContext* ctx,
                                                         const v1::DeleteCalendarRequest* request,
                                                         v1::DeleteCalendarResponse*) {
  return servicedb::CommitCall(committer_, ctx, *request,
                               [=, this](storage::Transaction& txn, const base::Caller& caller) {
                                 return apps_.calendars.Delete(txn, caller, *request);
                               });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetCalendarHistory(
    grpc::CallbackServerContext* ctx, const v1::GetCalendarHistoryRequest* request,
    v1::GetCalendarHistoryResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.calendars.History(txn, *request, *response);
                                    });
}

// ---- SLA definitions ----

grpc::ServerUnaryReactor* SlaGrpcService::CreateSlaDefinition(
    grpc::CallbackServerContext* ctx, const v1::CreateSlaDefinitionRequest* request,
    v1::CreateSlaDefinitionResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.definitions.Create(txn, caller, *request, *response->mutable_definition());
      });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetSlaDefinition(
    grpc::CallbackServerContext* ctx, const v1::GetSlaDefinitionRequest* request,
    v1::GetSlaDefinitionResponse* response) {
  return servicedb::ReadRecordCall(
      executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
        return apps_.definitions.Get(txn, *request, *response->mutable_definition());
      });
}

grpc::ServerUnaryReactor* SlaGrpcService::ListSlaDefinitions(
    grpc::CallbackServerContext* ctx, const v1::ListSlaDefinitionsRequest* request,
    v1::ListSlaDefinitionsResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.definitions.List(txn, *request, *response);
                                    });
}

grpc::ServerUnaryReactor* SlaGrpcService::UpdateSlaDefinition(
    grpc::CallbackServerContext* ctx, const v1::UpdateSlaDefinitionRequest* request,
    v1::UpdateSlaDefinitionResponse* response) {
  return servicedb::CommitCall(
      committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller& caller) {
        return apps_.definitions.Update(txn, caller, *request, *response->mutable_definition());
      });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetSlaDefinitionHistory(
    grpc::CallbackServerContext* ctx, const v1::GetSlaDefinitionHistoryRequest* request,
    v1::GetSlaDefinitionHistoryResponse* response) {
  return servicedb::BoundedReadCall(executor_, db_, ctx, *request, *response,
                                    [=, this](storage::Transaction& txn) {
                                      return apps_.definitions.History(txn, *request, *response);
                                    });
}

// ---- Clocks: applicability, due times, status and reports ----

grpc::ServerUnaryReactor* SlaGrpcService::ResolveApplicableSla(
    grpc::CallbackServerContext* ctx, const v1::ResolveApplicableSlaRequest* request,
    v1::ResolveApplicableSlaResponse* response) {
  return servicedb::ReadCall(executor_, db_, ctx, *request, [=, this](storage::Transaction& txn) {
    return apps_.clocks.Resolve(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetDueTime(grpc::CallbackServerContext* ctx,
                                                     const v1::GetDueTimeRequest* request,
                                                     v1::GetDueTimeResponse* response) {
  return runtime::RunCall(executor_, ctx, *request,
                          [=, this] { return apps_.clocks.DueTime(*request, *response); });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetIncidentSlaStatus(
    grpc::CallbackServerContext* ctx, const v1::GetIncidentSlaStatusRequest* request,
    v1::GetIncidentSlaStatusResponse* response) {
  return runtime::RunCall(executor_, ctx, *request,
                          [=, this] { return apps_.clocks.IncidentStatus(*request, *response); });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetComplianceReport(
    grpc::CallbackServerContext* ctx, const v1::GetComplianceReportRequest* request,
    v1::GetComplianceReportResponse* response) {
  return runtime::RunCall(executor_, ctx, *request,
                          [=, this] { return apps_.clocks.ComplianceReport(*request, *response); });
}

grpc::ServerUnaryReactor* SlaGrpcService::ExplainClocks(grpc::CallbackServerContext* ctx,
                                                        const v1::ExplainClocksRequest* request,
                                                        v1::ExplainClocksResponse* response) {
  return runtime::RunCall(executor_, ctx, *request,
                          [=, this] { return apps_.explanations.Explain(*request, *response); });
}

}  // namespace itsm::sla
