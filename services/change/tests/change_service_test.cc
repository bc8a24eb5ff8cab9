// The change service through its gRPC API (change_service_fixture.h).
#include "gmock/gmock.h"
#include "services/change/tests/change_service_fixture.h"

namespace itsm::change {
namespace {

// The "done when", up to the incident link: assessment from the CMDB, CAB approval,
// a dependency conflict shown and overridden, implementation, a failed outcome and its review,
// all in the history and as events.
TEST_P(ChangeServiceTest, NormalChangeFromAssessmentThroughCabConflictAndReview) {
  v1::CreateChangeRequest ra = Normal("Upgrade the billing database", {"db-01"});
  v1::RiskAnswer* answer = ra.add_risk_answers();
  answer->set_question_id("outage");
  answer->set_answer_id("full");
  v1::Change a = Create(ra);
  EXPECT_EQ(a.number(), "CHG0000001");
  // 4 (full outage) + 1 service reached + 5 (CRITICAL) = 10: HIGH.
  EXPECT_EQ(a.risk().level(), v1::RISK_LEVEL_HIGH);
  ASSERT_EQ(a.risk().business_service_ids_size(), 1);
  EXPECT_EQ(a.risk().business_service_ids(0), "billing");

  v1::Change b = Create(Normal("Patch the application server", {"app-01"}));
  b = To(To(b, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  b = Schedule(b, 10, 12);
  EXPECT_TRUE(b.conflicts().empty());

  a = To(To(a, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  EXPECT_EQ(a.approval().policy_name(), "high risk: change manager, then CAB");
  a = Decide(a, "cm", v1::APPROVAL_DECISION_APPROVE);
  EXPECT_EQ(a.approval().outcome(), v1::APPROVAL_OUTCOME_PENDING);
  EXPECT_EQ(a.approval().current_level(), 1);
  a = Decide(a, "cab-1", v1::APPROVAL_DECISION_APPROVE);
  EXPECT_EQ(a.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);

  a = Schedule(a, 11, 13);
  ASSERT_EQ(a.conflicts_size(), 1);
  EXPECT_EQ(a.conflicts(0).kind(), v1::CONFLICT_KIND_DEPENDENT_CI);
  EXPECT_EQ(a.conflicts(0).other_id(), b.id());
  EXPECT_EQ(std::vector<std::string>(a.conflicts(0).path().begin(), a.conflicts(0).path().end()),
            (std::vector<std::string>{"db-01", "app-01"}));
  To(a, v1::CHANGE_STATE_SCHEDULED, grpc::StatusCode::FAILED_PRECONDITION);
  a = To(Override(a, "the application team is on the call"), v1::CHANGE_STATE_SCHEDULED);
  a = To(a, v1::CHANGE_STATE_IMPLEMENT);
  EXPECT_TRUE(a.has_actual_start_time());
  a = To(a, v1::CHANGE_STATE_REVIEW, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_FAILED);
  To(a, v1::CHANGE_STATE_CLOSED, grpc::StatusCode::FAILED_PRECONDITION);
  a = To(a, v1::CHANGE_STATE_CLOSED, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_UNSPECIFIED,
         "Lock contention; backed out at 12:40");
  EXPECT_EQ(a.state(), v1::CHANGE_STATE_CLOSED);

  v1::GetChangeHistoryRequest h;
  h.set_id(a.number());
  v1::GetChangeHistoryResponse history;
  ASSERT_TRUE(Call(&Stub::GetChangeHistory, h, &history).ok());
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.action());
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "create", "transition:ASSESS", "transition:AUTHORISE", "approve",
                         "approve", "schedule", "override_conflicts", "transition:SCHEDULED",
                         "transition:IMPLEMENT", "transition:REVIEW", "transition:CLOSED"}));
  EXPECT_EQ(history.entries(3).actor(), "cm");
  // An id that names no record is NOT_FOUND, as in every other history call, not an empty
  // trail; the policy has one before its first change.
  h.set_id("CHG9999999");
  grpc::Status missing = Call(&Stub::GetChangeHistory, h, &history);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(),
            "id: no change, release, change template or window \"CHG9999999\"");
  h.set_id("policy");
  v1::GetChangeHistoryResponse policy_history;
  ASSERT_TRUE(Call(&Stub::GetChangeHistory, h, &policy_history).ok());
  EXPECT_EQ(policy_history.entries_size(), 0);

  const std::vector<std::string> types = EventTypes(a.id());
  EXPECT_EQ(types.front(), "ChangeCreated");
  for (const char* expected :
       {"ChangeApprovalDecided", "ChangeScheduleChanged", "ChangeConflictsChanged",
        "ChangeConflictsOverridden", "ChangeStateChanged"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), expected), types.end()) << expected;
  }
  prometheus::Registry registry;
  servicedb::StoreGauges gauges(*db_, registry, ChangeStoreGauges(), absl::Seconds(15),
                                base::SystemClock::Get());
  EXPECT_EQ(gauges.ValueOf("itsm_change_changes", {"CLOSED"}), 0);
  ASSERT_TRUE(gauges.Refresh().ok());
  EXPECT_EQ(gauges.ValueOf("itsm_change_changes", {"CLOSED"}), 1);
  EXPECT_EQ(gauges.ValueOf("itsm_change_changes", {"AUTHORISE"}), 1);
}

// Found from outside: a supplier manager, who may not read templates, was told 403 for a
// template's name and 404 for a name never used, and so could confirm guessed names.
TEST_P(ChangeServiceTest, AHistoryNeverTellsWhetherARecordTheCallerMayNotReadExists) {
  v1::CreateChangeTemplateRequest t;
  t.mutable_template_()->set_name("Secret template");
  t.mutable_template_()->set_implementation_plan("plan");
  t.mutable_template_()->set_risk_level(v1::RISK_LEVEL_LOW);
  v1::CreateChangeTemplateResponse tmpl;
  ASSERT_TRUE(Call(&Stub::CreateChangeTemplate, t, &tmpl, "cm").ok());
  v1::CreateChangeWindowRequest w;
  w.mutable_window()->set_name("Secret freeze");
  w.mutable_window()->set_kind(v1::WINDOW_KIND_BLACKOUT);
  w.mutable_window()->set_time_zone("UTC");
  w.mutable_window()->set_start_local_time("00:00");
  w.mutable_window()->set_duration_minutes(60);
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());

  auto history = [&](const std::string& id, std::vector<std::string> roles) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    v1::GetChangeHistoryRequest request;
    request.set_id(id);
    v1::GetChangeHistoryResponse out;
    return changes_->History(**txn, base::Caller{.actor = "someone", .roles = roles}, request, out);
  };
  // Neither templates nor windows: the same answer for what exists and what does not.
  for (const std::string& id : {std::string("secret template"), tmpl.template_().id(),
                                window.window().id(), std::string("no such name")}) {
    const absl::Status missing = history(id, {"supplier_manager"});
    EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << id << " " << missing;
    EXPECT_EQ(missing.message(), absl::StrCat("id: no change or release \"", id, "\""));
  }
  // Templates but not windows: a window is not found, as a window that never was.
  EXPECT_TRUE(history(tmpl.template_().id(), {"problem_manager"}).ok());
  for (const std::string& id : {window.window().id(), std::string("no such name")}) {
    const absl::Status missing = history(id, {"problem_manager"});
    EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << id << " " << missing;
    EXPECT_EQ(missing.message(),
              absl::StrCat("id: no change, release or change template \"", id, "\""));
  }
  // Both: each found; the unknown one not.
  EXPECT_TRUE(history(window.window().id(), {"change_manager"}).ok());
  EXPECT_TRUE(history("SECRET TEMPLATE", {"change_manager"}).ok());
  EXPECT_EQ(history("no such name", {"change_manager"}).code(), absl::StatusCode::kNotFound);
}

