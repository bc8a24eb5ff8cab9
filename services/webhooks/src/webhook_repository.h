// The webhook service's own database: subscriptions (the record as a serialised message, its
// secret in a table of its own so that no read of the record can carry it), the events received
// (the payload each delivery sends, and the de-duplication mark of the consumer), the deliveries
// with their schedule and lease, and every attempt. Every method works inside the caller's
// transaction.
#ifndef ITSM_SERVICES_WEBHOOKS_WEBHOOK_REPOSITORY_H_
#define ITSM_SERVICES_WEBHOOKS_WEBHOOK_REPOSITORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"
#include "itsm/webhooks/v1/webhooks.pb.h"

namespace itsm::webhooks {

struct SubscriptionPage {
  std::vector<v1::Subscription> subscriptions;
  std::string next_page_token;
};

// An active subscription as the consumer and the dispatcher need it.
struct ActiveSubscription {
  v1::Subscription subscription;
  std::string secret;
};

// An event as received, stored once however many deliveries send it.
struct StoredEvent {
  std::string id;  // ce_id
  std::string type;
  std::string source;
  std::string subject;
  absl::Time time;
  std::string body;  // the JSON POSTed, exactly (its bytes are signed)
};

// A delivery the dispatcher has leased for one attempt.
struct DueDelivery {
  std::string id;
  std::string subscription_id;
  int attempts = 0;  // made so far
  absl::Time retry_until;
  std::string body;
};

// The result of one attempt, and what it makes of the delivery.
struct AttemptResult {
  int number = 0;
  absl::Time start = {};
  absl::Duration latency = {};
  int response_code = 0;
  std::string error = {};
  bool succeeded = false;
  v1::DeliveryState state = v1::DELIVERY_STATE_PENDING;
  absl::Time next_attempt = {};  // PENDING only
};

struct DeliveryPage {
  std::vector<v1::Delivery> deliveries;
  std::string next_page_token;
};

struct ReplayScope {
  std::string subscription_id;
  std::string delivery_id;  // or a range:
  absl::Time from;
  absl::Time to;
  std::vector<v1::DeliveryState> states;  // empty: any
  int limit = 10000;
};

class WebhookRepository {
 public:
  static std::vector<storage::SchemaComponent> Schema();

  // records::UnitOfWork's store.
  static absl::StatusOr<v1::Subscription> Get(storage::Transaction& txn, const std::string& id);
  static absl::Status Insert(storage::Transaction& txn, v1::Subscription& s);
  static absl::Status Update(storage::Transaction& txn, const v1::Subscription& s,
                             int64_t expected_version);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry);

  static absl::Status SetSecret(storage::Transaction& txn, const std::string& subscription_id,
                                const std::string& secret);
  static absl::StatusOr<SubscriptionPage> List(storage::Transaction& txn,
                                               const v1::ListSubscriptionsRequest& request);
  static absl::StatusOr<std::vector<ActiveSubscription>> Active(storage::Transaction& txn);

  // Stores the event unless its ce_id is stored already: false then (a redelivery).
  static absl::StatusOr<bool> InsertEvent(storage::Transaction& txn, const StoredEvent& event,
                                          absl::Time now);
  static absl::Status InsertDelivery(storage::Transaction& txn, const std::string& id,
                                     const std::string& subscription_id, const StoredEvent& event,
                                     absl::Time now, absl::Time retry_until);

  // Leases up to `limit` deliveries of the subscription that are due at `now` until
  // `lease_until`, oldest due first. A lease is taken only from a row whose lease ran out, by a
  // conditional update, so replicas sharing a database never send one delivery at once.
  static absl::StatusOr<std::vector<DueDelivery>> Claim(storage::Transaction& txn,
                                                        const std::string& subscription_id,
                                                        absl::Time now, absl::Time lease_until,
                                                        int limit);
  // Dead-letters the subscription's deliveries whose retry period ended at `now` before their
  // next attempt could start (they waited for a slot, or their backoff ran past it); leased ones
  // (an attempt in flight, started in time) are left to their attempt's result. How many.
  // The pending deliveries of a subscription made active again: due at `now`, and retried until
  // at least `retry_until` (a pause does not use up their retry period). How many.
  static absl::StatusOr<int64_t> ResumePending(storage::Transaction& txn,
                                               const std::string& subscription_id, absl::Time now,
                                               absl::Time retry_until);
  static absl::StatusOr<int64_t> ExpireUnattempted(storage::Transaction& txn,
                                                   const std::string& subscription_id,
                                                   absl::Time now);
  // Stores the attempt, the delivery's new state and schedule, and ends its lease.
  static absl::Status RecordAttempt(storage::Transaction& txn, const std::string& delivery_id,
                                    const AttemptResult& result);
  // When the next pending delivery of any active subscription is due (InfiniteFuture: none).
  static absl::StatusOr<absl::Time> NextDue(storage::Transaction& txn);

  static absl::StatusOr<DeliveryPage> ListDeliveries(storage::Transaction& txn,
                                                     const v1::ListDeliveriesRequest& request,
                                                     const std::string& subscription_id);
  static absl::StatusOr<v1::Delivery> GetDelivery(storage::Transaction& txn,
                                                  const std::string& subscription_id,
                                                  const std::string& id);
  // Makes the deliveries in scope PENDING again, due now, with a new retry period and no lease.
  // Returns how many, and whether more were in scope than `limit`.
  static absl::StatusOr<std::pair<int, bool>> Replay(storage::Transaction& txn,
                                                     const ReplayScope& scope, absl::Time now,
                                                     absl::Time retry_until);

  // Deliveries per state (the metrics).
  static absl::StatusOr<std::vector<std::pair<v1::DeliveryState, int64_t>>> CountByState(
      storage::Transaction& txn);
  // Deletes finished deliveries (and their attempts) created before `before`, and the events no
  // delivery refers to any more. Returns how many deliveries.
  static absl::StatusOr<int64_t> Prune(storage::Transaction& txn, absl::Time before);
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_WEBHOOK_REPOSITORY_H_
