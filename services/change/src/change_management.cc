#include "services/change/src/change_management.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/auth/access_policy.h"
#include "itsm/auth/same_person.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_ids.h"
#include "itsm/records/unit_of_work.h"
#include "itsm/runtime/logging.h"
#include "services/change/src/approvals.h"
#include "services/change/src/change_factory.h"
#include "services/change/src/change_policy.h"
#include "services/change/src/change_repository.h"
#include "services/change/src/conflict_detector.h"
#include "services/change/src/risk_assessor.h"
#include "services/change/src/scheduled_slot.h"
#include "services/change/src/window_schedule.h"

namespace itsm::change {
namespace {

constexpr char kCreateChange[] = "itsm.change.v1.ChangeService/CreateChange";
constexpr char kGetChangeHistory[] = "itsm.change.v1.ChangeService/GetChangeHistory";
constexpr char kGetChangePolicy[] = "/itsm.change.v1.ChangeService/GetChangePolicy";
constexpr char kListChangeWindows[] = "/itsm.change.v1.ChangeService/ListChangeWindows";
constexpr char kGetChangeTemplate[] = "/itsm.change.v1.ChangeService/GetChangeTemplate";

using ChangeWork = records::UnitOfWork<v1::Change, ChangeRepository>;

// Fields whose change re-assesses the risk, and re-checks the conflicts.
const std::set<std::string> kRiskInputs = {"affected_service_ids", "configuration_item_ids",
                                           "risk_answers"};
const std::set<std::string> kConflictInputs = {"affected_service_ids", "configuration_item_ids",
                                               "assignment_group", "assignee"};

bool MaskTouches(const google::protobuf::FieldMask& mask, const std::set<std::string>& fields) {
  return std::any_of(mask.paths().begin(), mask.paths().end(),
                     [&](const std::string& p) { return fields.contains(p); });
}

absl::StatusOr<v1::ChangePolicy> ReadPolicy(storage::Database& db) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadOnly));
  return PolicyStore::Get(*txn);
}

// The request's ids replaced by the CMDB's canonical ones ("server/db-01" -> its UUID).
void UseResolvedIds(const CmdbFacts& facts, v1::Change& change) {
  change.mutable_affected_service_ids()->Assign(facts.service_ids.begin(), facts.service_ids.end());
  change.mutable_configuration_item_ids()->Assign(facts.ci_ids.begin(), facts.ci_ids.end());
}

// The links as gathered (ids), where the write sets them.
void UseLinkedIds(const CmdbFacts& facts, v1::Change& change) {
  if (facts.incident_ids) {
    change.mutable_incident_ids()->Assign(facts.incident_ids->begin(), facts.incident_ids->end());
  }
  if (facts.problem_ids) {
    change.mutable_problem_ids()->Assign(facts.problem_ids->begin(), facts.problem_ids->end());
  }
}

// Releases of this service: each value (id or number) names one, stored as its id; those the
// change held before stay as they are.
absl::Status UseReleaseIds(storage::Transaction& txn, const std::string& field,
                           const v1::Change* stored, v1::Change& change) {
  std::set<std::string> seen;
  for (int i = 0; i < change.release_ids_size(); ++i) {
    std::string& value = *change.mutable_release_ids(i);
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (stored == nullptr || std::find(stored->release_ids().begin(), stored->release_ids().end(),
                                       value) == stored->release_ids().end()) {
      absl::StatusOr<v1::Release> release = ReleaseStore::Get(txn, value);
      if (absl::IsNotFound(release.status()) || absl::IsInvalidArgument(release.status())) {
        return base::FieldError(at, absl::StrCat("no release \"", value, "\""));
      }
      ITSM_RETURN_IF_ERROR(release.status());
      value = release->id();
    }
    if (!seen.insert(value).second) {
      return base::FieldError(at, "names a release an earlier entry names");
    }
  }
  return absl::OkStatus();
}

PlannedChange Planned(const v1::Change& c) {
  const std::optional<ScheduledSlot> slot = ScheduledSlotOf(c);
  return {.id = c.id(),
          .number = c.number(),
          .slot = slot ? slot->interval : Interval{},
          .open_ended = slot && slot->open_ended,
          .ci_ids = {c.configuration_item_ids().begin(), c.configuration_item_ids().end()},
          .assignment_group = c.assignment_group(),
          .assignee = c.assignee()};
}

