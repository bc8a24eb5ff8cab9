// The life cycles of suppliers and contracts, as the record toolkit's state-machine tables.
// Nothing else decides whether a status change is legal; the tests enumerate every pair.
//
//   ITSM_ASSIGN_OR_RETURN(TransitionKind kind,
//                         ContractStateMachine().Check(stored.state(), request.target_state()));
#ifndef ITSM_SERVICES_SUPPLIER_STATE_MACHINE_H_
#define ITSM_SERVICES_SUPPLIER_STATE_MACHINE_H_

#include <string>

#include "itsm/records/state_machine.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

// What a transition means; it decides the fields it sets.
enum class TransitionKind {
  kActivate,        // supplier PROSPECTIVE/UNDER_REVIEW -> ACTIVE; contract DRAFT -> ACTIVE
  kReview,          // supplier ACTIVE -> UNDER_REVIEW
  kTerminate,       // -> TERMINATED
  kGiveNotice,      // contract ACTIVE -> NOTICE_GIVEN
  kWithdrawNotice,  // contract NOTICE_GIVEN -> ACTIVE
};
const char* TransitionKindName(TransitionKind kind);

using StateMachine = records::StateMachine<TransitionKind>;

const StateMachine& SupplierStateMachine();
// EXPIRED is not in the table: only the contract's expiry deadline sets it.
const StateMachine& ContractStateMachine();

// "ACTIVE" for SUPPLIER_STATUS_ACTIVE, etc.
std::string SupplierStatusName(int status);
std::string ContractStateName(int state);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_STATE_MACHINE_H_
