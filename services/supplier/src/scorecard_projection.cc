#include "services/supplier/src/scorecard_projection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/errors.h"
#include "itsm/storage/savepoint.h"
#include "services/supplier/src/scorecard_facts.h"
#include "services/supplier/src/scorecard_repository.h"

namespace itsm::supplier {
namespace {

// The facts an event carries, read before anything is written: an event that cannot be applied
// leaves no mark.
struct EventFacts {
  std::optional<IncidentFacts> incident;
  std::optional<UcClockFacts> clock;

  bool empty() const { return !incident && !clock; }
  // The row the facts change, locked when they are applied: batches take them in this order.
  std::pair<int, std::string> Record() const {
    return incident ? std::pair(0, incident->incident_id) : std::pair(1, clock->clock_id);
  }
};

absl::StatusOr<EventFacts> FactsOf(const events::CloudEvent& event) {
  EventFacts facts;
  ITSM_ASSIGN_OR_RETURN(facts.incident, IncidentFactsOf(event));
  if (!facts.incident) {
    ITSM_ASSIGN_OR_RETURN(facts.incident, CausedIncidentFactsOf(event));
  }
  if (!facts.incident) {
    ITSM_ASSIGN_OR_RETURN(facts.clock, UcClockFactsOf(event));
  }
  if (!facts.empty() && event.id.empty()) return absl::InvalidArgumentError("ce_id: required");
  return facts;
}

absl::Status ApplyFacts(storage::Transaction& txn, const EventFacts& facts, RollupDeltas& deltas) {
  if (facts.incident) return ScorecardRepository::ApplyIncident(txn, *facts.incident, deltas);
  return ScorecardRepository::ApplyUcClock(txn, *facts.clock, deltas);
}

// One event's mark and, the first time, its facts.
absl::Status MarkAndApply(storage::Transaction& txn, const std::string& ce_id,
                          const EventFacts& facts, int64_t now_us, RollupDeltas& deltas) {
  ITSM_ASSIGN_OR_RETURN(bool first, ScorecardRepository::MarkApplied(txn, ce_id, now_us));
  if (!first) return absl::OkStatus();
  return ApplyFacts(txn, facts, deltas);
}

// The facts of the batch's events, in `facts` (empty for the events of no use); `results` gets
// INVALID_ARGUMENT for the events that cannot be read (nothing of them is written), OK for the
// others. The indexes of the events to apply, in batch order.
absl::StatusOr<std::vector<size_t>> ReadFacts(const std::vector<events::ConsumedEvent>& batch,
                                              std::vector<EventFacts>& facts,
                                              std::vector<absl::Status>& results) {
  facts.assign(batch.size(), EventFacts());
  std::vector<size_t> used;
  for (size_t i = 0; i < batch.size(); ++i) {
    absl::StatusOr<EventFacts> f = FactsOf(batch[i].event);
    // Rejected before anything of it is written (it does not parse, no ce_id): skip it alone.
    if (absl::IsInvalidArgument(f.status())) {
      results[i] = f.status();
      continue;
    }
    ITSM_RETURN_IF_ERROR(f.status());
    results[i] = absl::OkStatus();
    // Events the scorecards do not use get no mark: there is nothing to apply twice.
    if (f->empty()) continue;
    facts[i] = *std::move(f);
    used.push_back(i);
  }
  return used;
}

}  // namespace

absl::Status ScorecardProjection::Apply(storage::Transaction& txn, const events::CloudEvent& event,
                                        RollupDeltas& deltas) {
  ITSM_ASSIGN_OR_RETURN(EventFacts facts, FactsOf(event));
  // Events the scorecards do not use get no mark: there is nothing to apply twice.
  if (facts.empty()) return absl::OkStatus();
  return MarkAndApply(txn, event.id, facts, absl::ToUnixMicros(clock_.Now()), deltas);
}

std::vector<absl::Status> ScorecardProjection::ApplyBatch(
    const std::vector<events::ConsumedEvent>& batch) {
  std::vector<absl::Status> results(batch.size());
  bool prune = false;
  {
    absl::MutexLock lock(&mu_);
    if (clock_.Now() - last_prune_ > absl::Hours(1)) {
      prune = true;
      last_prune_ = clock_.Now();
    }
  }
  absl::Status committed = committer_.Run(
      [&](storage::Transaction& txn) { return ApplyTogether(txn, batch, prune, results); });
  if (!committed.ok() && !storage::IsTransient(committed)) {
    // The database refused something, which it will refuse again: retried as it is, the batch
    // would hold its partitions for ever. Applied again with each event alone, only the events
    // it refuses on their own are skipped. No pruning there: a prune the database refuses
    // must not fail every batch (the next one due in an hour tries again).
    committed = committer_.Run(
        [&](storage::Transaction& txn) { return ApplyEachAlone(txn, batch, results); });
  }
  if (!committed.ok()) {
    // Nothing was written: every event comes back, even one rejected inside the failed unit
    // (it is rejected again then).
    for (auto& r : results) r = committed;
  }
  return results;
}

absl::Status ScorecardProjection::ApplyTogether(storage::Transaction& txn,
                                                const std::vector<events::ConsumedEvent>& batch,
                                                bool prune, std::vector<absl::Status>& results) {
  // Every row a batch writes is taken in one order, the same for every replica: the marks by
  // ce_id, then the incidents and clocks by id, then the roll-up rows by key (RollupDeltas).
  // An incident's events (incident topic, keyed by the incident) and its links (change topic,
  // keyed by the change) may be in two replicas' batches at once; in event order, one replica
  // could hold an incident another waits for while waiting for one the other holds (a deadlock,
  // which PostgreSQL breaks by failing a batch). The facts merge the same in any order
  // (scorecard_facts.h), so the order of application is free to choose (decision 112).
  std::vector<EventFacts> facts;
  ITSM_ASSIGN_OR_RETURN(std::vector<size_t> used, ReadFacts(batch, facts, results));
  std::sort(used.begin(), used.end(),
            [&](size_t a, size_t b) { return batch[a].event.id < batch[b].event.id; });
  std::vector<size_t> first;
  const int64_t now_us = absl::ToUnixMicros(clock_.Now());
  for (size_t i : used) {
    ITSM_ASSIGN_OR_RETURN(bool applied,
                          ScorecardRepository::MarkApplied(txn, batch[i].event.id, now_us));
    if (applied) first.push_back(i);
  }
  std::stable_sort(first.begin(), first.end(),
                   [&](size_t a, size_t b) { return facts[a].Record() < facts[b].Record(); });
  // The batch's roll-up changes are written once at its end: a month's row is rewritten once
  // per batch, not once per event.
  RollupDeltas deltas;
  for (size_t i : first) ITSM_RETURN_IF_ERROR(ApplyFacts(txn, facts[i], deltas));
  ITSM_RETURN_IF_ERROR(deltas.Flush(txn));
  if (prune) {
    const int64_t before = absl::ToUnixMicros(clock_.Now() - options_.mark_retention);
    ITSM_RETURN_IF_ERROR(ScorecardRepository::PruneMarks(txn, before).status());
  }
  return absl::OkStatus();
}

absl::Status ScorecardProjection::ApplyEachAlone(storage::Transaction& txn,
                                                 const std::vector<events::ConsumedEvent>& batch,
                                                 std::vector<absl::Status>& results) {
  std::vector<EventFacts> facts;
  ITSM_ASSIGN_OR_RETURN(std::vector<size_t> used, ReadFacts(batch, facts, results));
  // By record, as ApplyTogether takes the incidents and clocks, each record's events in batch
  // order. Each event's mark, facts and roll-up rows are written in its own savepoint, so the
  // roll-up rows are no longer taken in one order: a deadlock with another replica is possible
  // here, and retried like any (this runs only after the database refused something).
  std::stable_sort(used.begin(), used.end(),
                   [&](size_t a, size_t b) { return facts[a].Record() < facts[b].Record(); });
  const int64_t now_us = absl::ToUnixMicros(clock_.Now());
  for (size_t i : used) {
    const events::CloudEvent& event = batch[i].event;
    absl::Status refused;
    ITSM_RETURN_IF_ERROR(storage::RunRefusable(
        txn, "scorecard_event",
        [&]() -> absl::Status {
          RollupDeltas deltas;
          ITSM_RETURN_IF_ERROR(MarkAndApply(txn, event.id, facts[i], now_us, deltas));
          return deltas.Flush(txn);
        },
        &refused));
    results[i] = refused.ok() ? absl::OkStatus() : events::RefusedEvent(event, refused);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RebuildRollupsIfPending(storage::GroupCommitter& committer) {
  bool rebuilt = false;
  ITSM_RETURN_IF_ERROR(committer.Run([&rebuilt](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(rebuilt, ScorecardRollups::RebuildIfPending(txn));
    return absl::OkStatus();
  }));
  return rebuilt;
}

std::unique_ptr<events::EventConsumer> NewScorecardConsumer(ScorecardProjection& projection,
                                                            events::EventConsumer::Options options,
                                                            prometheus::Registry& registry) {
  if (options.topics.empty()) options.topics = {kIncidentTopic, kSlaTopic, kChangeTopic};
  return std::make_unique<events::EventConsumer>(
      std::move(options),
      [&projection](const std::vector<events::ConsumedEvent>& batch) {
        return projection.ApplyBatch(batch);
      },
      registry);
}

}  // namespace itsm::supplier