// Whether the request answers the questionnaire as the stored change does, in any order.
bool SameAnswers(const v1::Change& stored, const v1::AssessChangeRequest& request) {
  const auto pairs = [](const auto& answers) {
    std::set<std::pair<std::string, std::string>> out;
    for (const v1::RiskAnswer& a : answers) out.emplace(a.question_id(), a.answer_id());
    return out;
  };
  return pairs(stored.risk_answers()) == pairs(request.risk_answers());
}

// Segregation of duties across an un-assignment: whoever was the change's assignee at any time
// since its approval was asked for may not decide it (un-assigning oneself does not make one an
// outsider). Read from the change's audit trail, on a decision only.
// Who was the change's assignee at some time since its approval was asked for, from its audit
// trail: barred from deciding it (none while no approval is asked for).
absl::StatusOr<std::vector<std::string>> FormerAssignees(storage::Transaction& txn,
                                                         const v1::Change& stored) {
  if (!stored.approval().has_request_time()) return std::vector<std::string>{};
  return records::AuditTrail::FormerValues(
      txn, stored.id(), "assignee", base::FromProtoTimestamp(stored.approval().request_time()));
}

// Segregation of duties for standard changes: a template is a standing approval of every change
// made from it, so whoever wrote it (created it or changed it) raising a change from it would be
// approving their own change (decision 271).
absl::Status CheckNotOwnTemplate(storage::Transaction& txn, const v1::ChangeTemplate& tmpl,
                                 const std::string& actor) {
  ITSM_ASSIGN_OR_RETURN(std::vector<std::string> authors,
                        records::AuditTrail::Authors(txn, tmpl.id()));
  authors.push_back(tmpl.created_by());
  for (const std::string& author : authors) {
    if (auth::SamePerson(author, actor)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "template_id: ", actor, " wrote template \"", tmpl.name(),
          "\", so a change of theirs from it would be pre-approved by themselves; someone else "
          "raises it, or raise a normal change (segregation of duties)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNotAssignedSinceRequest(const v1::Change& stored,
                                          const std::vector<std::string>& assignees,
                                          const std::string& actor) {
  if (stored.approval().self_approval_allowed()) return absl::OkStatus();
  for (const std::string& assignee : assignees) {
    if (!auth::SamePerson(assignee, actor)) continue;
    return absl::PermissionDeniedError(absl::StrCat(
        "decision: ", actor,
        " was assigned to this change while its approval was asked for and may not decide it "
        "(segregation of duties; the change policy's allow_self_approval)"));
  }
  return absl::OkStatus();
}

// Whether `now` falls outside the change's planned slot (false when it has none).
bool OutsideItsSlot(const v1::Change& c, absl::Time now) {
  if (!c.has_planned_start_time() || !c.has_planned_end_time()) return false;
  return now < base::FromProtoTimestamp(c.planned_start_time()) ||
         now >= base::FromProtoTimestamp(c.planned_end_time());
}

}  // namespace

const records::EventStream& ChangeEvents() {
  static const records::EventStream kEvents{kChangeTopic, kEventSource};
  return kEvents;
}

absl::StatusOr<CmdbFacts> ChangeManagement::GatherForCreate(
    const v1::CreateChangeRequest& request) const {
  ITSM_RETURN_IF_ERROR(ValidateCreate(request));
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, ReadPolicy(db_));
  ITSM_ASSIGN_OR_RETURN(
      CmdbFacts facts,
      GatherCmdbFacts(cmdb_, request.affected_service_ids(), request.configuration_item_ids(),
                      policy.conflict_rules().dependency_depth(), "affected_service_ids",
                      "configuration_item_ids"));
  ITSM_ASSIGN_OR_RETURN(
      facts.incident_ids,
      ResolveLinkedIds(linked_, LinkedKind::kIncident, request.incident_ids(), "incident_ids", {}));
  ITSM_ASSIGN_OR_RETURN(
      facts.problem_ids,
      ResolveLinkedIds(linked_, LinkedKind::kProblem, request.problem_ids(), "problem_ids", {}));
  return facts;
}

