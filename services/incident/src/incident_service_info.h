// The incident service's name, default ports and own options: read by main.cc and by
// itsm-settings-doc, which documents them in docs/settings.md.
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_SERVICE_INFO_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_SERVICE_INFO_H_

#include "itsm/runtime/service_runtime.h"

namespace itsm::incident {

runtime::ServiceInfo IncidentServiceInfo();

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_SERVICE_INFO_H_
