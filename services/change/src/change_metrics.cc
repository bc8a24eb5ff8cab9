#include "services/change/src/change_metrics.h"

#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "services/change/src/change_state_machine.h"

namespace itsm::change {

ChangeMetrics::ChangeMetrics(prometheus::Registry& registry) {
  auto& conflicts = prometheus::BuildCounter()
                        .Name("itsm_change_conflicts_found_total")
                        .Help("Conflicts found by the checks of change schedules, by kind.")
                        .Register(registry);
  for (int k = v1::CONFLICT_KIND_SAME_CI; k <= v1::ConflictKind_MAX; ++k) {
    std::string name = v1::ConflictKind_Name(k).substr(sizeof("CONFLICT_KIND_") - 1);
    conflicts_[k] = &conflicts.Add({{"kind", name}});
  }
  // From minutes (a change manager at the desk) to weeks (a CAB that meets monthly).
  approval_latency_ = &prometheus::BuildHistogram()
                           .Name("itsm_change_approval_latency_seconds")
                           .Help("Time from a change entering AUTHORISE to its final decision.")
                           .Register(registry)
                           .Add({}, prometheus::Histogram::BucketBoundaries{
                                        60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600,
                                        7 * 24 * 3600, 30 * 24 * 3600});
  links_ = &prometheus::BuildCounter()
                .Name("itsm_change_caused_incident_links_total")
                .Help("Incidents linked as possibly caused by a change.")
                .Register(registry)
                .Add({});
  rechecks_ = &prometheus::BuildCounter()
                   .Name("itsm_change_conflict_rechecks_changed_total")
                   .Help(
                       "Changes whose conflicts a re-check after a CMDB, window or major "
                       "incident event changed.")
                   .Register(registry)
                   .Add({});
}

void ChangeMetrics::ConflictsFound(const v1::Change& change) {
  for (const v1::Conflict& c : change.conflicts()) {
    if (auto it = conflicts_.find(c.kind()); it != conflicts_.end()) it->second->Increment();
  }
}

void ChangeMetrics::ApprovalDecided(const v1::Change& change) {
  const v1::Approval& a = change.approval();
  if (a.outcome() != v1::APPROVAL_OUTCOME_APPROVED &&
      a.outcome() != v1::APPROVAL_OUTCOME_REJECTED) {
    return;
  }
  approval_latency_->Observe(absl::ToDoubleSeconds(base::FromProtoTimestamp(a.decide_time()) -
                                                   base::FromProtoTimestamp(a.request_time())));
}

std::vector<servicedb::StoreGauge> ChangeStoreGauges() {
  std::vector<std::vector<std::string>> states;
  for (int s = v1::CHANGE_STATE_NEW; s <= v1::ChangeState_MAX; ++s) {
    states.push_back({ChangeStateName(s)});
  }
  return {{.name = "itsm_change_changes",
           .help = "Changes in each state, as counted in the database.",
           // A COUNT over the changes table by its state index.
           .sql = "SELECT state, COUNT(*) FROM changes GROUP BY state",
           .labels = {"state"},
           .always = std::move(states),
           .label_value = [](size_t, const storage::Value& v) {
             return ChangeStateName(static_cast<int>(servicedb::AsInt(v)));
           }}};
}

}  // namespace itsm::change