absl::StatusOr<CmdbFacts> ChangeManagement::GatherFor(const std::string& change_id,
                                                      const v1::UpdateChangeRequest* update) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(change_id, update ? "change.id" : "id"));
  if (update != nullptr) ITSM_RETURN_IF_ERROR(workflow_.ValidateUpdate(*update));
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(v1::Change stored, ChangeRepository::Get(*txn, change_id));
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(*txn));
  txn.reset();  // no transaction held while the CMDB answers
  v1::Change target = stored;
  std::string prefix;
  if (update != nullptr) {
    records::ApplyUpdateMask(update->update_mask(), update->change(), target);
    prefix = "change.";
  }
  std::set<std::string> held(stored.configuration_item_ids().begin(),
                             stored.configuration_item_ids().end());
  held.insert(stored.affected_service_ids().begin(), stored.affected_service_ids().end());
  ITSM_ASSIGN_OR_RETURN(
      CmdbFacts facts,
      GatherCmdbFacts(cmdb_, target.affected_service_ids(), target.configuration_item_ids(),
                      policy.conflict_rules().dependency_depth(), prefix + "affected_service_ids",
                      prefix + "configuration_item_ids", held));
  if (update != nullptr && MaskTouches(update->update_mask(), {"incident_ids"})) {
    ITSM_ASSIGN_OR_RETURN(
        facts.incident_ids,
        ResolveLinkedIds(linked_, LinkedKind::kIncident, target.incident_ids(),
                         "change.incident_ids",
                         {stored.incident_ids().begin(), stored.incident_ids().end()}));
  }
  if (update != nullptr && MaskTouches(update->update_mask(), {"problem_ids"})) {
    ITSM_ASSIGN_OR_RETURN(
        facts.problem_ids,
        ResolveLinkedIds(linked_, LinkedKind::kProblem, target.problem_ids(), "change.problem_ids",
                         {stored.problem_ids().begin(), stored.problem_ids().end()}));
  }
  return facts;
}

absl::StatusOr<v1::RiskAssessment> ChangeManagement::AssessNow(storage::Transaction& txn,
                                                               const v1::Change& change,
                                                               const v1::ChangePolicy& policy,
                                                               const CmdbFacts& facts) const {
  const absl::Time now = workflow_.Now();
  if (change.type() == v1::CHANGE_TYPE_STANDARD) {
    ITSM_ASSIGN_OR_RETURN(v1::ChangeTemplate tmpl, TemplateStore::Get(txn, change.template_id()));
    v1::RiskAssessment risk = TemplateRisk(tmpl, policy.version(), now);
    // The template fixes the level, not what the change reaches: freezes by business service
    // and the calendar's service filter see a standard change as any other.
    for (const ReachedService& s : facts.business_services) risk.add_business_service_ids(s.id);
    return risk;
  }
  RiskInputs in{.answers = change.risk_answers(), .business_services = facts.business_services};
  const absl::Duration lookback = absl::Hours(24) * policy.risk_weights().failure_lookback_days();
  ITSM_ASSIGN_OR_RETURN(
      FailureStats stats,
      ChangeRepository::RecentOutcomes(
          txn, {change.configuration_item_ids().begin(), change.configuration_item_ids().end()},
          change.id(), now - lookback));
  in.recent_changes = stats.changes;
  in.recent_failures = stats.failures;
  return AssessRisk(policy, in, now);
}

std::optional<CiWindowScope> ChangeManagement::WindowScopeOf(const std::string& ci_id) const {
  if (cmdb_ == nullptr || ci_id.empty()) return std::nullopt;
  google::protobuf::RepeatedPtrField<std::string> ids;
  ids.Add(std::string(ci_id));
  // Retired CIs included: their calendar is history.
  absl::StatusOr<CmdbFacts> facts =
      GatherCmdbFacts(cmdb_, {}, ids, 0, "service_id", "configuration_item_id", {ci_id});
  if (!facts.ok()) return std::nullopt;
  CiWindowScope scope{.ci_classes = std::move(facts->ci_classes)};
  for (const ReachedService& s : facts->business_services) scope.service_ids.insert(s.id);
  return scope;
}

