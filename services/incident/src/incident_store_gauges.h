// The incident service's gauges counted from its database (servicedb::StoreGauges, refreshed
// every store_gauge_interval_seconds; docs/metrics.md):
//   itsm_incidents{state,priority}                      incidents by state and priority
//   itsm_incidents_open_oldest_age_seconds{priority}    age of the oldest open incident (NEW,
//                                                       ASSIGNED, IN_PROGRESS, ON_HOLD); 0: none
//   itsm_service_requests{state}                        service requests by state
//   itsm_problems{state}                                problems by state
// Every state and priority is always served (0 when no record is in it): the label sets are the
// enums', a few dozen series. Created, resolved and reopened counts are the events' counter,
// itsm_domain_events_total{type="itsm.incident.v1.IncidentCreated"} etc. (libs/outbox).
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_STORE_GAUGES_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_STORE_GAUGES_H_

#include <vector>

#include "itsm/servicedb/store_gauges.h"

namespace itsm::incident {

std::vector<servicedb::StoreGauge> IncidentStoreGauges();

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_STORE_GAUGES_H_
