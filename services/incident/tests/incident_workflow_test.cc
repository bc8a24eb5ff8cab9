// The incident workflow without gRPC or storage: what each change does to the record, which
// fields it names, and which events announce it, in order.
#include "services/incident/src/incident_workflow.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/incident/v1/events.pb.h"
#include "services/incident/src/incident_factory.h"

namespace itsm::incident {
namespace {

std::vector<std::string> Types(const IncidentOutcome& out) {
  std::vector<std::string> types;
  for (const auto& e : out.events) types.push_back(e->GetDescriptor()->name());
  return types;
}

class IncidentWorkflowTest : public ::testing::Test {
 protected:
  v1::Incident NewIncident() {
    v1::CreateIncidentRequest r;
    r.set_title("Mail down");
    r.set_impact(2);
    r.set_urgency(2);
    return factory_.NewIncident(r, "alice");
  }
  v1::TransitionIncidentRequest To(const v1::Incident& i, v1::IncidentState s) {
    v1::TransitionIncidentRequest r;
    r.set_id(i.id());
    r.set_version(i.version());
    r.set_target_state(s);
    return r;
  }
  v1::Incident Apply(const v1::Incident& i, const v1::TransitionIncidentRequest& r) {
    EXPECT_TRUE(workflow_.ValidateTransition(r).ok());
    auto out = workflow_.Transition(i, r, "bob");
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->after : i;
  }

  PriorityMatrix matrix_ = PriorityMatrix::Default();
  base::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  IncidentFactory factory_{matrix_, clock_};
  IncidentWorkflow workflow_{matrix_, clock_, {.reopen_window = absl::Hours(168)}};
};

TEST_F(IncidentWorkflowTest, CreatedNamesEverySetField) {
  auto out = workflow_.Created(NewIncident(), "alice");
  ASSERT_EQ(Types(out), std::vector<std::string>{"IncidentCreated"});
  const auto& e = static_cast<const v1::IncidentCreated&>(*out.events[0]);
  EXPECT_EQ(e.actor(), "alice");
  std::vector<std::string> fields(e.changed_fields().begin(), e.changed_fields().end());
  for (const char* f : {"id", "title", "caller", "impact", "urgency", "priority", "state"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), f), fields.end()) << f;
  }
}

TEST_F(IncidentWorkflowTest, AssigningANewIncidentMakesItAssignedAndIsItsFirstResponse) {
  v1::Incident i = NewIncident();
  clock_.Advance(absl::Minutes(5));
  v1::AssignIncidentRequest r;
  r.set_id(i.id());
  r.set_version(1);
  r.set_assignment_group("network");
  auto out = workflow_.Assign(i, r, "bob");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Types(*out), (std::vector<std::string>{"IncidentAssigned", "IncidentStateChanged"}));
  EXPECT_EQ(out->after.state(), v1::INCIDENT_STATE_ASSIGNED);
  EXPECT_EQ(out->after.version(), 2);
  EXPECT_EQ(base::FromProtoTimestamp(out->after.first_response_time()), clock_.Now());
  const auto& assigned = static_cast<const v1::IncidentAssigned&>(*out->events[0]);
  EXPECT_EQ(
      std::vector<std::string>(assigned.changed_fields().begin(), assigned.changed_fields().end()),
      std::vector<std::string>{"assignment_group"});
  const auto& changed = static_cast<const v1::IncidentStateChanged&>(*out->events[1]);
  EXPECT_EQ(changed.previous_state(), v1::INCIDENT_STATE_NEW);
  EXPECT_EQ(changed.new_state(), v1::INCIDENT_STATE_ASSIGNED);
  EXPECT_EQ(
      std::vector<std::string>(changed.changed_fields().begin(), changed.changed_fields().end()),
      (std::vector<std::string>{"state", "first_response_time"}));
}

TEST_F(IncidentWorkflowTest, StaleVersionIsAbortedAndMissingVersionIsInvalid) {
  v1::Incident i = NewIncident();
  auto r = To(i, v1::INCIDENT_STATE_IN_PROGRESS);
  r.set_version(7);
  EXPECT_EQ(
      workflow_.Transition(i, r, "bob").status(),
      absl::AbortedError("version: expected 1, found 7 (the record has never been at version 7)"));
  r.set_version(0);
  EXPECT_EQ(workflow_.Transition(i, r, "bob").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IncidentWorkflowTest, OnHoldNeedsAReasonAndLeavingClearsIt) {
  v1::Incident i = Apply(NewIncident(), To(NewIncident(), v1::INCIDENT_STATE_IN_PROGRESS));
  auto hold = To(i, v1::INCIDENT_STATE_ON_HOLD);
  EXPECT_EQ(workflow_.ValidateTransition(hold).message().rfind("hold_reason: required", 0), 0u);
  hold.set_hold_reason(static_cast<v1::HoldReason>(9));
  EXPECT_EQ(workflow_.ValidateTransition(hold).message(), "hold_reason: unknown reason 9");
  hold.set_hold_reason(v1::HOLD_REASON_AWAITING_CALLER);
  i = Apply(i, hold);
  EXPECT_EQ(i.hold_reason(), v1::HOLD_REASON_AWAITING_CALLER);
  i = Apply(i, To(i, v1::INCIDENT_STATE_IN_PROGRESS));
  EXPECT_EQ(i.hold_reason(), v1::HOLD_REASON_UNSPECIFIED);
}

TEST_F(IncidentWorkflowTest, ResolveNeedsCodeAndNotes) {
  v1::Incident i = NewIncident();
  auto resolve = To(i, v1::INCIDENT_STATE_RESOLVED);
  EXPECT_EQ(workflow_.ValidateTransition(resolve).message(),
            "resolution_code: required to resolve an incident");
  resolve.set_resolution_code("fixed");
  EXPECT_EQ(workflow_.ValidateTransition(resolve).message(),
            "resolution_notes: required to resolve an incident");
  resolve.set_resolution_notes("restarted the MTA");
  auto out = workflow_.Transition(i, resolve, "bob");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Types(*out), std::vector<std::string>{"IncidentResolved"});
  EXPECT_TRUE(out->after.has_resolve_time());
}

