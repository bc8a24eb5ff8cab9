#include "services/webhooks/src/delivery_recorder.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/storage/errors.h"
#include "itsm/storage/savepoint.h"
#include "services/webhooks/src/event_filter.h"
#include "services/webhooks/src/webhook_payload.h"

namespace itsm::webhooks {
std::vector<std::string> DefaultTopics() {
  return {"itsm.incident.v1", "itsm.change.v1", "itsm.config.v1", "itsm.sla.v1",
          "itsm.supplier.v1"};
}

absl::StatusOr<int> DeliveryRecorder::Record(storage::Transaction& txn,
                                             const events::CloudEvent& event, absl::Time written,
                                             const std::vector<ActiveSubscription>& subscriptions) {
  if (subscriptions.empty()) return 0;  // nothing to parse the event for
  ITSM_ASSIGN_OR_RETURN(Payload payload, PayloadOf(event));
  std::vector<const ActiveSubscription*> matching;
  for (const auto& s : subscriptions) {
    // A subscription gets the events written after it was made: an older one published again
    // (a new broker filled from the services' outboxes, RepublishEvents) is not news to it.
    // Compared in whole milliseconds, the precision of the message's timestamp.
    if (written != absl::InfinitePast() &&
        absl::ToUnixMillis(written) <
            absl::ToUnixMillis(base::FromProtoTimestamp(s.subscription.create_time()))) {
      continue;
    }
    const EventFilter filter(
        {s.subscription.event_types().begin(), s.subscription.event_types().end()},
        s.subscription.record_filter());
    if (filter.Matches(payload.facts)) matching.push_back(&s);
  }
  if (matching.empty()) return 0;
  const absl::Time now = clock_.Now();
  ITSM_ASSIGN_OR_RETURN(bool first, WebhookRepository::InsertEvent(txn, payload.event, now));
  if (!first) return 0;  // recorded when it came the first time
  for (const ActiveSubscription* s : matching) {
    // The webhook-id receivers de-duplicate by: derived from the subscription and the event, so
    // that the same event to the same subscription has the same id also when it is recorded
    // again (a database restored from a backup taken before it was delivered).
    ITSM_RETURN_IF_ERROR(WebhookRepository::InsertDelivery(
        txn, base::DerivedUuid(absl::StrCat(s->subscription.id(), "/", payload.event.id)),
        s->subscription.id(), payload.event, now, now + options_.retry_period));
  }
  return static_cast<int>(matching.size());
}

std::vector<absl::Status> DeliveryRecorder::RecordBatch(
    const std::vector<events::ConsumedEvent>& batch) {
  std::vector<absl::Status> results(batch.size());
  int recorded = 0;
  absl::Status committed = committer_.Run([&](storage::Transaction& txn) {
    return RecordInTransaction(txn, batch, /*each_alone=*/false, results, recorded);
  });
  if (!committed.ok() && !storage::IsTransient(committed)) {
    // The database refused something, which it will refuse again: retried as it is, the batch
    // would hold its partitions for ever. Recorded again with each event alone, only the
    // events it refuses on their own are skipped, the others recorded in order.
    committed = committer_.Run([&](storage::Transaction& txn) {
      return RecordInTransaction(txn, batch, /*each_alone=*/true, results, recorded);
    });
  }
  if (!committed.ok()) {
    for (auto& r : results) r = committed;
    return results;
  }
  if (recorded > 0 && on_recorded_) on_recorded_();
  return results;
}

absl::Status DeliveryRecorder::RecordInTransaction(storage::Transaction& txn,
                                                   const std::vector<events::ConsumedEvent>& batch,
                                                   bool each_alone,
                                                   std::vector<absl::Status>& results,
                                                   int& recorded) {
  recorded = 0;
  // Read in the transaction: a subscription created before this batch commits is either seen
  // here or created after, never half.
  ITSM_ASSIGN_OR_RETURN(std::vector<ActiveSubscription> subscriptions,
                        WebhookRepository::Active(txn));
  for (size_t i = 0; i < batch.size(); ++i) {
    const events::CloudEvent& event = batch[i].event;
    const absl::Time written = batch[i].written;
    absl::StatusOr<int> added = 0;
    absl::Status refused;
    if (each_alone) {
      ITSM_RETURN_IF_ERROR(storage::RunRefusable(
          txn, "webhook_event",
          [&] {
            added = Record(txn, event, written, subscriptions);
            return added.status();
          },
          &refused));
    } else {
      added = Record(txn, event, written, subscriptions);
    }
    // Rejected before anything of it was written (PayloadOf): skip it alone.
    if (absl::IsInvalidArgument(added.status())) {
      results[i] = added.status();
      continue;
    }
    // Refused by the database on its own (each_alone only): undone alone, skipped.
    if (!refused.ok()) {
      results[i] = events::RefusedEvent(event, refused);
      continue;
    }
    ITSM_RETURN_IF_ERROR(added.status());
    recorded += *added;
    results[i] = absl::OkStatus();
  }
  return absl::OkStatus();
}

std::unique_ptr<events::EventConsumer> NewDeliveryConsumer(DeliveryRecorder& recorder,
                                                           events::EventConsumer::Options options,
                                                           prometheus::Registry& registry) {
  if (options.topics.empty()) options.topics = DefaultTopics();
  return std::make_unique<events::EventConsumer>(
      std::move(options),
      [&recorder](const std::vector<events::ConsumedEvent>& batch) {
        return recorder.RecordBatch(batch);
      },
      registry);
}

}  // namespace itsm::webhooks
