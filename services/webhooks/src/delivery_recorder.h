// The consumer of the suite's topics: for each event, one delivery per matching active
// subscription, written with the event (its payload, and the de-duplication mark: its ce_id is
// the key) in one transaction of the group committer. So an event is never lost — its offset is
// committed to the broker only after that transaction, and a crash before it hands the event
// again — and never recorded twice: a redelivery finds the event's row and adds nothing. Events
// no subscription wants leave nothing behind. One consumer group for every replica.
//
//   DeliveryRecorder recorder(committer, clock, {.retry_period = absl::Hours(24)});
//   auto consumer = NewDeliveryConsumer(recorder, {.bootstrap_servers = b, .group_id = g}, reg);
#ifndef ITSM_SERVICES_WEBHOOKS_DELIVERY_RECORDER_H_
#define ITSM_SERVICES_WEBHOOKS_DELIVERY_RECORDER_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "itsm/base/clock.h"
#include "itsm/events/event_consumer.h"
#include "itsm/storage/group_commit.h"
#include "prometheus/registry.h"
#include "services/webhooks/src/webhook_repository.h"

namespace itsm::webhooks {

// The topics delivered by default.
std::vector<std::string> DefaultTopics();

class DeliveryRecorder {
 public:
  struct Options {
    absl::Duration retry_period = absl::Hours(24);
  };
  DeliveryRecorder(storage::GroupCommitter& committer, const base::Clock& clock, Options options)
      : committer_(committer), clock_(clock), options_(options) {}

  // Called after a batch committed deliveries (the dispatcher's Wake).
  void SetOnRecorded(std::function<void()> on_recorded) { on_recorded_ = std::move(on_recorded); }

  // events::EventConsumer::BatchHandler: per event OK (recorded, a duplicate, or wanted by no
  // subscription) or INVALID_ARGUMENT (can never be sent: skipped): one that cannot be read, or
  // one whose write the database refuses (a constraint, a value it cannot store: after such a
  // failure the batch is recorded again with each event in a savepoint of its own, and only the
  // events refused alone are skipped, the others recorded in order). A transaction that fails
  // transiently (storage::IsTransient), or for no event's sake, gives every event its error:
  // nothing of the batch was written, all of it comes back.
  std::vector<absl::Status> RecordBatch(const std::vector<events::ConsumedEvent>& batch);

  // One event inside `txn`, against `subscriptions`: each that matches it and was created when
  // (or before) the event was `written` (events::ConsumedEvent::written; InfinitePast: not
  // known, every match). Returns how many deliveries it added.
  absl::StatusOr<int> Record(storage::Transaction& txn, const events::CloudEvent& event,
                             absl::Time written,
                             const std::vector<ActiveSubscription>& subscriptions);

 private:
  // RecordBatch's unit of the group committer. With `each_alone`, each event in a savepoint of
  // its own: one the database refuses is undone alone and answered INVALID_ARGUMENT; otherwise
  // the first failure fails the unit. `recorded` counts the deliveries added.
  absl::Status RecordInTransaction(storage::Transaction& txn,
                                   const std::vector<events::ConsumedEvent>& batch, bool each_alone,
                                   std::vector<absl::Status>& results, int& recorded);

  storage::GroupCommitter& committer_;
  const base::Clock& clock_;
  const Options options_;
  std::function<void()> on_recorded_;
};

std::unique_ptr<events::EventConsumer> NewDeliveryConsumer(DeliveryRecorder& recorder,
                                                           events::EventConsumer::Options options,
                                                           prometheus::Registry& registry);

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_DELIVERY_RECORDER_H_
