// When a contract's deadlines fall, as a pure function of the contract (no clock, no I/O): the
// instants the scheduler (deadline_scheduler.h) fires events at. docs/supplier.md, "Deadlines".
//
// With end date E (the last day of the term) the term ends at the start of E+1 in the
// contract's zone. A tacitly renewing (AUTOMATIC) ACTIVE contract with a notice period P has its
// notice deadline at the start of (E+1 - P): notice must be given before it. Then:
//   NOTICE_APPROACHING(L)  at the start of (notice day - L days), for each lead time L
//   NOTICE_PASSED          at the notice deadline
//   RENEWED                at the end of the term (the term rolls forward by renewal_term)
// Any other ACTIVE or NOTICE_GIVEN contract:
//   EXPIRING(L)            at the start of (E+1 - L days), for each expiry lead time L
//   EXPIRED                at the end of the term
// DRAFT, EXPIRED and TERMINATED contracts have none.
//
//   ITSM_ASSIGN_OR_RETURN(auto deadlines, ContractDeadlines(contract, policy));
#ifndef ITSM_SERVICES_SUPPLIER_CONTRACT_DEADLINES_H_
#define ITSM_SERVICES_SUPPLIER_CONTRACT_DEADLINES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

struct DeadlinePolicy {
  // Days before the notice deadline that NOTICE_APPROACHING fires, one event per value.
  std::vector<int> notice_lead_days = {90, 60, 30};
  // Days before the end of a term that will not renew that EXPIRING fires.
  std::vector<int> expiry_lead_days = {30};
};

struct DeadlineAt {
  v1::DeadlineKind kind = v1::DEADLINE_KIND_UNSPECIFIED;
  int lead_days = 0;
  absl::Time deadline;  // the instant it is about
  absl::Time due;       // when it fires
  bool operator==(const DeadlineAt&) const = default;
};

// Lead times as an option gives them ("90,60,30"): INVALID_ARGUMENT for anything but distinct
// integers 1..3650.
absl::StatusOr<std::vector<int>> ParseLeadDays(absl::string_view text);

// Every deadline of `contract` (its dates, zone and periods must be valid: the rules checked
// them), soonest first.
absl::StatusOr<std::vector<DeadlineAt>> ContractDeadlines(const v1::Contract& contract,
                                                          const DeadlinePolicy& policy);

// The deadlines worth scheduling at `now`: every deadline whose due time is still to come, and
// every past one that is an outcome (passed, expired, renewed: they fire at once, late). Of the
// warnings (approaching, expiring) already due whose deadline is still ahead, only the one with
// the shortest lead fires: a contract recorded 45 days before its notice deadline is warned
// once at once ("within 60 days"), then again at 30 days — never "90 days" for 45.
std::vector<DeadlineAt> Schedulable(const std::vector<DeadlineAt>& deadlines, absl::Time now);

// The review deadline of a supplier's next_review_date (none when empty).
absl::StatusOr<std::vector<DeadlineAt>> ReviewDeadlines(const v1::Supplier& supplier);

// The contract after its term ended and it renewed tacitly: end_date + renewal_term,
// renewal_count + 1.
absl::StatusOr<v1::Contract> RenewedTerm(const v1::Contract& contract);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_CONTRACT_DEADLINES_H_
