// The supplier service's own metrics, refreshed from its database every 30 s on a thread of
// their own (never on a call's path):
//   itsm_supplier_contracts{state}                 contracts per state
//   itsm_supplier_deadlines_due_30d                deadlines not fired and due within 30 days
//   itsm_supplier_deadlines_fired_total{kind}      deadlines fired by this process
//   itsm_supplier_uc_compliance_ratio{supplier}    met / (met + breached) of the UC clocks of a
//                                                  supplier's contracts that completed in the
//                                                  last 30 days
// The compliance series are bounded: one per supplier (its number) that is not TERMINATED and
// has a contract linked to a UC definition — tens to a few hundred in any organisation, never
// per incident or clock. A supplier with no clock completed in the window has no series (a
// ratio of nothing is not 1), and a supplier that drops out of the set loses its series.
#ifndef ITSM_SERVICES_SUPPLIER_SUPPLIER_METRICS_H_
#define ITSM_SERVICES_SUPPLIER_SUPPLIER_METRICS_H_

#include <map>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace itsm::supplier {

class SupplierMetrics {
 public:
  SupplierMetrics(storage::Database& db, const base::Clock& clock, prometheus::Registry& registry);
  ~SupplierMetrics() { Stop(); }

  // Reads the figures now.
  absl::Status Refresh();
  void Fired(const v1::Deadline& deadline);
  void Start();
  void Stop();

 private:
  storage::Database& db_;
  const base::Clock& clock_;
  std::map<int, prometheus::Gauge*> contracts_;  // by ContractState, every state listed
  std::map<int, prometheus::Counter*> fired_;    // by DeadlineKind
  prometheus::Gauge& due_30d_;
  prometheus::Family<prometheus::Gauge>& compliance_family_;
  std::map<std::string, prometheus::Gauge*> compliance_;  // by supplier number
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SUPPLIER_METRICS_H_
