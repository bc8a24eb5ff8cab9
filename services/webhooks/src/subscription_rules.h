// The rules of a subscription record, without I/O: what a create or an update must carry, the
// record a create makes, an update's and a rotation's change (records::Change: audit entry, no
// events — subscriptions publish none). The secret is not part of the record: it is generated
// and stored beside it (WebhookRepository), so that no audit entry, event or read ever holds it.
#ifndef ITSM_SERVICES_WEBHOOKS_SUBSCRIPTION_RULES_H_
#define ITSM_SERVICES_WEBHOOKS_SUBSCRIPTION_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "itsm/base/clock.h"
#include "itsm/records/record_change.h"
#include "itsm/webhooks/v1/webhooks.pb.h"
#include "services/webhooks/src/outbound_policy.h"

namespace itsm::webhooks {

using SubscriptionChange = records::Change<v1::Subscription>;

class SubscriptionRules {
 public:
  // `topics`: those the service delivers; an event type no topic has is refused.
  SubscriptionRules(const OutboundPolicy& policy, const base::Clock& clock,
                    std::vector<std::string> topics)
      : policy_(policy), clock_(clock), topics_(std::move(topics)) {}

  absl::Status ValidateCreate(const v1::CreateSubscriptionRequest& request) const;
  absl::Status ValidateUpdate(const v1::UpdateSubscriptionRequest& request) const;

  // A new record (fresh id, version 1) from a validated request.
  v1::Subscription NewSubscription(const v1::CreateSubscriptionRequest& request,
                                   const std::string& actor) const;
  SubscriptionChange Created(const v1::Subscription& s) const;
  absl::StatusOr<SubscriptionChange> Update(const v1::Subscription& stored,
                                            const v1::UpdateSubscriptionRequest& request) const;
  // A rotation changes secret_time (and so the version and the audit trail).
  absl::StatusOr<SubscriptionChange> Rotate(const v1::Subscription& stored,
                                            const v1::RotateSecretRequest& request) const;
  // Replayed deliveries are not part of the subscription, yet who replayed which belongs in its
  // audit trail: the change names them (fields "replayed_deliveries", the request's scope as
  // JSON, and "replayed_count") and takes the next version.
  SubscriptionChange Replayed(const v1::Subscription& stored,
                              const v1::ReplayDeliveriesRequest& request,
                              const v1::ReplayDeliveriesResponse& replayed) const;

 private:
  // The fields a create and an update share, named "subscription.<field>": all of them, or
  // those `mask` names (an update).
  absl::Status CheckFields(const v1::Subscription& s,
                           const google::protobuf::FieldMask* mask = nullptr) const;

  const OutboundPolicy& policy_;
  const base::Clock& clock_;
  const std::vector<std::string> topics_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_SUBSCRIPTION_RULES_H_
