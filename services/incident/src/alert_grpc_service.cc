#include "services/incident/src/alert_grpc_service.h"

#include "itsm/servicedb/calls.h"

namespace itsm::incident {

grpc::ServerUnaryReactor* AlertGrpcService::NotifyAlertmanager(
    grpc::CallbackServerContext* ctx, const v1::NotifyAlertmanagerRequest* request,
    v1::NotifyAlertmanagerResponse* response) {
  return servicedb::CommitCallAfter<AlertFacts>(
      executor_, committer_, ctx, *request, [=, this] { return intake_.Gather(*request); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const AlertFacts& facts) {
        // A unit may run again after its batch failed: it starts from a clean answer.
        response->Clear();
        return intake_.Notify(txn, caller, *request, facts, *response);
      });
}

}  // namespace itsm::incident
