// Every pair of states of both tables, legal and illegal.
#include "services/supplier/src/state_machine.h"

#include <set>

#include "gtest/gtest.h"

namespace itsm::supplier {
namespace {

void ExpectExactly(const StateMachine& sm, const std::set<std::pair<int, int>>& legal) {
  for (int from : sm.states()) {
    for (int to : sm.states()) {
      const bool allowed = sm.Check(from, to).ok();
      EXPECT_EQ(allowed, legal.contains({from, to}))
          << sm.StateName(from) << " -> " << sm.StateName(to);
      if (!allowed) {
        EXPECT_EQ(sm.Check(from, to).status().code(), absl::StatusCode::kFailedPrecondition);
      }
    }
  }
}

TEST(SupplierStateMachine, EveryPair) {
  using namespace v1;
  ExpectExactly(SupplierStateMachine(),
                {{SUPPLIER_STATUS_PROSPECTIVE, SUPPLIER_STATUS_ACTIVE},
                 {SUPPLIER_STATUS_PROSPECTIVE, SUPPLIER_STATUS_TERMINATED},
                 {SUPPLIER_STATUS_ACTIVE, SUPPLIER_STATUS_UNDER_REVIEW},
                 {SUPPLIER_STATUS_ACTIVE, SUPPLIER_STATUS_TERMINATED},
                 {SUPPLIER_STATUS_UNDER_REVIEW, SUPPLIER_STATUS_ACTIVE},
                 {SUPPLIER_STATUS_UNDER_REVIEW, SUPPLIER_STATUS_TERMINATED}});
  EXPECT_TRUE(SupplierStateMachine().IsFinal(SUPPLIER_STATUS_TERMINATED));
  // A refusal names the request's field: a supplier has a status, not a state.
  EXPECT_EQ(SupplierStateMachine()
                .Check(SUPPLIER_STATUS_PROSPECTIVE, SUPPLIER_STATUS_UNDER_REVIEW)
                .status()
                .message()
                .rfind("target_status: PROSPECTIVE -> UNDER_REVIEW is not allowed", 0),
            0u);
}

TEST(ContractStateMachine, EveryPair) {
  using namespace v1;
  ExpectExactly(ContractStateMachine(), {{CONTRACT_STATE_DRAFT, CONTRACT_STATE_ACTIVE},
                                         {CONTRACT_STATE_DRAFT, CONTRACT_STATE_TERMINATED},
                                         {CONTRACT_STATE_ACTIVE, CONTRACT_STATE_NOTICE_GIVEN},
                                         {CONTRACT_STATE_ACTIVE, CONTRACT_STATE_TERMINATED},
                                         {CONTRACT_STATE_NOTICE_GIVEN, CONTRACT_STATE_ACTIVE},
                                         {CONTRACT_STATE_NOTICE_GIVEN, CONTRACT_STATE_TERMINATED}});
  // Nothing leaves EXPIRED or TERMINATED, and no call reaches EXPIRED.
  EXPECT_TRUE(ContractStateMachine().IsFinal(CONTRACT_STATE_EXPIRED));
  EXPECT_FALSE(ContractStateMachine().Check(CONTRACT_STATE_ACTIVE, CONTRACT_STATE_EXPIRED).ok());
}

}  // namespace
}  // namespace itsm::supplier
