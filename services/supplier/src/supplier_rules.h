// The domain rules of suppliers, with no gRPC, SQL or Kafka: validation (every error names its
// field), the new record of a create, and each change as a records::Change (the record after,
// the audit's field changes, the events that announce it).
#ifndef ITSM_SERVICES_SUPPLIER_SUPPLIER_RULES_H_
#define ITSM_SERVICES_SUPPLIER_SUPPLIER_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "itsm/base/clock.h"
#include "itsm/records/record_change.h"
#include "itsm/records/record_ids.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

using SupplierChange = records::Change<v1::Supplier>;

// The audit trail's entry for a transition's reason ("reason": "" -> the reason): the why of a
// status change a record keeps no field for.
common::v1::FieldChange ReasonChange(const std::string& reason);

class SupplierRules {
 public:
  explicit SupplierRules(const base::Clock& clock) : clock_(clock) {}

  absl::Status ValidateCreate(const v1::CreateSupplierRequest& request) const;
  absl::Status ValidateUpdate(const v1::UpdateSupplierRequest& request) const;
  absl::Status ValidateTransition(const v1::TransitionSupplierRequest& request) const;
  absl::Status ValidateReview(const v1::RecordReviewRequest& request) const;

  // Status PROSPECTIVE unless given, a fresh id, version 1; the repository numbers it.
  v1::Supplier NewSupplier(const v1::CreateSupplierRequest& request,
                           const std::string& actor) const;
  SupplierChange Created(const v1::Supplier& supplier, const std::string& actor) const;
  absl::StatusOr<SupplierChange> Update(const v1::Supplier& stored,
                                        const v1::UpdateSupplierRequest& request,
                                        const std::string& actor) const;
  absl::StatusOr<SupplierChange> Transition(const v1::Supplier& stored,
                                            const v1::TransitionSupplierRequest& request,
                                            const std::string& actor) const;
  // The supplier's next review date set by a review, announced with the review.
  absl::StatusOr<SupplierChange> Reviewed(const v1::Supplier& stored,
                                          const v1::RecordReviewRequest& request,
                                          const v1::Review& review, const std::string& actor) const;

 private:
  // The fields every supplier must have right, wherever they come from.
  absl::Status CheckSupplier(const std::string& prefix, const v1::Supplier& supplier) const;
  SupplierChange Finish(const v1::Supplier& before, v1::Supplier after, std::string action,
                        const std::string& actor) const;

  const base::Clock& clock_;
};

using records::CheckId;
// A list of ids without an empty or repeated entry: INVALID_ARGUMENT "<field>[i]: ...".
absl::Status CheckIdList(const std::string& field,
                         const google::protobuf::RepeatedPtrField<std::string>& ids);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SUPPLIER_RULES_H_
