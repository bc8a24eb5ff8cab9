// The outbox administration API (itsm.outbox.v1.OutboxAdminService, the shape every publishing
// service serves) over the timer's Redis outbox: GetOutboxStats counts the events waiting;
// RepublishEvents re-publishes the current state of the clocks whose last event is in the range
// (SlaTimer::Republish) — what the launcher and operators call after a broker lost its data
// (docs/operations.md). The timer keeps no dead letters: `dead_letters` is FAILED_PRECONDITION.
// Calls run on an executor of their own (they scan Redis), never on gRPC's callback threads.
#ifndef ITSM_SERVICES_SLA_TIMER_TIMER_ADMIN_SERVICE_H_
#define ITSM_SERVICES_SLA_TIMER_TIMER_ADMIN_SERVICE_H_

#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"
#include "itsm/runtime/executor.h"
#include "services/sla-timer/src/sla_timer.h"

namespace itsm::sla_timer {

class TimerAdminService final : public outbox::v1::OutboxAdminService::CallbackService {
 public:
  explicit TimerAdminService(SlaTimer& timer) : timer_(timer) {}
  grpc::ServerUnaryReactor* GetOutboxStats(grpc::CallbackServerContext* ctx,
                                           const outbox::v1::GetOutboxStatsRequest* request,
                                           outbox::v1::GetOutboxStatsResponse* response) override;
  grpc::ServerUnaryReactor* RepublishEvents(grpc::CallbackServerContext* ctx,
                                            const outbox::v1::RepublishEventsRequest* request,
                                            outbox::v1::RepublishEventsResponse* response) override;
  // After the gRPC server drained its calls.
  void Stop() { executor_.Stop(); }

 private:
  SlaTimer& timer_;
  // One at a time: each scans all of Redis.
  runtime::Executor executor_{"admin", 1, 16};
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_TIMER_ADMIN_SERVICE_H_