absl::StatusOr<std::vector<v1::Conflict>> ChangeManagement::ConflictsNow(
    storage::Transaction& txn, const v1::Change& change, const v1::ChangePolicy& policy,
    const CmdbFacts& facts, bool implementing) const {
  ConflictFacts f{.subject = Planned(change),
                  .related = facts.related,
                  .group_double_booking = policy.conflict_rules().group_double_booking(),
                  .ci_names = facts.ci_names};
  if (!change.has_planned_start_time() || !change.has_planned_end_time()) {
    if (!implementing && change.state() != v1::CHANGE_STATE_IMPLEMENT) {
      ITSM_ASSIGN_OR_RETURN(f.major_incidents, MajorIncidentStore::On(txn, f.subject.ci_ids));
      return DetectConflicts(f);
    }
    // Implemented (or being implemented) without a plan: the freezes, windows and changes of
    // this moment. Others see it for as long as it may run (scheduled_slot.h); it is checked
    // against what holds now, since a freeze next week does not concern a fix of today.
    const absl::Time now = workflow_.Now();
    f.subject.slot = {now, now + absl::Seconds(1)};
  } else if (const absl::Time now = workflow_.Now();
             implementing && (now < f.subject.slot.start || now >= f.subject.slot.end)) {
    // Implemented outside its plan: what counts is when it really runs, for the plan's length
    // from now (a freeze today is not lifted by a slot planned for tomorrow).
    f.subject.slot = {now, now + (f.subject.slot.end - f.subject.slot.start)};
  }
  ITSM_ASSIGN_OR_RETURN(std::vector<v1::Change> others,
                        ChangeRepository::InSlot(txn, {.start = f.subject.slot.start,
                                                       .end = f.subject.slot.end,
                                                       .states = {std::begin(kScheduledStates),
                                                                  std::end(kScheduledStates)}}));
  for (const v1::Change& o : others) f.others.push_back(Planned(o));
  ITSM_ASSIGN_OR_RETURN(f.major_incidents, MajorIncidentStore::On(txn, f.subject.ci_ids));
  std::set<std::string> services(change.affected_service_ids().begin(),
                                 change.affected_service_ids().end());
  services.insert(change.risk().business_service_ids().begin(),
                  change.risk().business_service_ids().end());
  // And what the CMDB reaches now: a relationship added since the last assessment may put the
  // change under a freeze.
  for (const ReachedService& s : facts.business_services) services.insert(s.id);
  ITSM_ASSIGN_OR_RETURN(std::vector<v1::ChangeWindow> windows, WindowStore::List(txn, false));
  for (v1::ChangeWindow& w : windows) {
    if (!WindowCovers(w, services, facts.ci_classes)) continue;
    if (!InForceDuring(w, f.subject.slot)) continue;
    std::vector<Interval> occurrences = Occurrences(w, f.subject.slot.start, f.subject.slot.end);
    f.windows.push_back({std::move(w), std::move(occurrences)});
  }
  return DetectConflicts(f);
}

absl::Status ChangeManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::CreateChangeRequest& request,
                                      const CmdbFacts& facts, v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(ValidateCreate(request));
  ChangeWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(txn));
  std::optional<v1::ChangeTemplate> tmpl;
  if (!request.template_id().empty()) {
    ITSM_ASSIGN_OR_RETURN(tmpl, TemplateStore::Get(txn, request.template_id()));
    if (!tmpl->active()) {
      return absl::FailedPreconditionError(
          absl::StrCat("template_id: template \"", tmpl->name(),
                       "\" is not active (retired, or being prepared)"));
    }
    ITSM_RETURN_IF_ERROR(CheckNotOwnTemplate(txn, *tmpl, caller.actor));
  } else {
    ITSM_RETURN_IF_ERROR(CheckAnswers(policy, request.risk_answers(), "risk_answers"));
  }
  v1::Change change = NewChange(request, tmpl ? &*tmpl : nullptr, caller.actor, workflow_.Now());
  UseResolvedIds(facts, change);
  UseLinkedIds(facts, change);
  ITSM_RETURN_IF_ERROR(UseReleaseIds(txn, "release_ids", nullptr, change));
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(
               records::IdempotentCallOf(kCreateChange, request), std::move(change),
               [&](v1::Change& c) -> absl::Status {
                 ITSM_ASSIGN_OR_RETURN(*c.mutable_risk(), AssessNow(txn, c, policy, facts));
                 if (c.type() == v1::CHANGE_TYPE_STANDARD) {
                   *c.mutable_approval() = StartApproval(policy, c, workflow_.Now());
                 }
                 ITSM_ASSIGN_OR_RETURN(std::vector<v1::Conflict> found,
                                       ConflictsNow(txn, c, policy, facts));
                 ChangeWorkflow::SetConflicts(c, found);
                 return CheckChangeSize(nullptr, c, /*by_service=*/false);
               },
               [&](const v1::Change& c) { return workflow_.Created(c, caller.actor); }));
  return absl::OkStatus();
}

