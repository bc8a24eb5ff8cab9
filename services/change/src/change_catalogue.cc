#include "services/change/src/change_catalogue.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/record_ids.h"
#include "itsm/records/unit_of_work.h"
#include "services/change/src/change_management.h"
#include "services/change/src/change_policy.h"
#include "services/change/src/change_repository.h"
#include "services/change/src/cmdb_facts.h"
#include "services/change/src/window_schedule.h"

namespace itsm::change {
namespace {

constexpr char kCreateTemplate[] = "itsm.change.v1.ChangeService/CreateChangeTemplate";
constexpr char kCreateWindow[] = "itsm.change.v1.ChangeService/CreateChangeWindow";

const records::UpdatableFields kTemplateFields{
    .paths = {"name", "description", "category", "implementation_plan", "backout_plan", "test_plan",
              "risk_level", "assignment_group", "active"}};
const records::UpdatableFields kWindowFields{
    .paths = {"name", "kind", "time_zone", "days", "start_local_time", "duration_minutes",
              "valid_from", "valid_until", "service_ids", "ci_class_names", "active"}};

absl::Status CheckTemplate(const v1::ChangeTemplate& t) {
  if (base::IsBlank(t.name())) {
    return absl::InvalidArgumentError("template.name: required");
  }
  // Its changes take it as theirs, and change SLAs match it exactly.
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName("template.category", t.category()));
  if (!v1::RiskLevel_IsValid(t.risk_level())) {
    return absl::InvalidArgumentError(absl::StrCat("template.risk_level: unknown value ",
                                                   static_cast<int>(t.risk_level()),
                                                   " (LOW, MEDIUM or HIGH)"));
  }
  if (t.risk_level() == v1::RISK_LEVEL_UNSPECIFIED) {
    return absl::InvalidArgumentError("template.risk_level: required (LOW, MEDIUM or HIGH)");
  }
  if (base::IsBlank(t.implementation_plan())) {
    return absl::InvalidArgumentError(
        "template.implementation_plan: required (a standard change is approved for its plan)");
  }
  return absl::OkStatus();
}

// The record after an edit, versioned, with its audit changes and its one event.
template <typename Record, typename Event>
records::Change<Record> Saved(const Record& before, Record after, std::string action,
                              const std::string& actor, absl::Time now,
                              Record* (Event::*mutable_record)()) {
  records::Change<Record> out =
      records::Versioned(before, std::move(after), std::move(action), now);
  if (!out.changed()) return out;
  auto e = std::make_shared<Event>();
  *(e.get()->*mutable_record)() = out.after;
  for (const auto& c : out.changes) e->add_changed_fields(c.field());
  e->set_actor(actor);
  out.events.push_back(std::move(e));
  return out;
}

}  // namespace

