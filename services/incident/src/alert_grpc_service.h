// The AlertIntakeService gRPC API (callback API): one thin handler over AlertIntake. The CMDB
// is asked on the executor before the write (servicedb::CommitCallAfter), then the notification
// is applied in the group committer's transaction.
#ifndef ITSM_SERVICES_INCIDENT_ALERT_GRPC_SERVICE_H_
#define ITSM_SERVICES_INCIDENT_ALERT_GRPC_SERVICE_H_

#include "itsm/incident/v1/alerts.grpc.pb.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/group_commit.h"
#include "services/incident/src/alert_intake.h"

namespace itsm::incident {

class AlertGrpcService final : public v1::AlertIntakeService::CallbackService {
 public:
  AlertGrpcService(storage::GroupCommitter& committer, runtime::Executor& executor,
                   const AlertIntake& intake)
      : committer_(committer), executor_(executor), intake_(intake) {}

  grpc::ServerUnaryReactor* NotifyAlertmanager(grpc::CallbackServerContext* ctx,
                                               const v1::NotifyAlertmanagerRequest* request,
                                               v1::NotifyAlertmanagerResponse* response) override;

 private:
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const AlertIntake& intake_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_ALERT_GRPC_SERVICE_H_