absl::Status ChangeManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::UpdateChangeRequest& request,
                                      const CmdbFacts& facts, v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateUpdate(request));
  ChangeWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(txn));
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(
          request.change().id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
            ITSM_ASSIGN_OR_RETURN(v1::Change after, workflow_.Update(stored, request));
            const auto& mask = request.update_mask();
            UseLinkedIds(facts, after);
            if (MaskTouches(mask, {"release_ids"})) {
              ITSM_RETURN_IF_ERROR(UseReleaseIds(txn, "change.release_ids", &stored, after));
            }
            if (MaskTouches(mask, kRiskInputs)) {
              ITSM_RETURN_IF_ERROR(
                  CheckAnswers(policy, after.risk_answers(), "change.risk_answers"));
              UseResolvedIds(facts, after);
              ITSM_ASSIGN_OR_RETURN(*after.mutable_risk(), AssessNow(txn, after, policy, facts));
            }
            if (MaskTouches(mask, kConflictInputs)) {
              ITSM_ASSIGN_OR_RETURN(std::vector<v1::Conflict> found,
                                    ConflictsNow(txn, after, policy, facts));
              ChangeWorkflow::SetConflicts(after, found);
            }
            return workflow_.Finish(stored, std::move(after), "update", caller.actor);
          }));
  return absl::OkStatus();
}

// An IMPLEMENT outside the planned slot refused for what implementing now meets: an override
// accepts the conflicts of a slot, and these are of none, so the refusal says the way through —
// a slot from now, whose conflicts a change manager can then override (decision 272).
absl::Status ChangeManagement::OutsideThePlan(const v1::Change& stored,
                                              const v1::TransitionChangeRequest& request,
                                              const absl::Status& refusal) const {
  if (request.target_state() != v1::CHANGE_STATE_IMPLEMENT ||
      !OutsideItsSlot(stored, workflow_.Now()) ||
      !absl::StartsWith(refusal.message(), "conflicts:")) {
    return refusal;
  }
  const absl::Time start = base::FromProtoTimestamp(stored.planned_start_time());
  const absl::Time end = base::FromProtoTimestamp(stored.planned_end_time());
  return absl::Status(
      refusal.code(),
      absl::StrCat(refusal.message(), "; implementing now is outside the planned slot (",
                   base::FormatRfc3339(start), "..", base::FormatRfc3339(end),
                   "): schedule the change from now (ScheduleChange) and have a change manager "
                   "override that slot's conflicts, or implement within the plan"));
}

absl::Status ChangeManagement::Transition(storage::Transaction& txn, const base::Caller& caller,
                                          const v1::TransitionChangeRequest& request,
                                          const CmdbFacts& facts, v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateTransition(request));
  ChangeWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(txn));
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(request.id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
        v1::Change current = stored;
        // An override accepted the conflicts of the planned slot: implementing outside it is
        // another slot and another decision, whatever its conflicts are called (found from
        // outside: an override of a slot outside the maintenance windows, days ahead, let the
        // change start at once outside them too).
        if (request.target_state() == v1::CHANGE_STATE_IMPLEMENT &&
            OutsideItsSlot(stored, workflow_.Now())) {
          current.clear_conflict_override_reason();
          current.clear_conflict_override_by();
        }
        // Scheduling decides on the conflicts as they are now, not as they were found.
        if (request.target_state() == v1::CHANGE_STATE_SCHEDULED ||
            request.target_state() == v1::CHANGE_STATE_IMPLEMENT) {
          ITSM_ASSIGN_OR_RETURN(std::vector<v1::Conflict> found,
                                ConflictsNow(txn, current, policy, facts,
                                             request.target_state() == v1::CHANGE_STATE_IMPLEMENT));
          ChangeWorkflow::SetConflicts(current, found);
        }
        absl::StatusOr<v1::Change> after = workflow_.Transition(current, request, policy);
        if (!after.ok()) return OutsideThePlan(stored, request, after.status());
        return workflow_.Finish(
            stored, *std::move(after),
            absl::StrCat("transition:", ChangeStateName(request.target_state())), caller.actor);
      }));
  return absl::OkStatus();
}

