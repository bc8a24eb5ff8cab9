// Every pair of states of every change type, generated from the tables: a pair in the table is
// legal; any other pair is FAILED_PRECONDITION naming the allowed targets. A second, independent
// statement of the life cycles (as the issue states them) guards the tables themselves.
#include "services/change/src/change_state_machine.h"

#include <map>
#include <set>

#include "gtest/gtest.h"

namespace itsm::change {
namespace {

using namespace v1;

std::map<int, std::set<int>> Expected(ChangeType type) {
  const std::set<int> cancel = {CHANGE_STATE_CANCELLED};
  auto with_cancel = [&](std::set<int> s) {
    s.insert(CHANGE_STATE_CANCELLED);
    return s;
  };
  std::map<int, std::set<int>> m = {{CHANGE_STATE_SCHEDULED, with_cancel({CHANGE_STATE_IMPLEMENT})},
                                    {CHANGE_STATE_IMPLEMENT, with_cancel({CHANGE_STATE_REVIEW})},
                                    {CHANGE_STATE_REVIEW, with_cancel({CHANGE_STATE_CLOSED})},
                                    {CHANGE_STATE_CLOSED, {}},
                                    {CHANGE_STATE_CANCELLED, {}}};
  switch (type) {
    case CHANGE_TYPE_STANDARD:
      m[CHANGE_STATE_NEW] = with_cancel({CHANGE_STATE_SCHEDULED});
      m[CHANGE_STATE_ASSESS] = cancel;
      m[CHANGE_STATE_AUTHORISE] = cancel;
      break;
    case CHANGE_TYPE_EMERGENCY:
      m[CHANGE_STATE_NEW] = with_cancel({CHANGE_STATE_AUTHORISE});
      m[CHANGE_STATE_ASSESS] = cancel;
      m[CHANGE_STATE_AUTHORISE] = with_cancel({CHANGE_STATE_SCHEDULED, CHANGE_STATE_IMPLEMENT});
      break;
    default:
      m[CHANGE_STATE_NEW] = with_cancel({CHANGE_STATE_ASSESS});
      m[CHANGE_STATE_ASSESS] = with_cancel({CHANGE_STATE_AUTHORISE});
      m[CHANGE_STATE_AUTHORISE] = with_cancel({CHANGE_STATE_ASSESS, CHANGE_STATE_SCHEDULED});
  }
  return m;
}

TEST(ChangeStateMachine, EveryPairOfEveryTypeMatchesTheLifeCycle) {
  int checked = 0;
  for (ChangeType type : {CHANGE_TYPE_STANDARD, CHANGE_TYPE_NORMAL, CHANGE_TYPE_EMERGENCY}) {
    const ChangeStateMachine& sm = StateMachineFor(type);
    const auto expected = Expected(type);
    for (int from = CHANGE_STATE_NEW; from <= ChangeState_MAX; ++from) {
      for (int to = CHANGE_STATE_NEW; to <= ChangeState_MAX; ++to) {
        const bool legal = expected.at(from).contains(to);
        auto step = sm.Check(from, to);
        EXPECT_EQ(step.ok(), legal) << ChangeType_Name(type) << " " << ChangeStateName(from)
                                    << " -> " << ChangeStateName(to);
        if (!legal) {
          EXPECT_EQ(step.status().code(), absl::StatusCode::kFailedPrecondition);
          for (int allowed : expected.at(from)) {
            EXPECT_NE(step.status().message().find(ChangeStateName(allowed)), std::string::npos)
                << step.status();
          }
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 3 * 8 * 8);
}

TEST(ChangeStateMachine, CancelledFromEveryOpenStateOnly) {
  for (ChangeType type : {CHANGE_TYPE_STANDARD, CHANGE_TYPE_NORMAL, CHANGE_TYPE_EMERGENCY}) {
    for (int s = CHANGE_STATE_NEW; s <= ChangeState_MAX; ++s) {
      EXPECT_EQ(StateMachineFor(type).Check(s, CHANGE_STATE_CANCELLED).ok(),
                IsOpen(static_cast<ChangeState>(s)));
    }
  }
}

TEST(ChangeStateMachine, StandardChangesSkipAssessAndAuthorise) {
  auto step = StateMachineFor(CHANGE_TYPE_STANDARD).Check(CHANGE_STATE_NEW, CHANGE_STATE_SCHEDULED);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(*step, ChangeStep::kSchedule);
  EXPECT_FALSE(
      StateMachineFor(CHANGE_TYPE_NORMAL).Check(CHANGE_STATE_NEW, CHANGE_STATE_SCHEDULED).ok());
}

}  // namespace
}  // namespace itsm::change
