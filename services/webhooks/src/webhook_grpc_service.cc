#include "services/webhooks/src/webhook_grpc_service.h"

#include "itsm/base/status_macros.h"
#include "itsm/servicedb/calls.h"

namespace itsm::webhooks {

using servicedb::BoundedReadCall;
using servicedb::CommitCall;
using servicedb::ReadRecordCall;
using storage::Transaction;

grpc::ServerUnaryReactor* WebhookGrpcService::CreateSubscription(
    grpc::CallbackServerContext* ctx, const v1::CreateSubscriptionRequest* request,
    v1::CreateSubscriptionResponse* response) {
  return CommitCall(committer_, ctx, *request, [=, this](Transaction& txn, const base::Caller& c) {
    return subscriptions_.Create(txn, c, *request, *response);
  });
}

grpc::ServerUnaryReactor* WebhookGrpcService::GetSubscription(
    grpc::CallbackServerContext* ctx, const v1::GetSubscriptionRequest* request,
    v1::GetSubscriptionResponse* response) {
  return ReadRecordCall(executor_, db_, ctx, *request, [=, this](Transaction& txn) {
    return subscriptions_.Get(txn, *request, *response->mutable_subscription());
  });
}

grpc::ServerUnaryReactor* WebhookGrpcService::ListSubscriptions(
    grpc::CallbackServerContext* ctx, const v1::ListSubscriptionsRequest* request,
    v1::ListSubscriptionsResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response, [=, this](Transaction& txn) {
    return subscriptions_.List(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* WebhookGrpcService::UpdateSubscription(
    grpc::CallbackServerContext* ctx, const v1::UpdateSubscriptionRequest* request,
    v1::UpdateSubscriptionResponse* response) {
  // Reactivating a subscription may make waiting deliveries due.
  return CommitCall(
      committer_, ctx, *request,
      [=, this](Transaction& txn, const base::Caller& c) {
        return subscriptions_.Update(txn, c, *request, *response->mutable_subscription());
      },
      wake_dispatcher_);
}

grpc::ServerUnaryReactor* WebhookGrpcService::RotateSecret(grpc::CallbackServerContext* ctx,
                                                           const v1::RotateSecretRequest* request,
                                                           v1::RotateSecretResponse* response) {
  return CommitCall(committer_, ctx, *request, [=, this](Transaction& txn, const base::Caller& c) {
    return subscriptions_.RotateSecret(txn, c, *request, *response);
  });
}

grpc::ServerUnaryReactor* WebhookGrpcService::GetHistory(grpc::CallbackServerContext* ctx,
                                                         const v1::GetHistoryRequest* request,
                                                         v1::GetHistoryResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response, [=, this](Transaction& txn) {
    return subscriptions_.History(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* WebhookGrpcService::ListDeliveries(
    grpc::CallbackServerContext* ctx, const v1::ListDeliveriesRequest* request,
    v1::ListDeliveriesResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response, [=, this](Transaction& txn) {
    return deliveries_.List(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* WebhookGrpcService::GetDelivery(grpc::CallbackServerContext* ctx,
                                                          const v1::GetDeliveryRequest* request,
                                                          v1::GetDeliveryResponse* response) {
  return ReadRecordCall(executor_, db_, ctx, *request, [=, this](Transaction& txn) {
    return deliveries_.Get(txn, *request, *response->mutable_delivery());
  });
}

grpc::ServerUnaryReactor* WebhookGrpcService::ReplayDeliveries(
    grpc::CallbackServerContext* ctx, const v1::ReplayDeliveriesRequest* request,
    v1::ReplayDeliveriesResponse* response) {
  return CommitCall(
      committer_, ctx, *request,
      [=, this](Transaction& txn, const base::Caller& c) -> absl::Status {
        ITSM_RETURN_IF_ERROR(deliveries_.Replay(txn, *request, *response));
        return subscriptions_.RecordReplay(txn, c, *request, *response);
      },
      wake_dispatcher_);
}

}  // namespace itsm::webhooks
