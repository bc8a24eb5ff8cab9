#include "services/webhooks/src/delivery_log.h"

#include "absl/strings/match.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/record_ids.h"
#include "services/webhooks/src/webhook_repository.h"

namespace itsm::webhooks {

absl::Status DeliveryLog::List(storage::Transaction& txn, const v1::ListDeliveriesRequest& request,
                               v1::ListDeliveriesResponse& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.subscription_id(), "subscription_id"));
  // One exact type: a pattern (itsm.sla.v1.*) would match no stored type and answer "none".
  if (absl::StrContains(request.event_type(), '*')) {
    return base::FieldError("event_type",
                            "one event type, such as itsm.sla.v1.SlaBreached (patterns are for "
                            "subscriptions)");
  }
  ITSM_ASSIGN_OR_RETURN(v1::Subscription s, WebhookRepository::Get(txn, request.subscription_id()));
  ITSM_ASSIGN_OR_RETURN(DeliveryPage page, WebhookRepository::ListDeliveries(txn, request, s.id()));
  for (auto& d : page.deliveries) *out.add_deliveries() = std::move(d);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status DeliveryLog::Get(storage::Transaction& txn, const v1::GetDeliveryRequest& request,
                              v1::Delivery& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.subscription_id(), "subscription_id"));
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(
      out, WebhookRepository::GetDelivery(txn, request.subscription_id(), request.id()));
  return absl::OkStatus();
}

absl::Status DeliveryLog::Replay(storage::Transaction& txn,
                                 const v1::ReplayDeliveriesRequest& request,
                                 v1::ReplayDeliveriesResponse& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.subscription_id(), "subscription_id"));
  ReplayScope scope;
  scope.delivery_id = request.delivery_id();
  if (scope.delivery_id.empty()) {
    if (!request.has_from_time())
      return base::FieldError("from_time", "required without delivery_id");
    if (!request.has_to_time()) return base::FieldError("to_time", "required without delivery_id");
    ITSM_RETURN_IF_ERROR(base::CheckTimestamp("from_time", request.from_time()));
    ITSM_RETURN_IF_ERROR(base::CheckTimestamp("to_time", request.to_time()));
    scope.from = base::FromProtoTimestamp(request.from_time());
    scope.to = base::FromProtoTimestamp(request.to_time());
    if (scope.to <= scope.from) return base::FieldError("to_time", "must be after from_time");
  } else if (request.has_from_time() || request.has_to_time()) {
    return base::FieldError("delivery_id", "give a delivery or a time range, not both");
  }
  for (int s : request.states()) scope.states.push_back(static_cast<v1::DeliveryState>(s));
  ITSM_ASSIGN_OR_RETURN(v1::Subscription s, WebhookRepository::Get(txn, request.subscription_id()));
  scope.subscription_id = s.id();
  if (!scope.delivery_id.empty()) {
    // NOT_FOUND rather than "0 replayed" for a delivery of another subscription or none.
    ITSM_RETURN_IF_ERROR(WebhookRepository::GetDelivery(txn, s.id(), scope.delivery_id).status());
  }
  const absl::Time now = clock_.Now();
  ITSM_ASSIGN_OR_RETURN(auto replayed,
                        WebhookRepository::Replay(txn, scope, now, now + retry_period_));
  out.set_replayed_count(replayed.first);
  out.set_more(replayed.second);
  return absl::OkStatus();
}

}  // namespace itsm::webhooks
