#include "services/supplier/src/state_machine.h"

#include "absl/strings/strip.h"

namespace itsm::supplier {

const char* TransitionKindName(TransitionKind kind) {
  switch (kind) {
    case TransitionKind::kActivate:
      return "activate";
    case TransitionKind::kReview:
      return "review";
    case TransitionKind::kTerminate:
      return "terminate";
    case TransitionKind::kGiveNotice:
      return "give_notice";
    case TransitionKind::kWithdrawNotice:
      return "withdraw_notice";
  }
  return "?";
}

std::string SupplierStatusName(int status) {
  return std::string(absl::StripPrefix(v1::SupplierStatus_Name(status), "SUPPLIER_STATUS_"));
}

std::string ContractStateName(int state) {
  return std::string(absl::StripPrefix(v1::ContractState_Name(state), "CONTRACT_STATE_"));
}

const StateMachine& SupplierStateMachine() {
  using K = TransitionKind;
  // A terminated supplier stays terminated: a returning supplier is a new relationship, with a
  // new due diligence, and so a new record.
  static const StateMachine kMachine(
      {v1::SUPPLIER_STATUS_PROSPECTIVE, v1::SUPPLIER_STATUS_ACTIVE,
       v1::SUPPLIER_STATUS_UNDER_REVIEW, v1::SUPPLIER_STATUS_TERMINATED},
      {
          {v1::SUPPLIER_STATUS_PROSPECTIVE, v1::SUPPLIER_STATUS_ACTIVE, K::kActivate},
          {v1::SUPPLIER_STATUS_PROSPECTIVE, v1::SUPPLIER_STATUS_TERMINATED, K::kTerminate},
          {v1::SUPPLIER_STATUS_ACTIVE, v1::SUPPLIER_STATUS_UNDER_REVIEW, K::kReview},
          {v1::SUPPLIER_STATUS_ACTIVE, v1::SUPPLIER_STATUS_TERMINATED, K::kTerminate},
          {v1::SUPPLIER_STATUS_UNDER_REVIEW, v1::SUPPLIER_STATUS_ACTIVE, K::kActivate},
          {v1::SUPPLIER_STATUS_UNDER_REVIEW, v1::SUPPLIER_STATUS_TERMINATED, K::kTerminate},
      },
      SupplierStatusName, TransitionKindName, "target_status");
  return kMachine;
}

const StateMachine& ContractStateMachine() {
  using K = TransitionKind;
  static const StateMachine kMachine(
      {v1::CONTRACT_STATE_DRAFT, v1::CONTRACT_STATE_ACTIVE, v1::CONTRACT_STATE_NOTICE_GIVEN,
       v1::CONTRACT_STATE_EXPIRED, v1::CONTRACT_STATE_TERMINATED},
      {
          {v1::CONTRACT_STATE_DRAFT, v1::CONTRACT_STATE_ACTIVE, K::kActivate},
          {v1::CONTRACT_STATE_DRAFT, v1::CONTRACT_STATE_TERMINATED, K::kTerminate},
          {v1::CONTRACT_STATE_ACTIVE, v1::CONTRACT_STATE_NOTICE_GIVEN, K::kGiveNotice},
          {v1::CONTRACT_STATE_ACTIVE, v1::CONTRACT_STATE_TERMINATED, K::kTerminate},
          {v1::CONTRACT_STATE_NOTICE_GIVEN, v1::CONTRACT_STATE_ACTIVE, K::kWithdrawNotice},
          {v1::CONTRACT_STATE_NOTICE_GIVEN, v1::CONTRACT_STATE_TERMINATED, K::kTerminate},
      },
      ContractStateName, TransitionKindName);
  return kMachine;
}

}  // namespace itsm::supplier
