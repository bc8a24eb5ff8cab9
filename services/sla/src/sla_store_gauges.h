// The SLA service's gauges counted from the SLA history it projects from the timers' events
// (servicedb::StoreGauges, refreshed every store_gauge_interval_seconds; docs/metrics.md):
//   itsm_sla_open_clocks{kind,agreement,priority,stage,breached}   running and paused clocks
//   itsm_sla_ended_clocks{kind,agreement,priority,outcome}         completed clocks, met or
//   breached
// Both are read from the index sla_clocks_stage (migration 5): the history holds two clocks per
// incident, millions in a few years, and a count that read every row took seconds a round.
#ifndef ITSM_SERVICES_SLA_SLA_STORE_GAUGES_H_
#define ITSM_SERVICES_SLA_SLA_STORE_GAUGES_H_

#include <vector>

#include "itsm/servicedb/store_gauges.h"

namespace itsm::sla {

std::vector<servicedb::StoreGauge> SlaStoreGauges();

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_STORE_GAUGES_H_
