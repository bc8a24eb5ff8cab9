// Every pair of states of every record type, generated from the tables: a pair in the table is
// legal and yields its kind; any other pair is FAILED_PRECONDITION naming exactly the allowed
// targets. A second, independent statement of the expected life cycles guards the tables
// themselves.
#include "services/incident/src/state_machine.h"

#include <map>
#include <set>

#include "gtest/gtest.h"

namespace itsm::incident {
namespace {

struct Machine {
  const char* name;
  const StateMachine* machine;
  // The life cycle as the issue states it: from -> allowed targets.
  std::map<int, std::set<int>> expected;
  int max_enum;
};

std::vector<Machine> Machines() {
  using namespace v1;
  return {
      {"Incident",
       &IncidentStateMachine(),
       {{INCIDENT_STATE_NEW,
         {INCIDENT_STATE_ASSIGNED, INCIDENT_STATE_IN_PROGRESS, INCIDENT_STATE_RESOLVED,
          INCIDENT_STATE_CANCELLED}},
        {INCIDENT_STATE_ASSIGNED,
         {INCIDENT_STATE_IN_PROGRESS, INCIDENT_STATE_ON_HOLD, INCIDENT_STATE_RESOLVED,
          INCIDENT_STATE_CANCELLED}},
        {INCIDENT_STATE_IN_PROGRESS,
         {INCIDENT_STATE_ON_HOLD, INCIDENT_STATE_RESOLVED, INCIDENT_STATE_CANCELLED}},
        {INCIDENT_STATE_ON_HOLD,
         {INCIDENT_STATE_IN_PROGRESS, INCIDENT_STATE_RESOLVED, INCIDENT_STATE_CANCELLED}},
        {INCIDENT_STATE_RESOLVED, {INCIDENT_STATE_IN_PROGRESS, INCIDENT_STATE_CLOSED}},
        {INCIDENT_STATE_CLOSED, {}},
        {INCIDENT_STATE_CANCELLED, {}}},
       IncidentState_MAX},
      {"ServiceRequest",
       &ServiceRequestStateMachine(),
       {{SERVICE_REQUEST_STATE_SUBMITTED,
         {SERVICE_REQUEST_STATE_APPROVED, SERVICE_REQUEST_STATE_REJECTED,
          SERVICE_REQUEST_STATE_CANCELLED}},
        {SERVICE_REQUEST_STATE_APPROVED,
         {SERVICE_REQUEST_STATE_FULFILLING, SERVICE_REQUEST_STATE_CANCELLED}},
        {SERVICE_REQUEST_STATE_REJECTED, {SERVICE_REQUEST_STATE_CLOSED}},
        {SERVICE_REQUEST_STATE_FULFILLING,
         {SERVICE_REQUEST_STATE_FULFILLED, SERVICE_REQUEST_STATE_CANCELLED}},
        {SERVICE_REQUEST_STATE_FULFILLED, {SERVICE_REQUEST_STATE_CLOSED}},
        {SERVICE_REQUEST_STATE_CLOSED, {}},
        {SERVICE_REQUEST_STATE_CANCELLED, {}}},
       ServiceRequestState_MAX},
      {"Problem",
       &ProblemStateMachine(),
       {{PROBLEM_STATE_NEW, {PROBLEM_STATE_UNDER_INVESTIGATION, PROBLEM_STATE_CANCELLED}},
        {PROBLEM_STATE_UNDER_INVESTIGATION,
         {PROBLEM_STATE_KNOWN_ERROR, PROBLEM_STATE_RESOLVED, PROBLEM_STATE_CANCELLED}},
        {PROBLEM_STATE_KNOWN_ERROR, {PROBLEM_STATE_RESOLVED}},
        {PROBLEM_STATE_RESOLVED, {PROBLEM_STATE_CLOSED}},
        {PROBLEM_STATE_CLOSED, {}},
        {PROBLEM_STATE_CANCELLED, {}}},
       ProblemState_MAX},
  };
}

TEST(StateMachine, EveryPairOfStatesIsLegalExactlyWhenTheLifeCycleSaysSo) {
  int legal = 0, illegal = 0;
  for (const Machine& m : Machines()) {
    // Every enum value but UNSPECIFIED is a state of the machine.
    ASSERT_EQ(m.machine->states().size(), static_cast<size_t>(m.max_enum)) << m.name;
    ASSERT_EQ(m.expected.size(), m.machine->states().size()) << m.name;
    for (int from : m.machine->states()) {
      for (int to : m.machine->states()) {
        SCOPED_TRACE(std::string(m.name) + " " + m.machine->StateName(from) + " -> " +
                     m.machine->StateName(to));
        auto kind = m.machine->Check(from, to);
        if (m.expected.at(from).contains(to)) {
          ++legal;
          EXPECT_TRUE(kind.ok()) << kind.status();
        } else {
          ++illegal;
          ASSERT_FALSE(kind.ok());
          EXPECT_EQ(kind.status().code(), absl::StatusCode::kFailedPrecondition);
          const std::string message(kind.status().message());
          EXPECT_EQ(message.rfind("target_state: ", 0), 0u) << message;
          // The message names every allowed target, and says "final" when there is none.
          for (int allowed : m.expected.at(from)) {
            EXPECT_NE(message.find(m.machine->StateName(allowed) + " ("), std::string::npos)
                << message;
          }
          if (m.expected.at(from).empty()) {
            EXPECT_NE(message.find("is final"), std::string::npos) << message;
          }
        }
      }
    }
  }
  EXPECT_EQ(legal, 16 + 9 + 7);
  EXPECT_EQ(illegal, (49 - 16) + (49 - 9) + (36 - 7));
}

TEST(StateMachine, TableRowsAreDistinctAndNeverStayInPlace) {
  for (const Machine& m : Machines()) {
    std::set<std::pair<int, int>> seen;
    for (const auto& t : m.machine->transitions()) {
      EXPECT_NE(t.from, t.to) << m.name;
      EXPECT_TRUE(seen.insert({t.from, t.to}).second) << m.name;
    }
  }
}

TEST(StateMachine, IncidentKindsDecideTheEvents) {
  const auto& sm = IncidentStateMachine();
  using namespace v1;
  EXPECT_EQ(*sm.Check(INCIDENT_STATE_RESOLVED, INCIDENT_STATE_IN_PROGRESS),
            TransitionKind::kReopen);
  EXPECT_EQ(*sm.Check(INCIDENT_STATE_ON_HOLD, INCIDENT_STATE_IN_PROGRESS), TransitionKind::kResume);
  EXPECT_EQ(*sm.Check(INCIDENT_STATE_ASSIGNED, INCIDENT_STATE_IN_PROGRESS), TransitionKind::kStart);
  EXPECT_EQ(*sm.Check(INCIDENT_STATE_NEW, INCIDENT_STATE_ASSIGNED), TransitionKind::kAssign);
  for (int from : sm.states()) {
    auto k = sm.Check(from, INCIDENT_STATE_RESOLVED);
    if (k.ok()) {
      EXPECT_EQ(*k, TransitionKind::kResolve);
    }
    auto c = sm.Check(from, INCIDENT_STATE_CANCELLED);
    if (c.ok()) {
      EXPECT_EQ(*c, TransitionKind::kCancel);
    }
  }
}

TEST(StateMachine, ResolvedCannotGoOnHoldAndSaysWhatIsAllowed) {
  auto k = IncidentStateMachine().Check(v1::INCIDENT_STATE_RESOLVED, v1::INCIDENT_STATE_ON_HOLD);
  EXPECT_EQ(k.status().message(),
            "target_state: RESOLVED -> ON_HOLD is not allowed; from RESOLVED: "
            "IN_PROGRESS (reopen), CLOSED (close)");
}

}  // namespace
}  // namespace itsm::incident
