// The WebhookService gRPC API (callback API): thin handlers over SubscriptionManagement and
// DeliveryLog. servicedb::CommitCall for a write, servicedb::ReadCall for a read; no callback
// thread waits for the database. A replay wakes the dispatcher once it committed.
#ifndef ITSM_SERVICES_WEBHOOKS_WEBHOOK_GRPC_SERVICE_H_
#define ITSM_SERVICES_WEBHOOKS_WEBHOOK_GRPC_SERVICE_H_

#include <functional>

#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "itsm/webhooks/v1/webhooks.grpc.pb.h"
#include "services/webhooks/src/delivery_log.h"
#include "services/webhooks/src/subscription_management.h"

namespace itsm::webhooks {

class WebhookGrpcService final : public v1::WebhookService::CallbackService {
 public:
  WebhookGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                     runtime::Executor& executor, const SubscriptionManagement& subscriptions,
                     const DeliveryLog& deliveries, std::function<void()> wake_dispatcher)
      : db_(db),
        committer_(committer),
        executor_(executor),
        subscriptions_(subscriptions),
        deliveries_(deliveries),
        wake_dispatcher_(std::move(wake_dispatcher)) {}

#define ITSM_WEBHOOKS_RPC(Name)                                                                  \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx,                               \
                                 const v1::Name##Request* request, v1::Name##Response* response) \
      override;
  ITSM_WEBHOOKS_RPC(CreateSubscription)
  ITSM_WEBHOOKS_RPC(GetSubscription)
  ITSM_WEBHOOKS_RPC(ListSubscriptions)
  ITSM_WEBHOOKS_RPC(UpdateSubscription)
  ITSM_WEBHOOKS_RPC(RotateSecret)
  ITSM_WEBHOOKS_RPC(GetHistory)
  ITSM_WEBHOOKS_RPC(ListDeliveries)
  ITSM_WEBHOOKS_RPC(GetDelivery)
  ITSM_WEBHOOKS_RPC(ReplayDeliveries)
#undef ITSM_WEBHOOKS_RPC

 private:
  storage::Database& db_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const SubscriptionManagement& subscriptions_;
  const DeliveryLog& deliveries_;
  std::function<void()> wake_dispatcher_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_WEBHOOK_GRPC_SERVICE_H_
