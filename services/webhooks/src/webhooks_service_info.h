// The webhook service's name, ports and own options (itsm-settings-doc documents them).
#ifndef ITSM_SERVICES_WEBHOOKS_WEBHOOKS_SERVICE_INFO_H_
#define ITSM_SERVICES_WEBHOOKS_WEBHOOKS_SERVICE_INFO_H_

#include "itsm/runtime/service_runtime.h"

namespace itsm::webhooks {

runtime::ServiceInfo WebhooksServiceInfo();

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_WEBHOOKS_SERVICE_INFO_H_
