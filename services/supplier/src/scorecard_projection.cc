#include "services/supplier/src/scorecard_projection.h"

#include "itsm/base/status_macros.h"
#include "services/supplier/src/scorecard_facts.h"
#include "services/supplier/src/scorecard_repository.h"

namespace itsm::supplier {
namespace {

// The facts an event carries, read before anything is written: an event that cannot be applied
// leaves no mark.
struct EventFacts {
  std::optional<IncidentFacts> incident;
  std::optional<UcClockFacts> clock;
};

absl::StatusOr<EventFacts> FactsOf(const events::CloudEvent& event) {
  EventFacts facts;
  ITSM_ASSIGN_OR_RETURN(facts.incident, IncidentFactsOf(event));
  if (!facts.incident) {
    ITSM_ASSIGN_OR_RETURN(facts.clock, UcClockFactsOf(event));
  }
  return facts;
}

}  // namespace

absl::Status ScorecardProjection::Apply(storage::Transaction& txn, const events::CloudEvent& event,
                                        RollupDeltas& deltas) {
  ITSM_ASSIGN_OR_RETURN(EventFacts facts, FactsOf(event));
  // Events the scorecards do not use get no mark: there is nothing to apply twice.
  if (!facts.incident && !facts.clock) return absl::OkStatus();
  if (event.id.empty()) return absl::InvalidArgumentError("ce_id: required");
  ITSM_ASSIGN_OR_RETURN(bool first, ScorecardRepository::MarkApplied(
                                        txn, event.id, absl::ToUnixMicros(clock_.Now())));
  if (!first) return absl::OkStatus();
  if (facts.incident) return ScorecardRepository::ApplyIncident(txn, *facts.incident, deltas);
  return ScorecardRepository::ApplyUcClock(txn, *facts.clock, deltas);
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
  absl::Status committed = committer_.Run([&](storage::Transaction& txn) -> absl::Status {
    // The batch's roll-up changes are written once at its end: a month's row is rewritten once
    // per batch, not once per event.
    RollupDeltas deltas;
    for (size_t i = 0; i < batch.size(); ++i) {
      absl::Status s = Apply(txn, batch[i].event, deltas);
      // Rejected before anything of it was written (FactsOf, the ce_id): skip it alone.
      if (absl::IsInvalidArgument(s)) {
        results[i] = s;
        continue;
      }
      ITSM_RETURN_IF_ERROR(s);
      results[i] = absl::OkStatus();
    }
    ITSM_RETURN_IF_ERROR(deltas.Flush(txn));
    if (prune) {
      const int64_t before = absl::ToUnixMicros(clock_.Now() - options_.mark_retention);
      ITSM_RETURN_IF_ERROR(ScorecardRepository::PruneMarks(txn, before).status());
    }
    return absl::OkStatus();
  });
  if (!committed.ok()) {
    // Nothing was written: every event comes back, even one rejected inside the failed unit
    // (it is rejected again then).
    for (auto& r : results) r = committed;
  }
  return results;
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
  if (options.topics.empty()) options.topics = {kIncidentTopic, kSlaTopic};
  return std::make_unique<events::EventConsumer>(
      std::move(options),
      [&projection](const std::vector<events::ConsumedEvent>& batch) {
        return projection.ApplyBatch(batch);
      },
      registry);
}

}  // namespace itsm::supplier
