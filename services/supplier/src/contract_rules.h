// The domain rules of contracts, with no gRPC, SQL or Kafka: validation (every error names its
// field), the new record of a create, and each change as a records::Change — the callers' edits
// and transitions, and the two changes only a deadline makes (expiry, tacit renewal).
#ifndef ITSM_SERVICES_SUPPLIER_CONTRACT_RULES_H_
#define ITSM_SERVICES_SUPPLIER_CONTRACT_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "itsm/base/clock.h"
#include "itsm/records/record_change.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

// An amount: minor units not negative, an ISO 4217 code of three upper-case letters unless the
// whole amount is empty. INVALID_ARGUMENT naming `field`.currency or `field`.minor_units.
// An amount a report can add up: 10^15 minor units is ten trillion in a currency of cents, and
// leaves a month's sum of thousands of such contracts, each renewed for centuries, inside int64.
inline constexpr int64_t kMaxMinorUnits = 1'000'000'000'000'000;
absl::Status CheckMoney(const std::string& field, const v1::Money& money);

using ContractChange = records::Change<v1::Contract>;

class ContractRules {
 public:
  explicit ContractRules(const base::Clock& clock) : clock_(clock) {}

  absl::Status ValidateCreate(const v1::CreateContractRequest& request) const;
  absl::Status ValidateUpdate(const v1::UpdateContractRequest& request) const;
  absl::Status ValidateTransition(const v1::TransitionContractRequest& request) const;

  // State DRAFT unless ACTIVE is given, renewal NONE unless given, a fresh id, version 1.
  v1::Contract NewContract(const v1::CreateContractRequest& request,
                           const std::string& actor) const;
  ContractChange Created(const v1::Contract& contract, const std::string& actor) const;
  absl::StatusOr<ContractChange> Update(const v1::Contract& stored,
                                        const v1::UpdateContractRequest& request,
                                        const std::string& actor) const;
  // Giving notice on a tacitly renewing contract is refused once its notice deadline passed
  // (FAILED_PRECONDITION): the term renews anyway, and the record must say so.
  absl::StatusOr<ContractChange> Transition(const v1::Contract& stored,
                                            const v1::TransitionContractRequest& request,
                                            const std::string& actor) const;

  // The deadline's changes (actor: the service itself), announced by the deadline's event.
  ContractChange Expired(const v1::Contract& stored) const;
  absl::StatusOr<ContractChange> Renewed(const v1::Contract& stored) const;

  // Every rule a stored contract obeys (dates, periods, money, lists), prefix "contract.".
  static absl::Status CheckContract(const v1::Contract& contract);

 private:
  // An ACTIVE contract renewing automatically whose term ended long ago would renew once per
  // term gone by, each renewal a write, an audit entry and an event: at most
  // 1,000, else INVALID_ARGUMENT on contract.end_date.
  absl::Status CheckRenewalsToCatchUp(const v1::Contract& contract) const;
  // INVALID_ARGUMENT naming contract.end_date when a contract in force would end before today.
  absl::Status CheckTermNotEnded(const v1::Contract& after) const;
  // FAILED_PRECONDITION naming `field` when `stored` is an ACTIVE, automatically renewing
  // contract whose term's notice deadline has passed at `now`.
  static absl::Status CheckNoticeDeadline(const v1::Contract& stored, absl::Time now,
                                          const std::string& field);

  ContractChange Finish(const v1::Contract& before, v1::Contract after, std::string action,
                        const std::string& actor) const;

  const base::Clock& clock_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_CONTRACT_RULES_H_
