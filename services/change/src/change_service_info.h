// The change service's name, default ports and own options: read by main.cc and by
// itsm-settings-doc, which documents them in docs/settings.md.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_SERVICE_INFO_H_
#define ITSM_SERVICES_CHANGE_CHANGE_SERVICE_INFO_H_

#include "itsm/runtime/service_runtime.h"

namespace itsm::change {

runtime::ServiceInfo ChangeServiceInfo();

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_SERVICE_INFO_H_