TEST_P(ChangeServiceTest, StandardChangeFromTemplateIsPreApprovedWithTheTemplatesPlanAndRisk) {
  v1::CreateChangeTemplateRequest t;
  t.mutable_template_()->set_name("Restart the app pool");
  t.mutable_template_()->set_implementation_plan("iisreset /restart");
  t.mutable_template_()->set_risk_level(v1::RISK_LEVEL_LOW);
  v1::CreateChangeTemplateResponse created;
  ASSERT_TRUE(Call(&Stub::CreateChangeTemplate, t, &created, "cm").ok());
  v1::CreateChangeRequest r;
  r.set_template_id("restart the app pool");  // by name, any case
  r.set_implementation_plan("something else");
  r.add_configuration_item_ids("app-01");
  // Whoever wrote the template would pre-approve their own change with it (in any case).
  v1::CreateChangeResponse own;
  const grpc::Status own_refused = Call(&Stub::CreateChange, r, &own, "CM");
  EXPECT_EQ(own_refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(own_refused.error_message().substr(0, 29), "template_id: CM wrote templat")
      << own_refused.error_message();
  v1::UpdateChangeTemplateRequest edit;
  *edit.mutable_template_() = created.template_();
  edit.mutable_template_()->set_test_plan("check the pool answers");
  edit.mutable_update_mask()->add_paths("test_plan");
  v1::UpdateChangeTemplateResponse edited;
  ASSERT_TRUE(Call(&Stub::UpdateChangeTemplate, edit, &edited, "cm2").ok());
  EXPECT_EQ(Call(&Stub::CreateChange, r, &own, "cm2").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Change c = Create(r);
  EXPECT_EQ(c.type(), v1::CHANGE_TYPE_STANDARD);
  EXPECT_EQ(c.title(), "Restart the app pool");
  EXPECT_EQ(c.implementation_plan(), "iisreset /restart");
  EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_PRE_APPROVED);
  EXPECT_EQ(c.risk().level(), v1::RISK_LEVEL_LOW);
  c = Schedule(c, 1, 2);
  c = To(c, v1::CHANGE_STATE_SCHEDULED);
  EXPECT_EQ(c.state(), v1::CHANGE_STATE_SCHEDULED);
  Create(Normal("Not from the template", {}));
  // The changes raised from a template are listed by its name (any case) as by its id; an
  // unknown template is refused rather than answered with an empty page.
  for (const std::string& given : {std::string("RESTART the app pool"), created.template_().id()}) {
    v1::ListChangesRequest list;
    list.set_template_id(given);
    v1::ListChangesResponse listed;
    ASSERT_TRUE(Call(&Stub::ListChanges, list, &listed).ok()) << given;
    ASSERT_EQ(listed.changes_size(), 1) << given;
    EXPECT_EQ(listed.changes(0).id(), c.id());
  }
  v1::ListChangesRequest unknown;
  unknown.set_template_id("Reboot the moon");
  v1::ListChangesResponse none;
  grpc::Status refused = Call(&Stub::ListChanges, unknown, &none);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "template_id: no change template \"Reboot the moon\"");
}

