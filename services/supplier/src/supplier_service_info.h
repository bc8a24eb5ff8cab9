// The supplier service's name, ports and own options (itsm-settings-doc documents them).
#ifndef ITSM_SERVICES_SUPPLIER_SUPPLIER_SERVICE_INFO_H_
#define ITSM_SERVICES_SUPPLIER_SUPPLIER_SERVICE_INFO_H_

#include "itsm/runtime/service_runtime.h"

namespace itsm::supplier {

runtime::ServiceInfo SupplierServiceInfo();

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SUPPLIER_SERVICE_INFO_H_