absl::Status ChangeCatalogue::CreateTemplate(storage::Transaction& txn, const base::Caller& caller,
                                             const v1::CreateChangeTemplateRequest& request,
                                             v1::ChangeTemplate& out) const {
  ITSM_RETURN_IF_ERROR(CheckTemplate(request.template_()));
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::ChangeTemplate t = request.template_();
  t.set_id(base::NewUuid());
  // Stripped of every blank, invisible ones too: "rollout\u200b" would be a look-alike twin.
  t.set_name(std::string(base::StripBlanks(t.name())));
  t.set_active(!t.has_active() || t.active());
  t.set_created_by(caller.actor);
  *t.mutable_create_time() = now;
  *t.mutable_update_time() = now;
  t.set_version(1);
  records::UnitOfWork<v1::ChangeTemplate, TemplateStore> work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(records::IdempotentCallOf(kCreateTemplate, request), std::move(t),
                       [&](const v1::ChangeTemplate& created) {
                         return Saved<v1::ChangeTemplate, v1::ChangeTemplateSaved>(
                             v1::ChangeTemplate(), created, "create", caller.actor, clock_.Now(),
                             &v1::ChangeTemplateSaved::mutable_template_);
                       }));
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::UpdateTemplate(storage::Transaction& txn, const base::Caller& caller,
                                             const v1::UpdateChangeTemplateRequest& request,
                                             v1::ChangeTemplate& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.template_().id(), "template.id"));
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(request.update_mask(), kTemplateFields));
  records::UnitOfWork<v1::ChangeTemplate, TemplateStore> work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(request.template_().id(),
                       [&](const v1::ChangeTemplate& stored)
                           -> absl::StatusOr<records::Change<v1::ChangeTemplate>> {
                         ITSM_RETURN_IF_ERROR(records::CheckVersion(
                             stored.version(), request.template_().version(), "template.version"));
                         v1::ChangeTemplate after = stored;
                         records::ApplyUpdateMask(request.update_mask(), request.template_(),
                                                  after);
                         after.set_name(std::string(base::StripBlanks(after.name())));
                         ITSM_RETURN_IF_ERROR(CheckTemplate(after));
                         return Saved<v1::ChangeTemplate, v1::ChangeTemplateSaved>(
                             stored, std::move(after), "update", caller.actor, clock_.Now(),
                             &v1::ChangeTemplateSaved::mutable_template_);
                       }));
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::GetTemplate(storage::Transaction& txn,
                                          const v1::GetChangeTemplateRequest& request,
                                          v1::ChangeTemplate& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(out, TemplateStore::Get(txn, request.id()));
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::ListTemplates(storage::Transaction& txn,
                                            const v1::ListChangeTemplatesRequest& request,
                                            v1::ListChangeTemplatesResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(auto templates, TemplateStore::List(txn, request.include_inactive()));
  for (auto& t : templates) *out.add_templates() = std::move(t);
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::ResolveWindow(v1::ChangeWindow& window,
                                            const google::protobuf::FieldMask* mask) const {
  if (mask == nullptr || records::MaskNames(*mask, "service_ids")) {
    ITSM_RETURN_IF_ERROR(records::CheckIds("window.service_ids", window.service_ids()));
    ITSM_RETURN_IF_ERROR(
        ResolveServiceIds(cmdb_, *window.mutable_service_ids(), "window.service_ids"));
  }
  if (mask == nullptr || records::MaskNames(*mask, "ci_class_names")) {
    ITSM_RETURN_IF_ERROR(CheckClassNames(cmdb_, window.ci_class_names(), "window.ci_class_names"));
  }
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::CreateWindow(storage::Transaction& txn, const base::Caller& caller,
                                           const v1::CreateChangeWindowRequest& request,
                                           v1::ChangeWindow& out) const {
  ITSM_RETURN_IF_ERROR(CheckWindow(request.window(), "window"));
  ITSM_RETURN_IF_ERROR(records::CheckIds("window.service_ids", request.window().service_ids()));
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::ChangeWindow w = request.window();
  w.set_name(std::string(base::StripBlanks(w.name())));
  w.set_id(base::NewUuid());
  w.set_active(!w.has_active() || w.active());
  w.set_created_by(caller.actor);
  *w.mutable_create_time() = now;
  *w.mutable_update_time() = now;
  w.set_version(1);
  records::UnitOfWork<v1::ChangeWindow, WindowStore> work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Create(records::IdempotentCallOf(kCreateWindow, request),
                                         std::move(w), [&](const v1::ChangeWindow& created) {
                                           return Saved<v1::ChangeWindow, v1::ChangeWindowSaved>(
                                               v1::ChangeWindow(), created, "create", caller.actor,
                                               clock_.Now(),
                                               &v1::ChangeWindowSaved::mutable_window);
                                         }));
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::UpdateWindow(storage::Transaction& txn, const base::Caller& caller,
                                           const v1::UpdateChangeWindowRequest& request,
                                           v1::ChangeWindow& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.window().id(), "window.id"));
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(request.update_mask(), kWindowFields));
  records::UnitOfWork<v1::ChangeWindow, WindowStore> work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(
          request.window().id(),
          [&](const v1::ChangeWindow& stored) -> absl::StatusOr<records::Change<v1::ChangeWindow>> {
            ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.window().version(),
                                                       "window.version"));
            v1::ChangeWindow after = stored;
            records::ApplyUpdateMask(request.update_mask(), request.window(), after);
            after.set_name(std::string(base::StripBlanks(after.name())));
            ITSM_RETURN_IF_ERROR(CheckWindow(after, "window"));
            return Saved<v1::ChangeWindow, v1::ChangeWindowSaved>(
                stored, std::move(after), "update", caller.actor, clock_.Now(),
                &v1::ChangeWindowSaved::mutable_window);
          }));
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::ListWindows(storage::Transaction& txn,
                                          const v1::ListChangeWindowsRequest& request,
                                          v1::ListChangeWindowsResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(auto windows, WindowStore::List(txn, request.include_inactive()));
  for (auto& w : windows) *out.add_windows() = std::move(w);
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::GetPolicy(storage::Transaction& txn, v1::ChangePolicy& out) const {
  ITSM_ASSIGN_OR_RETURN(out, PolicyStore::Get(txn));
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::ResolvePolicy(v1::ChangePolicy& policy) const {
  for (int i = 0; i < policy.approval_policies_size(); ++i) {
    const std::string field = absl::StrCat("policy.approval_policies[", i, "].match.service_ids");
    auto& ids = *policy.mutable_approval_policies(i)->mutable_match()->mutable_service_ids();
    ITSM_RETURN_IF_ERROR(records::CheckIds(field.c_str(), ids));
    ITSM_RETURN_IF_ERROR(ResolveServiceIds(cmdb_, ids, field));
  }
  return absl::OkStatus();
}

absl::Status ChangeCatalogue::UpdatePolicy(storage::Transaction& txn, const base::Caller& caller,
                                           const v1::UpdateChangePolicyRequest& request,
                                           v1::ChangePolicy& out) const {
  ITSM_RETURN_IF_ERROR(CheckChangePolicy(request.policy()));
  records::UnitOfWork<v1::ChangePolicy, PolicyStore> work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(
          kPolicyId,
          [&](const v1::ChangePolicy& stored) -> absl::StatusOr<records::Change<v1::ChangePolicy>> {
            // Version 0 is the built-in default: the first update must say it read that.
            if (request.policy().version() != stored.version()) {
              ITSM_RETURN_IF_ERROR(records::CheckVersion(
                  stored.version(), request.policy().version(), "policy.version"));
            }
            v1::ChangePolicy after = request.policy();
            after.set_id(kPolicyId);
            after.set_updated_by(caller.actor);
            *after.mutable_update_time() = stored.update_time();
            after.set_version(stored.version());
            return Saved<v1::ChangePolicy, v1::ChangePolicyUpdated>(
                stored, std::move(after), "update", caller.actor, clock_.Now(),
                &v1::ChangePolicyUpdated::mutable_policy);
          }));
  return absl::OkStatus();
}

}  // namespace itsm::change
