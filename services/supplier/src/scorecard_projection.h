// The scorecards' consumer of itsm.incident.v1, itsm.sla.v1 and itsm.change.v1 (its
// ChangeIncidentLinked: incidents possibly caused by a change, decision 109): each event's facts
// (scorecard_facts.h) are written with the event's de-duplication mark (its ce_id) in one
// transaction of the group committer, so an event is applied once: a redelivery finds its mark
// and changes nothing. The consumer belongs to a consumer group (option consumer_group): replicas
// share the partitions, offsets are committed to the broker after the batch committed here.
//
//   ScorecardProjection projection(committer, clock, {});
//   auto consumer = NewScorecardConsumer(projection, {.bootstrap_servers = b,
//                                                     .group_id = "itsm-supplier"}, registry);
//   consumer->Start();
#ifndef ITSM_SERVICES_SUPPLIER_SCORECARD_PROJECTION_H_
#define ITSM_SERVICES_SUPPLIER_SCORECARD_PROJECTION_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "itsm/base/clock.h"
#include "itsm/events/event_consumer.h"
#include "itsm/storage/group_commit.h"
#include "prometheus/registry.h"
#include "services/supplier/src/scorecard_rollups.h"

namespace itsm::supplier {

class ScorecardProjection {
 public:
  struct Options {
    // How long a de-duplication mark is kept. Applying an event again changes nothing even after
    // (scorecard_facts.h), so the marks only need to outlive ordinary redeliveries.
    absl::Duration mark_retention = absl::Hours(24 * 30);
  };
  ScorecardProjection(storage::GroupCommitter& committer, const base::Clock& clock, Options options)
      : committer_(committer), clock_(clock), options_(options) {}

  // events::EventConsumer::BatchHandler. Per event OK (applied, a duplicate, or a type the
  // scorecards do not use), or INVALID_ARGUMENT for one that can never be applied (skipped,
  // nothing of it stored): one that cannot be read, or one whose write the database refuses
  // (a constraint, a value it cannot store: after such a failure the batch is applied again
  // with each event in a savepoint of its own, and only the events refused alone are skipped).
  // When the transaction fails transiently (storage::IsTransient), or for no event's sake,
  // every event gets its error and comes back: nothing of the batch was written.
  std::vector<absl::Status> ApplyBatch(const std::vector<events::ConsumedEvent>& batch);

  // One event inside `txn` (the batch handler's step for one event; tests, the bench): its facts
  // and its mark are written, what it changes in the roll-ups is added to `deltas`, which the
  // caller flushes (RollupDeltas::Flush) before the transaction commits.
  absl::Status Apply(storage::Transaction& txn, const events::CloudEvent& event,
                     RollupDeltas& deltas);

 private:
  // ApplyBatch's unit of the group committer: the whole batch, each kind of row taken in one
  // order (the fast way, and the only one while the database refuses nothing).
  absl::Status ApplyTogether(storage::Transaction& txn,
                             const std::vector<events::ConsumedEvent>& batch, bool prune,
                             std::vector<absl::Status>& results);
  // ApplyBatch's unit once the database refused the whole: each event in a savepoint of its
  // own, the events it refuses undone alone and answered INVALID_ARGUMENT.
  absl::Status ApplyEachAlone(storage::Transaction& txn,
                              const std::vector<events::ConsumedEvent>& batch,
                              std::vector<absl::Status>& results);

  storage::GroupCommitter& committer_;
  const base::Clock& clock_;
  const Options options_;
  absl::Mutex mu_;
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// ScorecardRollups::RebuildIfPending in a transaction of `committer`.
absl::StatusOr<bool> RebuildRollupsIfPending(storage::GroupCommitter& committer);

// The consumer of the three topics with `projection` as its batch handler (topics default to
// itsm.incident.v1, itsm.sla.v1 and itsm.change.v1).
std::unique_ptr<events::EventConsumer> NewScorecardConsumer(ScorecardProjection& projection,
                                                            events::EventConsumer::Options options,
                                                            prometheus::Registry& registry);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SCORECARD_PROJECTION_H_
