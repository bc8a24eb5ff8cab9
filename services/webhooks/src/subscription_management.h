// The service's operations on subscriptions, apart from gRPC: writes inside the group
// committer's transaction through the record toolkit's unit of work (version check, audit entry,
// idempotency key), reads in a read-only transaction. Secrets are generated here, stored beside
// the record and returned only by Create and RotateSecret.
#ifndef ITSM_SERVICES_WEBHOOKS_SUBSCRIPTION_MANAGEMENT_H_
#define ITSM_SERVICES_WEBHOOKS_SUBSCRIPTION_MANAGEMENT_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"
#include "itsm/webhooks/v1/webhooks.pb.h"
#include "services/webhooks/src/subscription_rules.h"

namespace itsm::webhooks {

class SubscriptionManagement {
 public:
  // `retry_period`: how long a delivery is retried, counted again from when a paused
  // subscription is active again (its pause uses none of it).
  SubscriptionManagement(const SubscriptionRules& rules, const base::Clock& clock,
                         absl::Duration retry_period)
      : rules_(rules), clock_(clock), retry_period_(retry_period) {}

  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateSubscriptionRequest& request,
                      v1::CreateSubscriptionResponse& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateSubscriptionRequest& request, v1::Subscription& out) const;
  absl::Status RotateSecret(storage::Transaction& txn, const base::Caller& caller,
                            const v1::RotateSecretRequest& request,
                            v1::RotateSecretResponse& out) const;
  // After DeliveryLog::Replay in the same transaction: the replay's entry in the subscription's
  // audit trail (SubscriptionRules::Replayed), when it replayed anything.
  absl::Status RecordReplay(storage::Transaction& txn, const base::Caller& caller,
                            const v1::ReplayDeliveriesRequest& request,
                            const v1::ReplayDeliveriesResponse& replayed) const;

  absl::Status Get(storage::Transaction& txn, const v1::GetSubscriptionRequest& request,
                   v1::Subscription& out) const;
  absl::Status List(storage::Transaction& txn, const v1::ListSubscriptionsRequest& request,
                    v1::ListSubscriptionsResponse& out) const;
  absl::Status History(storage::Transaction& txn, const v1::GetHistoryRequest& request,
                       v1::GetHistoryResponse& out) const;

 private:
  const SubscriptionRules& rules_;
  const base::Clock& clock_;
  const absl::Duration retry_period_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_SUBSCRIPTION_MANAGEMENT_H_
