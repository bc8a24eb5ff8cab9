// The change service's own metrics, declared once, children added once:
//   itsm_change_changes{state}                    gauge: changes in each state (counted from
//                                                 the database by servicedb::StoreGauges, so
//                                                 replicas and restarts agree: ChangeStoreGauges)
//   itsm_change_conflicts_found_total{kind}       conflicts a check found and stored
//   itsm_change_approval_latency_seconds          histogram: AUTHORISE entered -> final decision
//   itsm_change_caused_incident_links_total       incidents linked as possibly caused by a change
//   itsm_change_conflict_rechecks_changed_total   re-checks (CMDB, window, major incident events)
//                                                 that changed a change's conflicts
// Observed after a write committed (never for a write that rolled back).
#ifndef ITSM_SERVICES_CHANGE_CHANGE_METRICS_H_
#define ITSM_SERVICES_CHANGE_CHANGE_METRICS_H_

#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/servicedb/store_gauges.h"
#include "itsm/storage/database.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace itsm::change {

class ChangeMetrics {
 public:
  explicit ChangeMetrics(prometheus::Registry& registry);

  // The conflicts a check stored on `change`.
  void ConflictsFound(const v1::Change& change);
  // A decision that ended the approval (APPROVED or REJECTED).
  void ApprovalDecided(const v1::Change& change);
  // `n` incidents linked to changes; `n` changes whose conflicts a re-check changed.
  void IncidentsLinked(int n) { links_->Increment(n); }
  void ConflictsRechecked(int changed) { rechecks_->Increment(changed); }

 private:
  std::map<int, prometheus::Counter*> conflicts_;
  prometheus::Histogram* approval_latency_;
  prometheus::Counter* links_;
  prometheus::Counter* rechecks_;
};

// The change service's gauges counted from its database (servicedb::StoreGauges, refreshed every
// store_gauge_interval_seconds): itsm_change_changes{state}, every state always served.
std::vector<servicedb::StoreGauge> ChangeStoreGauges();

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_METRICS_H_