// A change SLA's coverage matches the category exactly: a blank or padded one would leave the
// change without its SLA, so it is refused naming the field, and nothing is written.
TEST_P(ChangeServiceTest, ACategoryIsRefusedBlankOrPaddedOnCreateEditAndTemplate) {
  const int64_t changes = Count("changes");
  const int64_t events = Count("outbox");
  for (const std::string& category :
       {std::string("   "), std::string(" database"), std::string("database\u00a0")}) {
    v1::CreateChangeRequest r = Normal("Upgrade the database", {});
    r.set_category(category);
    v1::CreateChangeResponse out;
    const grpc::Status refused = Call(&Stub::CreateChange, r, &out);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << category;
    EXPECT_EQ(refused.error_message().rfind("category: ", 0), 0u) << refused.error_message();
  }
  EXPECT_EQ(Count("changes"), changes);
  EXPECT_EQ(Count("outbox"), events);

  v1::CreateChangeRequest fine = Normal("Upgrade the database", {});
  fine.set_category("database");
  const v1::Change c = Create(fine);
  v1::UpdateChangeRequest edit;
  edit.mutable_change()->set_id(c.id());
  edit.mutable_change()->set_version(c.version());
  edit.mutable_change()->set_category("database ");
  edit.mutable_update_mask()->add_paths("category");
  v1::UpdateChangeResponse edited;
  const grpc::Status edit_refused = Call(&Stub::UpdateChange, edit, &edited);
  EXPECT_EQ(edit_refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(edit_refused.error_message().rfind("change.category: ", 0), 0u)
      << edit_refused.error_message();

  v1::CreateChangeTemplateRequest t;
  t.mutable_template_()->set_name("Patch the database");
  t.mutable_template_()->set_implementation_plan("apt-get upgrade postgresql");
  t.mutable_template_()->set_risk_level(v1::RISK_LEVEL_LOW);
  t.mutable_template_()->set_category("  ");
  v1::CreateChangeTemplateResponse tmpl;
  const grpc::Status template_refused = Call(&Stub::CreateChangeTemplate, t, &tmpl, "cm");
  EXPECT_EQ(template_refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(template_refused.error_message().rfind("template.category: ", 0), 0u)
      << template_refused.error_message();
}

TEST_P(ChangeServiceTest, RejectedChangeCannotBeScheduled) {
  v1::Change c = Create(Normal("Change the firewall", {}));
  c = To(To(c, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  c = Decide(c, "cm", v1::APPROVAL_DECISION_REJECT);
  EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_REJECTED);
  c = Schedule(c, 1, 2);
  To(c, v1::CHANGE_STATE_SCHEDULED, grpc::StatusCode::FAILED_PRECONDITION);
}

// The approval covers the risk answers: from AUTHORISE on, a re-assessment keeps them (it may
// re-score against the CMDB) and cannot clear or replace them.
TEST_P(ChangeServiceTest, AnApprovedChangesRiskAnswersCannotBeReassessedAway) {
  v1::CreateChangeRequest create = Normal("Upgrade the billing database", {"db-01"});
  v1::RiskAnswer* answer = create.add_risk_answers();
  answer->set_question_id("outage");
  answer->set_answer_id("full");
  v1::Change c = To(To(Create(create), v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  c = Decide(c, "cm", v1::APPROVAL_DECISION_APPROVE);
  c = Decide(c, "cab-1", v1::APPROVAL_DECISION_APPROVE);
  ASSERT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);

  v1::AssessChangeRequest other;
  other.set_id(c.id());
  other.set_version(c.version());
  v1::RiskAnswer* milder = other.add_risk_answers();
  milder->set_question_id("outage");
  milder->set_answer_id("no");
  v1::AssessChangeResponse out;
  grpc::Status s = Call(&Stub::AssessChange, other, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message().rfind("risk_answers: fixed from AUTHORISE on", 0), 0u)
      << s.error_message();

  // No answers re-scores with the stored ones (the CMDB may have moved), as the same ones do.
  for (const bool resend : {false, true}) {
    v1::AssessChangeRequest again = other;
    again.clear_risk_answers();
    if (resend) *again.mutable_risk_answers() = c.risk_answers();
    s = Call(&Stub::AssessChange, again, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.change().risk_answers_size(), 1);
    EXPECT_EQ(out.change().risk().level(), v1::RISK_LEVEL_HIGH);
    EXPECT_EQ(out.change().approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);
  }
}

// Approved under the medium-risk policy, then re-assessed HIGH because the CMDB now has a critical
// business service depend on its CI: the change manager's approval was not the CAB's, so the
// approval starts again under the high-risk policy and the change waits in AUTHORISE for it.
TEST_P(ChangeServiceTest, ARiskThatMovesAnApprovedChangeUnderAnotherPolicyAsksForApprovalAgain) {
  cmdb_.Add("srv-9", "server");
  v1::CreateChangeRequest create = Normal("Patch the server", {"srv-9"});
  v1::RiskAnswer* answer = create.add_risk_answers();
  answer->set_question_id("outage");
  answer->set_answer_id("full");
  v1::Change c = To(To(Create(create), v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  ASSERT_EQ(c.risk().level(), v1::RISK_LEVEL_MEDIUM);
  const std::string medium_policy = c.approval().policy_name();
  c = Decide(c, "cm", v1::APPROVAL_DECISION_APPROVE);
  ASSERT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);
  c = To(Schedule(c, 1, 2), v1::CHANGE_STATE_SCHEDULED);

  cmdb_.DependsOn("db-01", "srv-9");  // billing -> app-01 -> db-01 -> srv-9
  v1::AssessChangeRequest again;
  again.set_id(c.id());
  again.set_version(c.version());
  v1::AssessChangeResponse out;
  grpc::Status s = Call(&Stub::AssessChange, again, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  c = out.change();
  EXPECT_EQ(c.risk().level(), v1::RISK_LEVEL_HIGH);
  EXPECT_EQ(c.state(), v1::CHANGE_STATE_AUTHORISE);
  EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_PENDING);
  EXPECT_NE(c.approval().policy_name(), medium_policy);
  To(c, v1::CHANGE_STATE_SCHEDULED, grpc::StatusCode::FAILED_PRECONDITION);
  // Re-assessed again without a change of risk: the new approval stands.
  again.set_version(c.version());
  ASSERT_TRUE(Call(&Stub::AssessChange, again, &out).ok());
  EXPECT_EQ(out.change().approval().policy_name(), c.approval().policy_name());
}

// The assignee cannot step out of segregation of duties by un-assigning themselves while the
// approval is asked for: whoever was assigned since the request may not decide it.
TEST_P(ChangeServiceTest, AnAssigneeWhoUnassignsThemselvesStillMayNotDecide) {
  v1::CreateChangeRequest create = Normal("Tune the application", {"app-01"});
  create.set_assignee("cm");
  v1::Change c = To(To(Create(create), v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  v1::UpdateChangeRequest unassign;
  unassign.mutable_change()->set_id(c.id());
  unassign.mutable_change()->set_version(c.version());
  unassign.mutable_update_mask()->add_paths("assignee");
  v1::UpdateChangeResponse updated;
  grpc::Status s = Call(&Stub::UpdateChange, unassign, &updated, "cm");
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::DecideChangeApprovalRequest decide;
  decide.set_id(c.id());
  decide.set_version(updated.change().version());
  decide.set_decision(v1::APPROVAL_DECISION_APPROVE);
  decide.set_comment("fine");
  v1::DecideChangeApprovalResponse decided;
  s = Call(&Stub::DecideChangeApproval, decide, &decided, "cm");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(),
            "decision: cm was assigned to this change while its approval was asked for and may "
            "not decide it (segregation of duties; the change policy's allow_self_approval)");
  // Someone never assigned to it decides as before.
  c = updated.change();
  c = Decide(c, "cm-2", v1::APPROVAL_DECISION_APPROVE);
  EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);
}

// A template or window created with "active": false starts inactive: a template not yet meant
// for use makes no pre-approved changes, a window not yet in force blocks nothing.
TEST_P(ChangeServiceTest, TemplatesAndWindowsCreatedInactiveStayInactive) {
  v1::CreateChangeTemplateRequest t;
  t.mutable_template_()->set_name("Draft: rotate certificates");
  t.mutable_template_()->set_implementation_plan("certbot renew");
  t.mutable_template_()->set_risk_level(v1::RISK_LEVEL_LOW);
  t.mutable_template_()->set_active(false);
  v1::CreateChangeTemplateResponse created;
  ASSERT_TRUE(Call(&Stub::CreateChangeTemplate, t, &created, "cm").ok());
  EXPECT_FALSE(created.template_().active());
  v1::CreateChangeRequest r;
  r.set_template_id(created.template_().id());
  r.add_configuration_item_ids("app-01");
  Create(r, grpc::StatusCode::FAILED_PRECONDITION);

  v1::CreateChangeWindowRequest w = NightlyFreeze("Next quarter's freeze\u00a0");
  w.mutable_window()->set_active(false);
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  EXPECT_FALSE(window.window().active());
  EXPECT_EQ(window.window().name(), "Next quarter's freeze") << "blanks around, invisible too, go";

  // A name with an invisible character around it is the same name: no look-alike twin.
  t.mutable_template_()->set_name("\u200bDraft: rotate certificates\ufeff");
  v1::CreateChangeTemplateResponse twin;
  EXPECT_EQ(Call(&Stub::CreateChangeTemplate, t, &twin, "cm").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_P(ChangeServiceTest, BlackoutWindowsAndSameCiConflicts) {
  v1::CreateChangeWindowRequest w = NightlyFreeze("Quarter-end freeze");
  w.mutable_window()->add_service_ids("billing");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  v1::Change first = Create(Normal("First", {"app-01"}));
  first = To(To(first, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  first = Schedule(first, 4, 6);
  v1::Change c = Schedule(Create(Normal("Second", {"app-01"})), 1, 5);
  std::set<int> kinds;
  for (const auto& k : c.conflicts()) kinds.insert(k.kind());
  EXPECT_EQ(kinds, (std::set<int>{v1::CONFLICT_KIND_SAME_CI, v1::CONFLICT_KIND_BLACKOUT_WINDOW}));
  c = Schedule(c, 2, 4);  // clear of both
  EXPECT_TRUE(c.conflicts().empty());

  v1::GetChangeCalendarRequest cal;
  *cal.mutable_start_time() = base::ToProtoTimestamp(kDay);
  *cal.mutable_end_time() = base::ToProtoTimestamp(kDay + absl::Hours(24));
  cal.set_configuration_item_id("app-01");
  v1::GetChangeCalendarResponse calendar;
  ASSERT_TRUE(Call(&Stub::GetChangeCalendar, cal, &calendar).ok());
  EXPECT_EQ(calendar.changes_size(), 2);
  // A CI the CMDB does not know is refused, not answered with an empty calendar.
  v1::GetChangeCalendarRequest unknown = cal;
  unknown.set_configuration_item_id("nope");
  v1::GetChangeCalendarResponse none;
  grpc::Status refused = Call(&Stub::GetChangeCalendar, unknown, &none);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "configuration_item_id: no CI \"nope\"");
  // The CMDB down: a CI's id still filters, as stored.
  cmdb_.SetUnavailable(true);
  ASSERT_TRUE(Call(&Stub::GetChangeCalendar, cal, &calendar).ok());
  cmdb_.SetUnavailable(false);
  EXPECT_EQ(calendar.windows_size(), 1);
  v1::ExportChangeCalendarRequest ics;
  *ics.mutable_start_time() = cal.start_time();
  *ics.mutable_end_time() = cal.end_time();
  v1::ExportChangeCalendarResponse exported;
  ASSERT_TRUE(Call(&Stub::ExportChangeCalendar, ics, &exported).ok());
  EXPECT_NE(exported.ics().find("SUMMARY:Blackout: Quarter-end freeze"), std::string::npos);

  // A CI filter keeps the windows that concern a change on that CI: the database's freeze is not
  // the application's, while billing's concerns both (it depends on them).
  v1::CreateChangeWindowRequest nights = NightlyFreeze("Database freeze");
  nights.mutable_window()->add_ci_class_names("database");
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, nights, &window, "cm").ok());
  const auto window_names = [&](const std::string& ci) {
    cal.set_configuration_item_id(ci);
    EXPECT_TRUE(Call(&Stub::GetChangeCalendar, cal, &calendar).ok());
    std::set<std::string> names;
    for (const auto& o : calendar.windows()) names.insert(o.name());
    return names;
  };
  EXPECT_EQ(window_names("app-01"), std::set<std::string>{"Quarter-end freeze"});
  EXPECT_EQ(window_names("db-01"),
            (std::set<std::string>{"Database freeze", "Quarter-end freeze"}));
  cmdb_.SetUnavailable(true);
  EXPECT_EQ(window_names("app-01").size(), 2u) << "the CMDB down: every window, as unfiltered";
  cmdb_.SetUnavailable(false);
}

// A window or an approval policy names business services as a change reaches them, by the CMDB's
// id, whether given so or as "class_name/name"; what is not a business service, or a CI class the
// CMDB does not define, is refused naming it: a freeze that matches nothing must not be stored.
TEST_P(ChangeServiceTest, WindowsAndPoliciesNameServicesAndClassesTheCmdbKnows) {
  v1::CreateChangeWindowRequest w = NightlyFreeze("Billing freeze");
  w.mutable_window()->add_service_ids("business_service/billing");
  v1::CreateChangeWindowResponse window;
  // One service named twice (by class/name, then by id) would be stored twice.
  w.mutable_window()->add_service_ids("billing");
  grpc::Status twice = Call(&Stub::CreateChangeWindow, w, &window, "cm");
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(twice.error_message(),
            "window.service_ids[1]: names business_service/billing as window.service_ids[0] does");
  w.mutable_window()->mutable_service_ids()->RemoveLast();
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  EXPECT_EQ(window.window().service_ids(0), "billing");
  v1::Change c = Schedule(Create(Normal("Patch the application", {"app-01"})), 1, 2);
  ASSERT_EQ(c.conflicts_size(), 1);
  EXPECT_EQ(c.conflicts(0).kind(), v1::CONFLICT_KIND_BLACKOUT_WINDOW);
  // The billing service's calendar and list show it: it reaches billing through the CMDB, as the
  // freeze found, though it names no service; a service the CMDB does not know is refused.
  v1::GetChangeCalendarRequest cal;
  *cal.mutable_start_time() = base::ToProtoTimestamp(kDay);
  *cal.mutable_end_time() = base::ToProtoTimestamp(kDay + absl::Hours(24));
  cal.set_service_id("business_service/billing");
  v1::GetChangeCalendarResponse calendar;
  ASSERT_TRUE(Call(&Stub::GetChangeCalendar, cal, &calendar).ok());
  ASSERT_EQ(calendar.changes_size(), 1);
  EXPECT_EQ(calendar.changes(0).id(), c.id());
  v1::ListChangesRequest list;
  list.set_service_id("billing");
  v1::ListChangesResponse listed;
  ASSERT_TRUE(Call(&Stub::ListChanges, list, &listed).ok());
  EXPECT_EQ(listed.changes_size(), 1);
  list.set_service_id("nope");
  grpc::Status unknown = Call(&Stub::ListChanges, list, &listed);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(unknown.error_message(), "service_id: no CI \"nope\"");

  const std::vector<std::pair<std::string, std::string>> refusals = {
      {"db-01", "window.service_ids[0]: CI database/db-01 is not a business_service"},
      {"nope", "window.service_ids[0]: no CI \"nope\""}};
  for (const auto& [service, message] : refusals) {
    v1::CreateChangeWindowRequest bad = w;
    bad.mutable_window()->set_service_ids(0, service);
    grpc::Status s = Call(&Stub::CreateChangeWindow, bad, &window, "cm");
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), message);
  }
  v1::UpdateChangeWindowRequest update;
  update.mutable_window()->set_id(window.window().id());
  update.mutable_window()->set_version(window.window().version());
  update.mutable_window()->add_ci_class_names("spaceship");
  update.mutable_update_mask()->add_paths("ci_class_names");
  v1::UpdateChangeWindowResponse updated;
  grpc::Status s = Call(&Stub::UpdateChangeWindow, update, &updated, "cm");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "window.ci_class_names[0]: no CI class \"spaceship\"");
  update.mutable_window()->set_ci_class_names(0, "database");
  s = Call(&Stub::UpdateChangeWindow, update, &updated, "cm");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.window().service_ids(0), "billing");

  v1::GetChangePolicyResponse current;
  ASSERT_TRUE(Call(&Stub::GetChangePolicy, v1::GetChangePolicyRequest(), &current).ok());
  v1::UpdateChangePolicyRequest policy;
  *policy.mutable_policy() = current.policy();
  v1::ApprovalPolicy* billing = policy.mutable_policy()->add_approval_policies();
  billing->set_name("billing CAB");
  billing->mutable_match()->add_service_ids("business_service/billing");
  v1::ApprovalLevel* cab = billing->add_levels();
  cab->set_name("CAB");
  cab->set_approver_role(common::v1::ROLE_CAB_MEMBER);
  cab->set_rule(v1::APPROVAL_RULE_ANY);
  policy.mutable_policy()->mutable_approval_policies()->SwapElements(
      0, policy.policy().approval_policies_size() - 1);
  v1::UpdateChangePolicyResponse saved;
  s = Call(&Stub::UpdateChangePolicy, policy, &saved, "cm");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(saved.policy().approval_policies(0).match().service_ids(0), "billing");
  c = To(To(Create(Normal("Patch the application again", {"app-01"})), v1::CHANGE_STATE_ASSESS),
         v1::CHANGE_STATE_AUTHORISE);
  EXPECT_EQ(c.approval().policy_name(), "billing CAB");
}

// A maintenance window speaks only of the days it is valid: one for a past month does not put a
// change of today outside maintenance.
TEST_P(ChangeServiceTest, AMaintenanceWindowConstrainsOnlyTheDaysItIsValid) {
  v1::CreateChangeWindowRequest w;
  w.mutable_window()->set_name("Database nights");
  w.mutable_window()->set_kind(v1::WINDOW_KIND_MAINTENANCE);
  w.mutable_window()->set_time_zone("UTC");
  w.mutable_window()->set_start_local_time("22:00");
  w.mutable_window()->set_duration_minutes(240);
  w.mutable_window()->add_ci_class_names("database");
  w.mutable_window()->set_valid_from(
      absl::FormatTime("%Y-%m-%d", kDay - absl::Hours(24 * 30), absl::UTCTimeZone()));
  w.mutable_window()->set_valid_until(
      absl::FormatTime("%Y-%m-%d", kDay - absl::Hours(24 * 2), absl::UTCTimeZone()));
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  v1::Change c = Schedule(Create(Normal("Vacuum the database", {"db-01"})), 10, 11);
  EXPECT_TRUE(c.conflicts().empty()) << c.conflicts(0).reason();

  w.mutable_window()->set_name("Database nights, this month");
  w.mutable_window()->set_valid_until(
      absl::FormatTime("%Y-%m-%d", kDay + absl::Hours(24 * 2), absl::UTCTimeZone()));
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  c = Schedule(c, 9, 11);
  ASSERT_EQ(c.conflicts_size(), 1);
  EXPECT_EQ(c.conflicts(0).kind(), v1::CONFLICT_KIND_OUTSIDE_MAINTENANCE_WINDOW);
  EXPECT_EQ(c.conflicts(0).reason(),
            "not inside a maintenance window of what it affects (Database nights, this month)");
}

// A freeze forbids what it covers however the change comes to it (outside tester): a standard
// change reaches business services as any other; a relationship added to the CMDB since the
// assessment counts; and a change implemented outside its planned slot is checked at the moment
// it really runs, not at the slot it left.
TEST_P(ChangeServiceTest, AFreezeCatchesStandardChangesNewReachAndEarlyImplementation) {
  v1::CreateChangeWindowRequest w = NightlyFreeze("Billing freeze");
  w.mutable_window()->add_service_ids("billing");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  auto blackout = [](const v1::Change& c) {
    return std::any_of(c.conflicts().begin(), c.conflicts().end(), [](const v1::Conflict& k) {
      return k.kind() == v1::CONFLICT_KIND_BLACKOUT_WINDOW;
    });
  };

  v1::CreateChangeTemplateRequest t;
  t.mutable_template_()->set_name("Restart the app pool");
  t.mutable_template_()->set_implementation_plan("iisreset /restart");
  t.mutable_template_()->set_risk_level(v1::RISK_LEVEL_LOW);
  v1::CreateChangeTemplateResponse tmpl;
  ASSERT_TRUE(Call(&Stub::CreateChangeTemplate, t, &tmpl, "cm").ok());
  v1::CreateChangeRequest standard;
  standard.set_template_id(tmpl.template_().id());
  standard.add_configuration_item_ids("app-01");
  v1::Change s = Create(standard);
  EXPECT_THAT(s.risk().business_service_ids(), ::testing::ElementsAre("billing"));
  s = Schedule(s, 1, 2);
  EXPECT_TRUE(blackout(s)) << s.DebugString();
  To(s, v1::CHANGE_STATE_SCHEDULED, grpc::StatusCode::FAILED_PRECONDITION);

  cmdb_.Add("web-01", "application");
  v1::Change n = To(To(Create(Normal("Patch the web tier", {"web-01"})), v1::CHANGE_STATE_ASSESS),
                    v1::CHANGE_STATE_AUTHORISE);
  n = Schedule(n, 1, 2);
  EXPECT_FALSE(blackout(n));
  cmdb_.DependsOn("billing", "web-01");  // billing now runs on the web tier too
  n = Schedule(n, 1, 2);
  EXPECT_TRUE(blackout(n)) << n.DebugString();

  v1::Change early = To(To(Create(Normal("Patch the app", {"app-01"})), v1::CHANGE_STATE_ASSESS),
                        v1::CHANGE_STATE_AUTHORISE);
  early = Decide(early, "cm", v1::APPROVAL_DECISION_APPROVE);
  early = To(Schedule(early, 3, 4), v1::CHANGE_STATE_SCHEDULED);  // after the freeze
  clock_.Set(kDay + absl::Minutes(30));                           // inside it
  early = To(early, v1::CHANGE_STATE_IMPLEMENT, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(early.state(), v1::CHANGE_STATE_SCHEDULED);
  clock_.Set(kDay + absl::Hours(3));
  early = To(early, v1::CHANGE_STATE_IMPLEMENT);
  EXPECT_EQ(early.state(), v1::CHANGE_STATE_IMPLEMENT);

  // The refusal's way through, which it names: a slot from now, whose freeze a change manager
  // overrides; then the early implementation goes ahead.
  v1::Change urgent = To(To(Create(Normal("Patch it now", {"app-01"})), v1::CHANGE_STATE_ASSESS),
                         v1::CHANGE_STATE_AUTHORISE);
  urgent = Decide(urgent, "cm", v1::APPROVAL_DECISION_APPROVE);
  urgent = To(Schedule(urgent, 27, 28), v1::CHANGE_STATE_SCHEDULED);  // the next day, after it
  clock_.Set(kDay + absl::Hours(24) + absl::Minutes(30));             // inside the next freeze
  v1::TransitionChangeRequest implement;
  implement.set_id(urgent.id());
  implement.set_version(urgent.version());
  implement.set_target_state(v1::CHANGE_STATE_IMPLEMENT);
  v1::TransitionChangeResponse refused;
  const grpc::Status outside = Call(&Stub::TransitionChange, implement, &refused);
  EXPECT_EQ(outside.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(outside.error_message().find("outside the planned slot"), std::string::npos)
      << outside.error_message();
  urgent = Schedule(urgent, 24, 25);  // from now: inside the freeze
  urgent = Override(urgent, "the fix cannot wait for the slot");
  ASSERT_TRUE(blackout(urgent)) << urgent.DebugString();
  urgent = To(urgent, v1::CHANGE_STATE_IMPLEMENT);
  EXPECT_EQ(urgent.state(), v1::CHANGE_STATE_IMPLEMENT);
}

// Levels are successive pairs of eyes: whoever decided one level does not decide the next,
// whatever roles they hold.
TEST_P(ChangeServiceTest, OnePersonDoesNotDecideTwoLevels) {
  v1::CreateChangeRequest r = Normal("Upgrade the billing database", {"db-01"});
  v1::RiskAnswer* answer = r.add_risk_answers();
  answer->set_question_id("outage");
  answer->set_answer_id("full");
  v1::Change c = To(To(Create(r), v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
  ASSERT_EQ(c.approval().levels_size(), 2) << c.approval().policy_name();
  c = Decide(c, "boss", v1::APPROVAL_DECISION_APPROVE);
  ASSERT_EQ(c.approval().current_level(), 1);
  v1::DecideChangeApprovalRequest again;
  again.set_id(c.id());
  again.set_version(c.version());
  again.set_decision(v1::APPROVAL_DECISION_APPROVE);
  again.set_comment("and the CAB's too");
  v1::DecideChangeApprovalResponse out;
  grpc::Status refused = Call(&Stub::DecideChangeApproval, again, &out, "Boss");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              ::testing::HasSubstr("each level is decided by someone else"));
  c = Decide(c, "cab-1", v1::APPROVAL_DECISION_APPROVE);
  EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);
}

// A named approver barred from deciding is left out of their level, not awaited forever: here
// the change's assignee when its approval was asked for, still barred once reassigned (decision
// 263). While the approval is pending, a named approver still to decide is not assigned to the
// change: an agent could otherwise assign a required approver away and back.
TEST_P(ChangeServiceTest, ANamedApproverWhoIsTheAssigneeIsLeftOutNotAssignedAway) {
  v1::GetChangePolicyResponse current;
  ASSERT_TRUE(Call(&Stub::GetChangePolicy, v1::GetChangePolicyRequest(), &current).ok());
  v1::UpdateChangePolicyRequest policy;
  *policy.mutable_policy() = current.policy();
  v1::ApprovalPolicy* pair = policy.mutable_policy()->add_approval_policies();
  pair->set_name("two DBAs");
  pair->mutable_match()->add_types(v1::CHANGE_TYPE_NORMAL);
  v1::ApprovalLevel* level = pair->add_levels();
  level->set_name("DBAs");
  level->set_approver_role(common::v1::ROLE_CHANGE_MANAGER);
  level->set_rule(v1::APPROVAL_RULE_ALL);
  level->add_approvers("dba-1");
  level->add_approvers("dba-2");
  policy.mutable_policy()->mutable_approval_policies()->SwapElements(
      0, policy.policy().approval_policies_size() - 1);
  v1::UpdateChangePolicyResponse saved;
  grpc::Status s = Call(&Stub::UpdateChangePolicy, policy, &saved, "cm");
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto assign = [&](const v1::Change& c, const std::string& who,
                          grpc::StatusCode expect = grpc::StatusCode::OK) {
    v1::UpdateChangeRequest u;
    *u.mutable_change() = c;
    u.mutable_change()->set_assignee(who);
    u.mutable_update_mask()->add_paths("assignee");
    v1::UpdateChangeResponse out;
    grpc::Status st = Call(&Stub::UpdateChange, u, &out);
    EXPECT_EQ(st.error_code(), expect) << st.error_message();
    return st.ok() ? out.change() : c;
  };

  // Pending, a required approver is not assigned away.
  v1::Change c = To(To(Create(Normal("Reindex the database", {"db-01"})), v1::CHANGE_STATE_ASSESS),
                    v1::CHANGE_STATE_AUTHORISE);
  ASSERT_EQ(c.approval().policy_name(), "two DBAs");
  c = Decide(c, "dba-1", v1::APPROVAL_DECISION_APPROVE);
  assign(c, "DBA-2", grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_PENDING);
  c = Decide(c, "dba-2", v1::APPROVAL_DECISION_APPROVE);
  EXPECT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);

  // Assigned before the approval was asked for, dba-2 implements and dba-1 decides; reassigned
  // meanwhile, dba-2 stays barred and left out.
  v1::Change other = assign(
      To(Create(Normal("Vacuum the database", {"db-01"})), v1::CHANGE_STATE_ASSESS), "dba-2");
  other = To(other, v1::CHANGE_STATE_AUTHORISE);
  EXPECT_EQ(other.approval().outcome(), v1::APPROVAL_OUTCOME_PENDING);
  other = assign(other, "ops-1");
  other = Decide(other, "dba-1", v1::APPROVAL_DECISION_APPROVE);
  EXPECT_EQ(other.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED)
      << "dba-2 was assigned to it and may not decide it: not awaited";
}

// A freeze forbids what it covers whatever the approval's policy says of conflicts (decision
// 236): a low-risk change, whose policy asks no override, is not scheduled or implemented inside
// a blackout until a change manager overrides it. Once implementation has started, cancelling
// asks for the review closing asks for (decision 235).
TEST_P(ChangeServiceTest, ABlackoutBlocksEvenAChangeWhosePolicyAsksNoOverride) {
  v1::CreateChangeWindowRequest w = NightlyFreeze("Year-end freeze");
  w.mutable_window()->add_ci_class_names("database");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  v1::Change c = To(To(Create(Normal("Vacuum the database", {"db-01"})), v1::CHANGE_STATE_ASSESS),
                    v1::CHANGE_STATE_AUTHORISE);
  c = Decide(c, "cm", v1::APPROVAL_DECISION_APPROVE);
  ASSERT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);
  ASSERT_FALSE(c.approval().conflicts_need_override()) << c.approval().policy_name();
  c = Schedule(c, 1, 2);
  ASSERT_EQ(c.conflicts_size(), 1);
  EXPECT_EQ(c.conflicts(0).kind(), v1::CONFLICT_KIND_BLACKOUT_WINDOW);
  To(c, v1::CHANGE_STATE_SCHEDULED, grpc::StatusCode::FAILED_PRECONDITION);
  // The override is for that slot: moved to the next day of the same freeze (the same conflict,
  // another occurrence), it is dropped, and overriding it again makes a new decision.
  c = Override(c, "the DBA on call accepts it");
  const size_t overrides_before = [&] {
    const std::vector<std::string> types = EventTypes(c.id());
    return static_cast<size_t>(std::count(types.begin(), types.end(), "ChangeConflictsOverridden"));
  }();
  c = Schedule(c, 25, 26);
  EXPECT_TRUE(c.conflict_override_reason().empty());
  // The agent who moved it dropped the override: no event says they overrode anything.
  const std::vector<std::string> after_move = EventTypes(c.id());
  EXPECT_EQ(std::count(after_move.begin(), after_move.end(), "ChangeConflictsOverridden"),
            static_cast<long>(overrides_before));
  To(c, v1::CHANGE_STATE_SCHEDULED, grpc::StatusCode::FAILED_PRECONDITION);
  c = To(Override(c, "the DBA on call accepts the next night too"), v1::CHANGE_STATE_SCHEDULED);
  c = To(c, v1::CHANGE_STATE_IMPLEMENT);
  To(c, v1::CHANGE_STATE_CANCELLED, grpc::StatusCode::FAILED_PRECONDITION);  // its review first
  c = To(c, v1::CHANGE_STATE_REVIEW, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_BACKED_OUT);
  To(c, v1::CHANGE_STATE_CANCELLED, grpc::StatusCode::FAILED_PRECONDITION);
  To(c, v1::CHANGE_STATE_CLOSED, grpc::StatusCode::FAILED_PRECONDITION);
  c = To(c, v1::CHANGE_STATE_CANCELLED, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_UNSPECIFIED,
         "backed out: the vacuum locked the orders table");
  EXPECT_EQ(c.state(), v1::CHANGE_STATE_CANCELLED);
}

// Found from outside: an override of the night a change was planned for also let it start early
// inside tonight's occurrence of the same freeze. The override is of one occurrence.
TEST_P(ChangeServiceTest, AnOverrideOfOneNightOfAFreezeIsNotOneOfAnother) {
  v1::CreateChangeWindowRequest w = NightlyFreeze("Nightly database freeze");
  w.mutable_window()->add_ci_class_names("database");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  v1::Change c = To(To(Create(Normal("Reindex", {"db-01"})), v1::CHANGE_STATE_ASSESS),
                    v1::CHANGE_STATE_AUTHORISE);
  c = Decide(c, "cm", v1::APPROVAL_DECISION_APPROVE);
  c = Schedule(c, 49, 50);  // the night after next, inside the freeze
  c = To(Override(c, "accepted for that night"), v1::CHANGE_STATE_SCHEDULED);
  clock_.Set(kDay + absl::Minutes(30));  // tonight, inside tonight's freeze
  c = To(c, v1::CHANGE_STATE_IMPLEMENT, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(c.state(), v1::CHANGE_STATE_SCHEDULED);
  clock_.Set(kDay + absl::Hours(3));  // after tonight's freeze: an early start is fine
  c = To(c, v1::CHANGE_STATE_IMPLEMENT);
  EXPECT_EQ(c.state(), v1::CHANGE_STATE_IMPLEMENT);
}

// A window on a class covers its subclasses, as the CMDB's class filters do (a freeze on
// "hardware" covers servers); affected services must be business services, since the risk counts
// their criticality; and whoever decided an approval is not assigned the change afterwards
// (decision 237: the vote would become the assignee's own).
TEST_P(ChangeServiceTest, ClassWindowsCoverSubclassesAndApproversDoNotBecomeAssignees) {
  cmdb_.Add("srv-01", "server");
  cmdb_.Subclass("server", "hardware");
  v1::CreateChangeWindowRequest w = NightlyFreeze("Hardware freeze");
  w.mutable_window()->add_ci_class_names("hardware");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  v1::Change disk = Schedule(Create(Normal("Replace a disk", {"srv-01"})), 1, 2);
  ASSERT_EQ(disk.conflicts_size(), 1);
  EXPECT_EQ(disk.conflicts(0).kind(), v1::CONFLICT_KIND_BLACKOUT_WINDOW);

  v1::CreateChangeRequest not_a_service = Normal("Tune the database", {});
  not_a_service.add_affected_service_ids("db-01");
  v1::CreateChangeResponse refused;
  grpc::Status s = Call(&Stub::CreateChange, not_a_service, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "affected_service_ids[0]: CI database/db-01 is not a business_service");

  v1::Change c = To(To(Create(Normal("Tune the application", {"app-01"})), v1::CHANGE_STATE_ASSESS),
                    v1::CHANGE_STATE_AUTHORISE);
  c = Decide(c, "cm", v1::APPROVAL_DECISION_APPROVE);
  v1::UpdateChangeRequest assign;
  assign.mutable_change()->set_id(c.id());
  assign.mutable_change()->set_version(c.version());
  assign.mutable_change()->set_assignee("cm");
  assign.mutable_update_mask()->add_paths("assignee");
  v1::UpdateChangeResponse updated;
  s = Call(&Stub::UpdateChange, assign, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message().rfind("change.assignee: cm decided this change's approval", 0), 0u)
      << s.error_message();
  assign.mutable_change()->set_assignee("dba-1");
  s = Call(&Stub::UpdateChange, assign, &updated);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_P(ChangeServiceTest, BadInputNamesTheFieldAndStoresNothing) {
  grpc::Status s;
  {
    v1::CreateChangeResponse out;
    s = Call(&Stub::CreateChange, Normal("", {}), &out);
  }
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  EXPECT_EQ(bad_request.field_violations(0).field(), "title");
  v1::CreateChangeResponse out;
  s = Call(&Stub::CreateChange, Normal("x", {"app-01", "nope"}), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("configuration_item_ids[1]:", 0), 0u) << s.error_message();
  v1::CreateChangeRequest too_long = Normal(std::string(201, 'x'), {});
  s = Call(&Stub::CreateChange, too_long, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::CreateChangeRequest answers = Normal("x", {});
  answers.add_risk_answers()->set_question_id("weather");
  s = Call(&Stub::CreateChange, answers, &out);
  EXPECT_EQ(s.error_message().rfind("risk_answers[0].question_id:", 0), 0u) << s.error_message();
  // The same CI twice (by id, then by class/name), a padded assignee: refused, as for incidents.
  s = Call(&Stub::CreateChange, Normal("x", {"app-01", "application/app-01"}), &out);
  EXPECT_EQ(s.error_message(),
            "configuration_item_ids[1]: names application/app-01 as configuration_item_ids[0] "
            "does");
  v1::CreateChangeRequest padded = Normal("x", {});
  padded.set_assignee("carol ");
  s = Call(&Stub::CreateChange, padded, &out);
  EXPECT_EQ(s.error_message(),
            "assignee: has blanks around it, and would match nothing named without them");
  EXPECT_EQ(Count("changes"), 0);
  EXPECT_EQ(Count("outbox"), 0);
}

// A change that decommissions a server goes on once the server is retired: a CI the change
// named before its retirement stays; naming a retired CI anew is refused.
TEST_P(ChangeServiceTest, ACiRetiredWhileTheChangeIsOpenDoesNotStopIt) {
  const v1::Change c = Create(Normal("Decommission db-01", {"db-01"}));
  cmdb_.Retire("db-01");
  v1::UpdateChangeRequest u;
  u.mutable_change()->set_id(c.id());
  u.mutable_change()->set_version(c.version());
  u.mutable_change()->set_description("db-01 switched off and retired");
  u.mutable_update_mask()->add_paths("description");
  v1::UpdateChangeResponse updated;
  grpc::Status s = Call(&Stub::UpdateChange, u, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.change().configuration_item_ids(0), "db-01");
  v1::Change other = Create(Normal("Touch db-01 again", {"app-01"}));
  u.mutable_change()->set_id(other.id());
  u.mutable_change()->set_version(other.version());
  u.mutable_change()->add_configuration_item_ids("db-01");
  u.mutable_update_mask()->add_paths("configuration_item_ids");
  s = Call(&Stub::UpdateChange, u, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "change.configuration_item_ids[0]: CI \"db-01\" is retired in the configuration "
            "service");
}

TEST_P(ChangeServiceTest, StaleVersionsAreAbortedAndKeysAreIdempotent) {
  v1::CreateChangeRequest r = Normal("Once", {"db-01"});
  r.set_idempotency_key("k-1");
  const v1::Change c = Create(r);
  EXPECT_EQ(Create(r).id(), c.id());
  r.set_title("Twice");
  Create(r, grpc::StatusCode::ALREADY_EXISTS);
  const v1::Change moved = To(c, v1::CHANGE_STATE_ASSESS);
  To(c, v1::CHANGE_STATE_CANCELLED, grpc::StatusCode::ABORTED);
  To(moved, v1::CHANGE_STATE_CANCELLED);
  EXPECT_EQ(Count("changes"), 1);
}

TEST_P(ChangeServiceTest, TasksHaveTheirOwnAssignmentAndState) {
  v1::Change c = Create(Normal("With tasks", {}));
  v1::AddChangeTaskRequest add;
  add.set_change_id(c.number());
  add.set_version(c.version());
  add.set_title("Take a backup");
  add.set_assignee("dba-1");
  v1::AddChangeTaskResponse added;
  ASSERT_TRUE(Call(&Stub::AddChangeTask, add, &added).ok());
  EXPECT_EQ(added.task().id(), "1");
  v1::UpdateChangeTaskRequest done;
  done.set_change_id(c.id());
  done.set_version(added.change().version());
  done.mutable_task()->set_id("1");
  done.mutable_task()->set_state(v1::TASK_STATE_DONE);
  done.mutable_update_mask()->add_paths("state");
  v1::UpdateChangeTaskResponse updated;
  ASSERT_TRUE(Call(&Stub::UpdateChangeTask, done, &updated).ok());
  EXPECT_EQ(updated.change().tasks(0).state(), v1::TASK_STATE_DONE);
  EXPECT_EQ(updated.change().tasks(0).assignee(), "dba-1");

  v1::ListChangesRequest list;
  list.add_states(v1::CHANGE_STATE_NEW);
  list.set_assignee("nobody");
  v1::ListChangesResponse listed;
  ASSERT_TRUE(Call(&Stub::ListChanges, list, &listed).ok());
  EXPECT_EQ(listed.changes_size(), 0);
  list.clear_assignee();
  list.mutable_page()->set_page_size(1);
  ASSERT_TRUE(Call(&Stub::ListChanges, list, &listed).ok());
  EXPECT_EQ(listed.changes_size(), 1);
}

// Links name records that exist: incidents and problems as the incident service knows them,
// releases of this service, each by id or number and stored as the id. A link held before stays
// (the other service is not asked again); one that names nothing, or a record twice, is refused
// naming the entry and changes nothing; an incident service that cannot answer refuses the write.
TEST_P(ChangeServiceTest, LinksNameIncidentsProblemsAndReleasesThatExist) {
  linked_.Add(LinkedKind::kIncident, "0b0e0000-0000-4000-8000-00000000000a", "INC0000007");
  linked_.Add(LinkedKind::kProblem, "0b0e0000-0000-4000-8000-00000000000b", "PRB0000002");
  v1::CreateReleaseRequest cr;
  cr.set_kind(v1::RELEASE_KIND_MINOR);
  cr.set_title("Billing 2.5");
  v1::CreateReleaseResponse release;
  ASSERT_TRUE(Call(&Stub::CreateRelease, cr, &release, "cm").ok());

  v1::CreateChangeRequest r = Normal("Patch the ledger", {"db-01"});
  r.add_incident_ids("INC0000007");
  r.add_problem_ids("PRB0000002");
  r.add_release_ids(release.release().number());
  v1::Change c = Create(r);
  EXPECT_THAT(c.incident_ids(), ::testing::ElementsAre("0b0e0000-0000-4000-8000-00000000000a"));
  EXPECT_THAT(c.problem_ids(), ::testing::ElementsAre("0b0e0000-0000-4000-8000-00000000000b"));
  EXPECT_THAT(c.release_ids(), ::testing::ElementsAre(release.release().id()));

  auto refused = [&](const std::function<void(v1::CreateChangeRequest&)>& edit) {
    v1::CreateChangeRequest bad = Normal("Patch the ledger again", {"db-01"});
    edit(bad);
    v1::CreateChangeResponse out;
    return Call(&Stub::CreateChange, bad, &out).error_message();
  };
  EXPECT_EQ(refused([](auto& b) { b.add_incident_ids("INC0000404"); }),
            "incident_ids[0]: no incident \"INC0000404\"");
  EXPECT_EQ(refused([](auto& b) {
              b.add_problem_ids("PRB0000002");
              b.add_problem_ids("0b0e0000-0000-4000-8000-00000000000b");
            }),
            "problem_ids[1]: names the problem problem_ids[0] names");
  EXPECT_EQ(refused([](auto& b) { b.add_release_ids("RLS9999999"); }),
            "release_ids[0]: no release \"RLS9999999\"");
  linked_.SetUnavailable(true);
  EXPECT_EQ(refused([](auto& b) {
              b.add_incident_ids("INC0000007");
            }).rfind("incident_ids[0]: cannot check the incident now", 0),
            0u);

  // Held links stay while the incident service is away; a new one waits for it.
  v1::UpdateChangeRequest u;
  u.mutable_change()->set_id(c.id());
  u.mutable_change()->set_version(c.version());
  u.mutable_change()->add_incident_ids("0b0e0000-0000-4000-8000-00000000000a");
  u.mutable_update_mask()->add_paths("incident_ids");
  v1::UpdateChangeResponse updated;
  grpc::Status s = Call(&Stub::UpdateChange, u, &updated);
  EXPECT_TRUE(s.ok()) << s.error_message();
  u.mutable_change()->set_version(updated.change().version());
  u.mutable_change()->add_incident_ids("INC0000008");
  s = Call(&Stub::UpdateChange, u, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(Count("changes"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::change
