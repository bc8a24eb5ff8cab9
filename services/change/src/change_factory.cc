#include "services/change/src/change_factory.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/record_ids.h"

namespace itsm::change {

absl::Status CheckSlot(const google::protobuf::Timestamp* start,
                       const google::protobuf::Timestamp* end, const char* start_field,
                       const char* end_field, bool required) {
  if (start == nullptr && end == nullptr && !required) return absl::OkStatus();
  if (start == nullptr) return absl::InvalidArgumentError(absl::StrCat(start_field, ": required"));
  if (end == nullptr) return absl::InvalidArgumentError(absl::StrCat(end_field, ": required"));
  const absl::Time s = base::FromProtoTimestamp(*start);
  const absl::Time e = base::FromProtoTimestamp(*end);
  if (e <= s) {
    return absl::InvalidArgumentError(absl::StrCat(end_field, ": must be after ", start_field));
  }
  if (e - s > kMaxSlot) {
    return absl::InvalidArgumentError(
        absl::StrCat(end_field, ": at most 31 days after ", start_field));
  }
  return absl::OkStatus();
}

absl::Status ValidateCreate(const v1::CreateChangeRequest& r) {
  if (!v1::ChangeType_IsValid(r.type())) {
    return absl::InvalidArgumentError(absl::StrCat("type: unknown type ", r.type()));
  }
  if (r.type() == v1::CHANGE_TYPE_STANDARD || !r.template_id().empty()) {
    if (r.type() != v1::CHANGE_TYPE_STANDARD && r.type() != v1::CHANGE_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError("template_id: only standard changes come from a template");
    }
    ITSM_RETURN_IF_ERROR(records::CheckId(r.template_id(), "template_id"));
  } else {
    if (r.type() == v1::CHANGE_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          "type: required (NORMAL or EMERGENCY; STANDARD with a template_id)");
    }
    if (base::IsBlank(r.title())) {
      return absl::InvalidArgumentError("title: required");
    }
  }
  // Matched exactly (double booking, approvals): padded, they would match no one.
  ITSM_RETURN_IF_ERROR(base::CheckPersonName("assignee", r.assignee()));
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("assignment_group", r.assignment_group()));
  // A change SLA's coverage matches the category exactly (sla.md): padded, no SLA would apply.
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("category", r.category()));
  ITSM_RETURN_IF_ERROR(records::CheckIds("affected_service_ids", r.affected_service_ids()));
  ITSM_RETURN_IF_ERROR(records::CheckIds("configuration_item_ids", r.configuration_item_ids()));
  ITSM_RETURN_IF_ERROR(records::CheckIds("incident_ids", r.incident_ids()));
  ITSM_RETURN_IF_ERROR(records::CheckIds("problem_ids", r.problem_ids()));
  ITSM_RETURN_IF_ERROR(records::CheckIds("release_ids", r.release_ids()));
  return CheckSlot(r.has_planned_start_time() ? &r.planned_start_time() : nullptr,
                   r.has_planned_end_time() ? &r.planned_end_time() : nullptr, "planned_start_time",
                   "planned_end_time", false);
}

v1::Change NewChange(const v1::CreateChangeRequest& r, const v1::ChangeTemplate* tmpl,
                     const std::string& actor, absl::Time now) {
  v1::Change c;
  c.set_id(base::NewUuid());
  c.set_type(tmpl != nullptr ? v1::CHANGE_TYPE_STANDARD : r.type());
  c.set_state(v1::CHANGE_STATE_NEW);
  std::string title(absl::StripAsciiWhitespace(r.title()));
  if (title.empty() && tmpl != nullptr) title = tmpl->name();
  c.set_title(title);
  c.set_description(r.description());
  c.set_category(r.category());
  c.set_reason(r.reason());
  *c.mutable_affected_service_ids() = r.affected_service_ids();
  *c.mutable_configuration_item_ids() = r.configuration_item_ids();
  if (r.has_planned_start_time()) *c.mutable_planned_start_time() = r.planned_start_time();
  if (r.has_planned_end_time()) *c.mutable_planned_end_time() = r.planned_end_time();
  c.set_implementation_plan(r.implementation_plan());
  c.set_backout_plan(r.backout_plan());
  c.set_test_plan(r.test_plan());
  c.set_assignment_group(r.assignment_group());
  c.set_assignee(r.assignee());
  *c.mutable_incident_ids() = r.incident_ids();
  *c.mutable_problem_ids() = r.problem_ids();
  *c.mutable_release_ids() = r.release_ids();
  *c.mutable_risk_answers() = r.risk_answers();
  if (tmpl != nullptr) {
    c.set_template_id(tmpl->id());
    if (c.category().empty()) c.set_category(tmpl->category());
    if (c.assignment_group().empty()) c.set_assignment_group(tmpl->assignment_group());
    c.set_implementation_plan(tmpl->implementation_plan());
    c.set_backout_plan(tmpl->backout_plan());
    c.set_test_plan(tmpl->test_plan());
    c.clear_risk_answers();
  }
  c.set_created_by(actor);
  *c.mutable_create_time() = base::ToProtoTimestamp(now);
  *c.mutable_update_time() = base::ToProtoTimestamp(now);
  c.set_version(1);
  return c;
}

}  // namespace itsm::change
