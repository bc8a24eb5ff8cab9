// Where the SLA service's events go: every calendar and definition change is published on
// itsm.sla.v1 (key: the record's id), the topic the SLA timer publishes its clock events on too.
#ifndef ITSM_SERVICES_SLA_SLA_EVENTS_H_
#define ITSM_SERVICES_SLA_SLA_EVENTS_H_

#include "itsm/records/record_change.h"

namespace itsm::sla {

inline constexpr char kSlaTopic[] = "itsm.sla.v1";
inline constexpr char kEventSource[] = "itsm/sla";

inline const records::EventStream& SlaEvents() {
  static const records::EventStream kEvents{kSlaTopic, kEventSource};
  return kEvents;
}

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_EVENTS_H_
