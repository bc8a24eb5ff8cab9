#include "services/supplier/src/supplier_rules.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/versioned_change.h"
#include "itsm/supplier/v1/events.pb.h"
#include "services/supplier/src/contact_details.h"
#include "services/supplier/src/contract_dates.h"
#include "services/supplier/src/state_machine.h"

namespace itsm::supplier {
namespace {

const records::UpdatableFields& UpdatableSupplierFields() {
  static const records::UpdatableFields kFields{
      .paths = {"name", "category", "description", "contacts", "assignment_groups", "services",
                "configuration_item_ids", "risk_rating", "next_review_date", "review_time_zone"},
      .elsewhere = {{"status", "TransitionSupplier"}}};
  return kFields;
}

template <typename Event>
std::shared_ptr<Event> NewEvent(const v1::Supplier& after, const std::string& actor,
                                const std::vector<std::string>& fields) {
  auto e = std::make_shared<Event>();
  *e->mutable_supplier() = after;
  for (const auto& f : fields) e->add_changed_fields(f);
  e->set_actor(actor);
  return e;
}

}  // namespace

absl::Status CheckIdList(const std::string& field,
                         const google::protobuf::RepeatedPtrField<std::string>& ids) {
  std::set<std::string> seen;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (base::IsBlank(ids[i])) return base::FieldError(at, "empty");
    // Groups, services and CIs are matched by name: " mail" would match nothing.
    ITSM_RETURN_IF_ERROR(base::CheckMatchedName(at, ids[i]));
    if (!seen.insert(ids[i]).second) {
      return base::FieldError(at, absl::StrCat("\"", ids[i], "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status SupplierRules::CheckSupplier(const std::string& prefix, const v1::Supplier& s) const {
  if (base::IsBlank(s.name())) {
    return base::FieldError(prefix + "name", "required");
  }
  if (!v1::RiskRating_IsValid(s.risk_rating())) {
    return base::FieldError(prefix + "risk_rating",
                            absl::StrCat("unknown value ", static_cast<int>(s.risk_rating())));
  }
  for (int i = 0; i < s.contacts_size(); ++i) {
    const std::string at = absl::StrCat(prefix, "contacts[", i, "]");
    if (base::IsBlank(s.contacts(i).name())) {
      return base::FieldError(at + ".name", "required");
    }
    if (!v1::ContactRole_IsValid(s.contacts(i).role())) {
      return base::FieldError(at + ".role", "unknown value");
    }
  }
  ITSM_RETURN_IF_ERROR(CheckIdList(prefix + "assignment_groups", s.assignment_groups()));
  ITSM_RETURN_IF_ERROR(CheckIdList(prefix + "services", s.services()));
  ITSM_RETURN_IF_ERROR(CheckIdList(prefix + "configuration_item_ids", s.configuration_item_ids()));
  ITSM_RETURN_IF_ERROR(LoadZone(prefix + "review_time_zone", s.review_time_zone()).status());
  if (!s.next_review_date().empty()) {
    ITSM_RETURN_IF_ERROR(ParseDate(prefix + "next_review_date", s.next_review_date()).status());
  }
  return absl::OkStatus();
}

absl::Status SupplierRules::ValidateCreate(const v1::CreateSupplierRequest& request) const {
  const v1::Supplier& s = request.supplier();
  if (!v1::SupplierStatus_IsValid(s.status()) || s.status() == v1::SUPPLIER_STATUS_TERMINATED) {
    return base::FieldError("supplier.status", "must be PROSPECTIVE, ACTIVE or UNDER_REVIEW");
  }
  ITSM_RETURN_IF_ERROR(CheckSupplier("supplier.", s));
  return CheckNewContactDetails("supplier.", v1::Supplier(), s);
}

absl::Status SupplierRules::ValidateUpdate(const v1::UpdateSupplierRequest& request) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.supplier().id(), "supplier.id"));
  return records::CheckUpdateMask(request.update_mask(), UpdatableSupplierFields());
}

absl::Status SupplierRules::ValidateTransition(const v1::TransitionSupplierRequest& r) const {
  ITSM_RETURN_IF_ERROR(CheckId(r.id()));
  if (!v1::SupplierStatus_IsValid(r.target_status()) ||
      r.target_status() == v1::SUPPLIER_STATUS_UNSPECIFIED) {
    return base::FieldError("target_status",
                            absl::StrCat("unknown status ", static_cast<int>(r.target_status())));
  }
  return absl::OkStatus();
}

common::v1::FieldChange ReasonChange(const std::string& reason) {
  common::v1::FieldChange c;
  c.set_field("reason");
  c.set_new_value(reason);
  return c;
}

absl::Status SupplierRules::ValidateReview(const v1::RecordReviewRequest& r) const {
  ITSM_RETURN_IF_ERROR(CheckId(r.review().supplier_id(), "review.supplier_id"));
  ITSM_ASSIGN_OR_RETURN(absl::CivilDay held,
                        ParseDate("review.review_date", r.review().review_date()));
  // A review is recorded once held. "Today" is the latest calendar day anywhere (UTC+14), so no
  // time zone's today is refused.
  const absl::CivilDay latest_today =
      absl::ToCivilDay(clock_.Now(), absl::FixedTimeZone(14 * 60 * 60));
  if (held > latest_today) {
    return base::FieldError("review.review_date",
                            absl::StrCat("after today (", FormatDate(latest_today),
                                         "): a review is recorded once it was held"));
  }
  // Who took part and who owns each action: what an auditor of the review asks first.
  if (r.review().participants_size() == 0) {
    return base::FieldError("review.participants", "required: who took part in the review");
  }
  for (int i = 0; i < r.review().participants_size(); ++i) {
    if (base::IsBlank(r.review().participants(i))) {
      return base::FieldError(absl::StrCat("review.participants[", i, "]"), "empty");
    }
  }
  for (int i = 0; i < r.review().actions_size(); ++i) {
    const auto& action = r.review().actions(i);
    const std::string at = absl::StrCat("review.actions[", i, "]");
    if (base::IsBlank(action.description())) {
      return base::FieldError(at + ".description", "required");
    }
    if (base::IsBlank(action.owner())) {
      return base::FieldError(at + ".owner", "required: who sees the action through");
    }
    if (action.due_date().empty()) return base::FieldError(at + ".due_date", "required");
    ITSM_ASSIGN_OR_RETURN(absl::CivilDay due, ParseDate(at + ".due_date", action.due_date()));
    if (due < held) return base::FieldError(at + ".due_date", "before review_date");
  }
  if (!r.next_review_date().empty()) {
    ITSM_ASSIGN_OR_RETURN(absl::CivilDay next, ParseDate("next_review_date", r.next_review_date()));
    if (next <= held) return base::FieldError("next_review_date", "must be after review_date");
  }
  return absl::OkStatus();
}

v1::Supplier SupplierRules::NewSupplier(const v1::CreateSupplierRequest& request,
                                        const std::string& actor) const {
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::Supplier s = request.supplier();
  s.set_id(base::NewUuid());
  s.clear_number();
  s.set_name(std::string(base::StripBlanks(s.name())));
  if (s.status() == v1::SUPPLIER_STATUS_UNSPECIFIED) s.set_status(v1::SUPPLIER_STATUS_PROSPECTIVE);
  s.set_created_by(actor);
  *s.mutable_create_time() = now;
  *s.mutable_update_time() = now;
  s.set_version(1);
  return s;
}

SupplierChange SupplierRules::Created(const v1::Supplier& supplier,
                                      const std::string& actor) const {
  SupplierChange out;
  out.after = supplier;
  out.action = "create";
  out.changes = records::DiffFields(v1::Supplier(), supplier);
  out.events.push_back(
      NewEvent<v1::SupplierCreated>(supplier, actor, records::FieldNames(out.changes)));
  return out;
}

SupplierChange SupplierRules::Finish(const v1::Supplier& before, v1::Supplier after,
                                     std::string action, const std::string& actor) const {
  SupplierChange out =
      records::VersionedChange(before, std::move(after), std::move(action), clock_.Now());
  if (!out.changed()) return out;
  const std::vector<std::string> fields = records::FieldNames(out.changes);
  if (out.after.status() != before.status()) {
    auto e = NewEvent<v1::SupplierStatusChanged>(out.after, actor, fields);
    e->set_previous_status(before.status());
    out.events.push_back(std::move(e));
  } else {
    out.events.push_back(NewEvent<v1::SupplierUpdated>(out.after, actor, fields));
  }
  return out;
}

absl::StatusOr<SupplierChange> SupplierRules::Update(const v1::Supplier& stored,
                                                     const v1::UpdateSupplierRequest& request,
                                                     const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(
      records::CheckVersion(stored.version(), request.supplier().version(), "supplier.version"));
  if (stored.status() == v1::SUPPLIER_STATUS_TERMINATED) {
    return absl::FailedPreconditionError("status: TERMINATED suppliers cannot be changed");
  }
  v1::Supplier after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.supplier(), after);
  after.set_name(std::string(base::StripBlanks(after.name())));
  ITSM_RETURN_IF_ERROR(CheckSupplier("supplier.", after));
  ITSM_RETURN_IF_ERROR(CheckNewContactDetails("supplier.", stored, after));
  return Finish(stored, std::move(after), "update", actor);
}