absl::Status ChangeManagement::Assess(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::AssessChangeRequest& request,
                                      const CmdbFacts& facts, v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  ChangeWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(txn));
  ITSM_RETURN_IF_ERROR(CheckAnswers(policy, request.risk_answers(), "risk_answers"));
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(request.id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
        ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
        if (!IsOpen(stored.state())) {
          return absl::FailedPreconditionError(
              "state: closed and cancelled changes keep their risk");
        }
        if (stored.type() == v1::CHANGE_TYPE_STANDARD && !request.risk_answers().empty()) {
          return absl::FailedPreconditionError(
              "risk_answers: a standard change's risk is its template's");
        }
        // From AUTHORISE on, no answers means the stored ones (a re-score after the CMDB moved).
        const bool stored_answers = UnderApproval(stored.state()) && request.risk_answers().empty();
        if (UnderApproval(stored.state()) && !stored_answers && !SameAnswers(stored, request)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "risk_answers: fixed from AUTHORISE on, since the approval covers them (the change "
              "is ",
              ChangeStateName(stored.state()),
              "); re-assess with the stored answers, or in AUTHORISE move it back to ASSESS"));
        }
        v1::Change after = stored;
        if (stored.type() != v1::CHANGE_TYPE_STANDARD && !stored_answers) {
          *after.mutable_risk_answers() = request.risk_answers();
        }
        UseResolvedIds(facts, after);
        ITSM_ASSIGN_OR_RETURN(v1::RiskAssessment risk, AssessNow(txn, after, policy, facts));
        // The instant alone is no change: an unchanged assessment writes nothing.
        if (stored.has_risk()) {
          v1::RiskAssessment same = risk;
          *same.mutable_assess_time() = stored.risk().assess_time();
          if (same.SerializeAsString() == stored.risk().SerializeAsString()) risk = same;
        }
        *after.mutable_risk() = std::move(risk);
        workflow_.RenewApprovalIfRiskMovedIt(policy, stored, after);
        return workflow_.Finish(stored, std::move(after), "assess", caller.actor);
      }));
  return absl::OkStatus();
}

absl::Status ChangeManagement::Schedule(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::ScheduleChangeRequest& request,
                                        const CmdbFacts& facts, v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateSchedule(request));
  ChangeWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(txn));
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(request.id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
        ITSM_ASSIGN_OR_RETURN(v1::Change after, workflow_.Schedule(stored, request));
        ITSM_ASSIGN_OR_RETURN(std::vector<v1::Conflict> found,
                              ConflictsNow(txn, after, policy, facts));
        ChangeWorkflow::SetConflicts(after, found);
        return workflow_.Finish(stored, std::move(after), "schedule", caller.actor);
      }));
  return absl::OkStatus();
}

absl::Status ChangeManagement::Decide(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::DecideChangeApprovalRequest& request,
                                      v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateDecision(request));
  ChangeWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(request.id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
        v1::ApprovalVote vote;
        ITSM_ASSIGN_OR_RETURN(const std::vector<std::string> former, FormerAssignees(txn, stored));
        ITSM_ASSIGN_OR_RETURN(v1::Change after,
                              workflow_.Decide(stored, request, caller, vote, former));
        ITSM_RETURN_IF_ERROR(CheckNotAssignedSinceRequest(stored, former, caller.actor));
        const char* action =
            request.decision() == v1::APPROVAL_DECISION_APPROVE ? "approve" : "reject";
        return workflow_.Finish(stored, std::move(after), action, caller.actor, vote);
      }));
  return absl::OkStatus();
}

absl::Status ChangeManagement::Override(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::OverrideChangeConflictsRequest& request,
                                        const CmdbFacts& facts, v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateOverride(request));
  ChangeWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(txn));
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(request.id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
        // The override accepts the conflicts as they are now, those the next step will check:
        // for a change without a slot (an emergency change), those of implementing it now — a
        // freeze or a window IMPLEMENT refuses, found at that moment and stored by no schedule.
        v1::Change current = stored;
        if (IsOpen(stored.state())) {
          ITSM_ASSIGN_OR_RETURN(std::vector<v1::Conflict> found,
                                ConflictsNow(txn, current, policy, facts,
                                             /*implementing=*/!stored.has_planned_start_time()));
          ChangeWorkflow::SetConflicts(current, found);
        }
        ITSM_ASSIGN_OR_RETURN(v1::Change after, workflow_.Override(current, request, caller.actor));
        return workflow_.Finish(stored, std::move(after), "override_conflicts", caller.actor);
      }));
  return absl::OkStatus();
}

