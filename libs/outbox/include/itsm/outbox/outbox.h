// The transactional outbox: a record change and the event announcing it are written in the same
// local transaction, so either both exist or neither does. OutboxRelay publishes the rows later.
//
//   committer.Submit([&](storage::Transaction& txn) -> absl::Status {
//     ITSM_RETURN_IF_ERROR(repo.Insert(txn, incident));
//     return Outbox::Append(txn, {"itsm.incident.v1", incident.id(), event});
//   }, done);
#ifndef ITSM_OUTBOX_OUTBOX_H_
#define ITSM_OUTBOX_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/events/cloud_event.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::outbox {

struct OutgoingEvent {
  std::string topic;
  std::string key;  // the aggregate id: one record's events stay in one partition, in order
  events::CloudEvent event;
};

struct OutboxStats {
  int64_t pending = 0;
  int64_t published = 0;
  int64_t dead_letters = 0;
  std::optional<absl::Time> oldest_pending;
};

class Outbox {
 public:
  // The largest event payload Append accepts. Field limits keep every accepted record well below
  // it (tests/event_size_test); this is the last guard, so that no committed event is one the
  // broker refuses. The producer's message.max.bytes must leave room for it and the envelope
  // (checked at start, see OutboxComponent).
  static constexpr size_t kMaxEventBytes = 900'000;
  static constexpr size_t kEnvelopeAllowance = 64 * 1024;

  // The outbox table; apply under the component name "outbox".
  static const std::vector<storage::Migration>& Migrations();

  // Writes the event inside the caller's transaction. INVALID_ARGUMENT (and nothing written) for
  // a payload above kMaxEventBytes. Taken by value: a temporary's payload moves into the row.
  static absl::Status Append(storage::Transaction& txn, OutgoingEvent event);

  // Marks events created in [start, end) (of `topic`, or all when empty) for publishing again.
  // Returns how many. Events older than the retention are gone and cannot be re-published.
  static absl::StatusOr<int64_t> Republish(storage::Database& db, absl::Time start, absl::Time end,
                                           const std::string& topic);

  // Moves rows the broker refused for good to outbox_dead_letters, each with its error, so that
  // they never block the rows behind them. Inside the caller's transaction.
  struct DeadLetter {
    int64_t id;
    std::string error;
  };
  static absl::Status MoveToDeadLetters(storage::Transaction& txn,
                                        const std::vector<DeadLetter>& rows, absl::Time now);
  // Moves dead letters created in [start, end) (of `topic`, or all when empty) back into the
  // outbox, behind what is pending. Returns how many.
  static absl::StatusOr<int64_t> RequeueDeadLetters(storage::Database& db, absl::Time start,
                                                    absl::Time end, const std::string& topic);

  static absl::StatusOr<OutboxStats> Stats(storage::Database& db);

  // Deletes published events older than `before` among the `limit` oldest rows. Returns how
  // many. Only the oldest rows are looked at: events are published in order, so they are the
  // first to pass the retention, and a call with nothing to delete reads `limit` rows instead of
  // every row of the table (decision 219).
  static absl::StatusOr<int64_t> DeletePublishedBefore(storage::Transaction& txn, absl::Time before,
                                                       int limit);
};

}  // namespace itsm::outbox

#endif  // ITSM_OUTBOX_OUTBOX_H_
