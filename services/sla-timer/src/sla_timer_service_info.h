// The SLA timer's name, default ports and own options: read by main.cc and by
// itsm-settings-doc, which documents them in docs/settings.md.
#ifndef ITSM_SERVICES_SLA_TIMER_SLA_TIMER_SERVICE_INFO_H_
#define ITSM_SERVICES_SLA_TIMER_SLA_TIMER_SERVICE_INFO_H_

#include "itsm/runtime/service_runtime.h"

namespace itsm::sla_timer {

runtime::ServiceInfo SlaTimerServiceInfo();

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_SLA_TIMER_SERVICE_INFO_H_
