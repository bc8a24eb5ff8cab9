#include "services/incident/src/alert_grpc_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "itsm/servicedb/calls.h"

namespace itsm::incident {

AlertMetrics::AlertMetrics(prometheus::Registry& registry) {
  auto& family = prometheus::BuildCounter()
                     .Name("itsm_alert_notifications_total")
                     .Help("Alertmanager notifications applied, by outcome.")
                     .Register(registry);
  for (int i = v1::AlertOutcome_MIN + 1; i <= v1::AlertOutcome_MAX; ++i) {
    std::string name = v1::AlertOutcome_Name(static_cast<v1::AlertOutcome>(i));
    name = absl::AsciiStrToLower(absl::StripPrefix(name, "ALERT_OUTCOME_"));
    by_outcome_[i] = &family.Add({{"outcome", name}});
  }
}

void AlertMetrics::Count(v1::AlertOutcome outcome) {
  if (outcome > 0 && outcome < v1::AlertOutcome_ARRAYSIZE) by_outcome_[outcome]->Increment();
}

grpc::ServerUnaryReactor* AlertGrpcService::NotifyAlertmanager(
    grpc::CallbackServerContext* ctx, const v1::NotifyAlertmanagerRequest* request,
    v1::NotifyAlertmanagerResponse* response) {
  return servicedb::CommitCallAfter<AlertFacts>(
      executor_, committer_, ctx, *request, [=, this] { return intake_.Gather(*request); },
      [=, this](storage::Transaction& txn, const base::Caller& caller, const AlertFacts& facts) {
        // A unit may run again after its batch failed: it starts from a clean answer.
        response->Clear();
        return intake_.Notify(txn, caller, *request, facts, *response);
      },
      [=, this] {
        if (metrics_ != nullptr) metrics_->Count(response->outcome());
      });
}

}  // namespace itsm::incident
