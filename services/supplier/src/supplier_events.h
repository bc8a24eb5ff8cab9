// Where the supplier service's events go: every record change, deadline and review is published
// on itsm.supplier.v1, keyed by the supplier's or contract's id.
#ifndef ITSM_SERVICES_SUPPLIER_SUPPLIER_EVENTS_H_
#define ITSM_SERVICES_SUPPLIER_SUPPLIER_EVENTS_H_

#include "itsm/records/record_change.h"

namespace itsm::supplier {

inline constexpr char kSupplierTopic[] = "itsm.supplier.v1";
inline constexpr char kEventSource[] = "itsm/supplier";

inline const records::EventStream& SupplierEvents() {
  static const records::EventStream kEvents{kSupplierTopic, kEventSource};
  return kEvents;
}

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SUPPLIER_EVENTS_H_