absl::StatusOr<SupplierChange> SupplierRules::Transition(
    const v1::Supplier& stored, const v1::TransitionSupplierRequest& request,
    const std::string& actor) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  ITSM_ASSIGN_OR_RETURN(TransitionKind kind,
                        SupplierStateMachine().Check(stored.status(), request.target_status()));
  v1::Supplier after = stored;
  after.set_status(request.target_status());
  // A terminated supplier has no review ahead.
  if (kind == TransitionKind::kTerminate) after.clear_next_review_date();
  SupplierChange out = Finish(stored, std::move(after), TransitionKindName(kind), actor);
  for (auto& event : out.events) {
    if (auto* changed = dynamic_cast<v1::SupplierStatusChanged*>(event.get())) {
      changed->set_reason(request.reason());
    }
  }
  // Why a supplier was put under review or terminated is audit evidence: kept in the record's
  // history beside the status, not only on the topic.
  if (out.changed() && !request.reason().empty()) {
    out.changes.push_back(ReasonChange(request.reason()));
  }
  return out;
}

absl::StatusOr<SupplierChange> SupplierRules::Reviewed(const v1::Supplier& stored,
                                                       const v1::RecordReviewRequest& request,
                                                       const v1::Review& review,
                                                       const std::string& actor) const {
  // Required like every write's version: the review replaces the supplier's next review date,
  // which another manager may have just set.
  ITSM_RETURN_IF_ERROR(
      records::CheckVersion(stored.version(), request.supplier_version(), "supplier_version"));
  if (stored.status() == v1::SUPPLIER_STATUS_TERMINATED) {
    return absl::FailedPreconditionError("status: TERMINATED suppliers are not reviewed");
  }
  v1::Supplier after = stored;
  // A review without a next date keeps a plan still ahead of it (an extra review does not
  // cancel the planned one; found from outside: it erased it), and ends the plan it fulfils.
  if (!request.next_review_date().empty()) {
    after.set_next_review_date(request.next_review_date());
  } else if (!stored.next_review_date().empty() &&
             stored.next_review_date() <= review.review_date()) {
    after.clear_next_review_date();
  }
  SupplierChange out;
  out.changes = records::DiffFields(stored, after);
  after.set_version(stored.version() + 1);
  *after.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
  // A review is a change of the supplier's record even when the next date stays: its history
  // shows every review.
  common::v1::FieldChange reviewed;
  reviewed.set_field("review");
  reviewed.set_new_value(review.id());
  out.changes.push_back(std::move(reviewed));
  out.after = std::move(after);
  out.action = "review";
  auto e = std::make_shared<v1::SupplierReviewRecorded>();
  *e->mutable_supplier() = out.after;
  for (const auto& f : records::FieldNames(out.changes)) e->add_changed_fields(f);
  e->set_actor(actor);
  *e->mutable_review() = review;
  out.events.push_back(std::move(e));
  return out;
}

}  // namespace itsm::supplier