absl::Status ChangeManagement::AddTask(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::AddChangeTaskRequest& request,
                                       v1::AddChangeTaskResponse& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateAddTask(request));
  ChangeWork work(txn, caller, ChangeEvents());
  v1::ChangeTask task;
  ITSM_ASSIGN_OR_RETURN(
      *out.mutable_change(),
      work.Modify(
          request.change_id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
            ITSM_ASSIGN_OR_RETURN(v1::Change after, workflow_.AddTask(stored, request, task));
            return workflow_.Finish(stored, std::move(after), "add_task", caller.actor);
          }));
  *out.mutable_task() = std::move(task);
  return absl::OkStatus();
}

absl::Status ChangeManagement::UpdateTask(storage::Transaction& txn, const base::Caller& caller,
                                          const v1::UpdateChangeTaskRequest& request,
                                          v1::UpdateChangeTaskResponse& out) const {
  ITSM_RETURN_IF_ERROR(workflow_.ValidateUpdateTask(request));
  ChangeWork work(txn, caller, ChangeEvents());
  v1::ChangeTask task;
  ITSM_ASSIGN_OR_RETURN(
      *out.mutable_change(),
      work.Modify(
          request.change_id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
            ITSM_ASSIGN_OR_RETURN(v1::Change after, workflow_.UpdateTask(stored, request, task));
            return workflow_.Finish(stored, std::move(after), "update_task", caller.actor);
          }));
  *out.mutable_task() = std::move(task);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ChangeManagement::LinkCausedIncident(
    storage::Transaction& txn, const IncidentSeen& incident, const std::vector<SuspectCi>& suspects,
    absl::Duration window, const std::map<std::string, std::string>& ci_names) const {
  static const base::Caller kCaller{.actor = kServiceActor, .request_id = "incident-events"};
  std::set<std::string> considered;
  std::vector<std::string> linked;
  for (const SuspectCi& suspect : suspects) {
    ITSM_ASSIGN_OR_RETURN(
        std::vector<v1::Change> candidates,
        ChangeRepository::ImplementedOn(txn, suspect.ci_id, incident.create_time - window));
    for (const v1::Change& candidate : candidates) {
      if (!considered.insert(candidate.id()).second) continue;
      std::optional<v1::CausedIncident> link =
          CauseOf(candidate, incident, suspects, window, ci_names, workflow_.Now());
      if (!link || !WithLink(candidate, *link)) continue;
      ChangeWork work(txn, kCaller, ChangeEvents());
      absl::StatusOr<v1::Change> out = work.Modify(
          candidate.id(), [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
            std::optional<v1::Change> after = WithLink(stored, *link);
            if (!after) return workflow_.Finish(stored, stored, "link_incident", kServiceActor);
            return workflow_.Finish(stored, *std::move(after), "link_incident", kServiceActor);
          });
      // A change past even the room kept for the service's writes keeps its record whole rather
      // than block the topic, and says so; the rule's other errors are the transaction's.
      if (absl::IsFailedPrecondition(out.status())) {
        runtime::log::Warn("an incident possibly caused by a change could not be linked to it",
                           {{"change_id", candidate.id()},
                            {"incident_id", incident.id},
                            {"error", out.status().ToString()}});
        continue;
      }
      ITSM_RETURN_IF_ERROR(out.status());
      linked.push_back(candidate.number());
    }
  }
  return linked;
}

absl::StatusOr<std::optional<v1::Change>> ChangeManagement::Recheck(storage::Transaction& txn,
                                                                    const std::string& change_id,
                                                                    const CmdbFacts& facts) const {
  static const base::Caller kCaller{.actor = kServiceActor, .request_id = "recheck"};
  ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(txn));
  bool differed = false;
  ChangeWork work(txn, kCaller, ChangeEvents());
  absl::StatusOr<v1::Change> out =
      work.Modify(change_id, [&](const v1::Change& stored) -> absl::StatusOr<ChangeOutcome> {
        v1::Change after = stored;
        if (std::find(std::begin(kRecheckedStates), std::end(kRecheckedStates), stored.state()) !=
            std::end(kRecheckedStates)) {
          ITSM_ASSIGN_OR_RETURN(std::vector<v1::Conflict> found,
                                ConflictsNow(txn, stored, policy, facts));
          differed = !SameConflicts(stored.conflicts(), found);
          if (differed) ChangeWorkflow::SetConflicts(after, found);
        }
        return workflow_.Finish(stored, std::move(after), "recheck_conflicts", kServiceActor);
      });
  if (absl::IsNotFound(out.status())) return std::nullopt;
  // Too large even with the room kept for the service's writes: left as it was, and said (a
  // transaction's failure would stall the topic behind one change).
  if (absl::IsFailedPrecondition(out.status())) {
    runtime::log::Warn("a change's conflict re-check was refused; the change is left as it was",
                       {{"change_id", change_id}, {"error", out.status().ToString()}});
    return std::nullopt;
  }
  ITSM_RETURN_IF_ERROR(out.status());
  if (!differed) return std::nullopt;
  return *std::move(out);
}

