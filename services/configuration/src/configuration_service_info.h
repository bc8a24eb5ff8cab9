// The configuration service's name, default ports and own options: read by main.cc and by
// itsm-settings-doc, which documents them in docs/settings.md.
#ifndef ITSM_SERVICES_CONFIGURATION_CONFIGURATION_SERVICE_INFO_H_
#define ITSM_SERVICES_CONFIGURATION_CONFIGURATION_SERVICE_INFO_H_

#include "itsm/runtime/service_runtime.h"

namespace itsm::config {

runtime::ServiceInfo ConfigurationServiceInfo();

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_CONFIGURATION_SERVICE_INFO_H_
