// The AlertIntakeService gRPC API (callback API): one thin handler over AlertIntake. The CMDB
// is asked on the executor before the write (servicedb::CommitCallAfter), then the notification
// is applied in the group committer's transaction.
#ifndef ITSM_SERVICES_INCIDENT_ALERT_GRPC_SERVICE_H_
#define ITSM_SERVICES_INCIDENT_ALERT_GRPC_SERVICE_H_

#include <array>

#include "itsm/incident/v1/alerts.grpc.pb.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/group_commit.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "services/incident/src/alert_intake.h"

namespace itsm::incident {

// itsm_alert_notifications_total{outcome}: notifications applied, by what they did (opened,
// noted, resolved, reopened, unchanged, ignored). Refused ones are in the gRPC server metrics.
class AlertMetrics {
 public:
  explicit AlertMetrics(prometheus::Registry& registry);
  void Count(v1::AlertOutcome outcome);

 private:
  std::array<prometheus::Counter*, v1::AlertOutcome_ARRAYSIZE> by_outcome_ = {};
};

class AlertGrpcService final : public v1::AlertIntakeService::CallbackService {
 public:
  AlertGrpcService(storage::GroupCommitter& committer, runtime::Executor& executor,
                   const AlertIntake& intake, AlertMetrics* metrics = nullptr)
      : committer_(committer), executor_(executor), intake_(intake), metrics_(metrics) {}

  grpc::ServerUnaryReactor* NotifyAlertmanager(grpc::CallbackServerContext* ctx,
                                               const v1::NotifyAlertmanagerRequest* request,
                                               v1::NotifyAlertmanagerResponse* response) override;

 private:
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const AlertIntake& intake_;
  AlertMetrics* metrics_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_ALERT_GRPC_SERVICE_H_