absl::Status ChangeManagement::Get(storage::Transaction& txn, const v1::GetChangeRequest& request,
                                   v1::Change& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(out, ChangeRepository::Get(txn, request.id()));
  return absl::OkStatus();
}

absl::Status ChangeManagement::List(storage::Transaction& txn,
                                    const v1::ListChangesRequest& request,
                                    v1::ListChangesResponse& out) const {
  // A template is named by id or name, like when a change is raised from it; the changes store
  // its id. An unknown one is refused rather than answered with an empty page.
  v1::ListChangesRequest resolved = request;
  if (!request.template_id().empty()) {
    absl::StatusOr<v1::ChangeTemplate> tmpl = TemplateStore::Get(txn, request.template_id());
    if (absl::IsNotFound(tmpl.status())) {
      return absl::InvalidArgumentError(tmpl.status().message());
    }
    ITSM_RETURN_IF_ERROR(tmpl.status());
    resolved.set_template_id(tmpl->id());
  }
  ITSM_ASSIGN_OR_RETURN(ChangePage page, ChangeRepository::List(txn, resolved));
  for (auto& c : page.changes) *out.add_changes() = std::move(c);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status ChangeManagement::History(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::GetChangeHistoryRequest& request,
                                       v1::GetChangeHistoryResponse& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  // A change or a release is named by id or number, a template by id or name, windows and the
  // policy by id. The trails of the kinds fewer roles may read hold those records whole: read
  // by those who may read them. A kind the caller may not read is not even looked for, so that
  // the answer never tells one of its records that exists from one that does not.
  std::string record_id;
  if (auto change = ChangeRepository::Get(txn, request.id()); change.ok()) {
    record_id = change->id();
  } else if (!absl::IsNotFound(change.status())) {
    return change.status();
  } else if (auto release = ReleaseStore::Get(txn, request.id()); release.ok()) {
    record_id = release->id();
  } else if (!absl::IsNotFound(release.status())) {
    return release.status();
  } else if (request.id() == kPolicyId) {
    ITSM_RETURN_IF_ERROR(auth::CheckCallerMayAlsoCall(caller, kGetChangePolicy));
    record_id = kPolicyId;
  }
  const bool may_read_windows = auth::CheckCallerMayAlsoCall(caller, kListChangeWindows).ok();
  const bool may_read_templates = auth::CheckCallerMayAlsoCall(caller, kGetChangeTemplate).ok();
  if (record_id.empty() && may_read_windows) {
    absl::StatusOr<v1::ChangeWindow> window = WindowStore::Get(txn, request.id());
    if (window.ok()) {
      record_id = window->id();
    } else if (!absl::IsNotFound(window.status())) {
      return window.status();
    }
  }
  if (record_id.empty() && may_read_templates) {
    absl::StatusOr<v1::ChangeTemplate> tmpl = TemplateStore::Get(txn, request.id());
    if (tmpl.ok()) {
      record_id = tmpl->id();
    } else if (!absl::IsNotFound(tmpl.status())) {
      return tmpl.status();
    }
  }
  if (record_id.empty()) {
    // Named as the kinds looked for: the same answer for a record of another kind and for none.
    const char* kinds = may_read_windows && may_read_templates
                            ? "change, release, change template or window"
                        : may_read_templates ? "change, release or change template"
                        : may_read_windows   ? "change, release or change window"
                                             : "change or release";
    return absl::NotFoundError(absl::StrCat("id: no ", kinds, " \"", request.id(), "\""));
  }
  return records::AuditTrail::ReadInto(txn, kGetChangeHistory, request, record_id, out);
}

}  // namespace itsm::change