TEST_F(IncidentWorkflowTest, CancelNeedsAReasonAndKeepsIt) {
  v1::Incident i = NewIncident();
  auto cancel = To(i, v1::INCIDENT_STATE_CANCELLED);
  const std::string required =
      "cancel_reason: required to cancel an incident (why it is withdrawn)";
  EXPECT_EQ(workflow_.ValidateTransition(cancel).message(), required);
  cancel.set_cancel_reason(" \n ");
  EXPECT_EQ(workflow_.ValidateTransition(cancel).message(), required);
  cancel.set_cancel_reason("Raised twice: the same outage as INC0000042");
  auto out = workflow_.Transition(i, cancel, "bob");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Types(*out), std::vector<std::string>{"IncidentCancelled"});
  EXPECT_EQ(out->after.cancel_reason(), "Raised twice: the same outage as INC0000042");
  EXPECT_TRUE(std::any_of(out->changes.begin(), out->changes.end(),
                          [](const auto& c) { return c.field() == "cancel_reason"; }));

  auto start = To(i, v1::INCIDENT_STATE_IN_PROGRESS);
  start.set_cancel_reason("not needed");
  EXPECT_EQ(workflow_.ValidateTransition(start).message(),
            "cancel_reason: a move to IN_PROGRESS does not keep it; leave it out");
}

TEST_F(IncidentWorkflowTest, ReopenWorksInsideTheWindowOnly) {
  v1::Incident i = NewIncident();
  auto resolve = To(i, v1::INCIDENT_STATE_RESOLVED);
  resolve.set_resolution_code("fixed");
  resolve.set_resolution_notes("done");
  i = Apply(i, resolve);
  clock_.Advance(absl::Hours(168));
  auto reopened = workflow_.Transition(i, To(i, v1::INCIDENT_STATE_IN_PROGRESS), "alice");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(Types(*reopened), std::vector<std::string>{"IncidentReopened"});
  EXPECT_EQ(reopened->after.reopen_count(), 1);
  EXPECT_FALSE(reopened->after.has_resolve_time());
  EXPECT_TRUE(reopened->after.resolution_code().empty());

  i = Apply(reopened->after, [&] {
    auto r = To(reopened->after, v1::INCIDENT_STATE_RESOLVED);
    r.set_resolution_code("fixed");
    r.set_resolution_notes("again");
    return r;
  }());
  clock_.Advance(absl::Hours(168) + absl::Seconds(1));
  auto late = workflow_.Transition(i, To(i, v1::INCIDENT_STATE_IN_PROGRESS), "alice");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("reopen window"), std::string::npos);
}

TEST_F(IncidentWorkflowTest, UpdateAnnouncesPriorityAndPlainFieldsSeparately) {
  v1::Incident i = NewIncident();
  v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_id(i.id());
  r.mutable_incident()->set_version(1);
  r.mutable_incident()->set_impact(1);
  r.mutable_incident()->set_title("Mail down for everyone");
  r.mutable_update_mask()->add_paths("impact");
  r.mutable_update_mask()->add_paths("title");
  ASSERT_TRUE(workflow_.ValidateUpdate(r).ok());
  auto out = workflow_.Update(i, r, "bob");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Types(*out), (std::vector<std::string>{"IncidentUpdated", "IncidentPriorityChanged"}));
  const auto& p = static_cast<const v1::IncidentPriorityChanged&>(*out->events[1]);
  EXPECT_EQ(p.previous_priority(), v1::PRIORITY_P3);
  EXPECT_EQ(p.new_priority(), v1::PRIORITY_P2);
  EXPECT_EQ(std::vector<std::string>(p.changed_fields().begin(), p.changed_fields().end()),
            (std::vector<std::string>{"impact", "priority"}));
}

TEST_F(IncidentWorkflowTest, AnUpdateThatChangesNothingIsNoChange) {
  v1::Incident i = NewIncident();
  v1::UpdateIncidentRequest r;
  *r.mutable_incident() = i;
  r.mutable_update_mask()->add_paths("title");
  auto out = workflow_.Update(i, r, "bob");
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->changed());
  EXPECT_TRUE(out->events.empty());
  EXPECT_EQ(out->after.version(), 1);
}

TEST_F(IncidentWorkflowTest, UpdateMaskRefusesStateAndUnknownFields) {
  v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_id("x");
  EXPECT_EQ(workflow_.ValidateUpdate(r).message(), "update_mask: required (the fields to change)");
  r.mutable_update_mask()->add_paths("state");
  EXPECT_EQ(workflow_.ValidateUpdate(r).message(),
            "update_mask: \"state\" changes through TransitionIncident");
  r.mutable_update_mask()->set_paths(0, "number");
  EXPECT_EQ(workflow_.ValidateUpdate(r).message(),
            "update_mask: unknown or read-only field \"number\"");
  r.mutable_update_mask()->set_paths(0, "title");
  EXPECT_EQ(workflow_.ValidateUpdate(r).message(), "incident.title: required");
}

}  // namespace
}  // namespace itsm::incident
