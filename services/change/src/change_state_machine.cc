#include "services/change/src/change_state_machine.h"

#include <vector>

namespace itsm::change {
namespace {

using S = v1::ChangeState;
using K = ChangeStep;
using Transition = ChangeStateMachine::Transition;

const std::vector<int> kStates = {v1::CHANGE_STATE_NEW,       v1::CHANGE_STATE_ASSESS,
                                  v1::CHANGE_STATE_AUTHORISE, v1::CHANGE_STATE_SCHEDULED,
                                  v1::CHANGE_STATE_IMPLEMENT, v1::CHANGE_STATE_REVIEW,
                                  v1::CHANGE_STATE_CLOSED,    v1::CHANGE_STATE_CANCELLED};

// The steps every type shares after approval, and cancellation from every open state (once
// implementation has started, with the guards of closing: ChangeWorkflow::Transition).
std::vector<Transition> WithCommonTail(std::vector<Transition> steps) {
  steps.push_back({v1::CHANGE_STATE_SCHEDULED, v1::CHANGE_STATE_IMPLEMENT, K::kImplement});
  steps.push_back({v1::CHANGE_STATE_IMPLEMENT, v1::CHANGE_STATE_REVIEW, K::kReview});
  steps.push_back({v1::CHANGE_STATE_REVIEW, v1::CHANGE_STATE_CLOSED, K::kClose});
  for (int s : kStates) {
    if (IsOpen(static_cast<S>(s))) steps.push_back({s, v1::CHANGE_STATE_CANCELLED, K::kCancel});
  }
  return steps;
}

}  // namespace

const char* ChangeStepName(ChangeStep step) {
  switch (step) {
    case K::kAssess:
      return "assess";
    case K::kAuthorise:
      return "authorise";
    case K::kRework:
      return "rework";
    case K::kSchedule:
      return "schedule";
    case K::kImplement:
      return "implement";
    case K::kReview:
      return "review";
    case K::kClose:
      return "close";
    case K::kCancel:
      return "cancel";
  }
  return "?";
}

std::string ChangeStateName(int state) {
  const std::string& name = v1::ChangeState_Name(state);
  constexpr char kPrefix[] = "CHANGE_STATE_";
  return name.rfind(kPrefix, 0) == 0 ? name.substr(sizeof(kPrefix) - 1) : name;
}

bool IsOpen(v1::ChangeState state) {
  return state != v1::CHANGE_STATE_CLOSED && state != v1::CHANGE_STATE_CANCELLED &&
         state != v1::CHANGE_STATE_UNSPECIFIED;
}

bool UnderApproval(v1::ChangeState state) {
  return state == v1::CHANGE_STATE_AUTHORISE || state == v1::CHANGE_STATE_SCHEDULED ||
         state == v1::CHANGE_STATE_IMPLEMENT || state == v1::CHANGE_STATE_REVIEW;
}

const ChangeStateMachine& StateMachineFor(v1::ChangeType type) {
  static const ChangeStateMachine kNormal(
      kStates,
      WithCommonTail({
          {v1::CHANGE_STATE_NEW, v1::CHANGE_STATE_ASSESS, K::kAssess},
          {v1::CHANGE_STATE_ASSESS, v1::CHANGE_STATE_AUTHORISE, K::kAuthorise},
          {v1::CHANGE_STATE_AUTHORISE, v1::CHANGE_STATE_ASSESS, K::kRework},
          {v1::CHANGE_STATE_AUTHORISE, v1::CHANGE_STATE_SCHEDULED, K::kSchedule},
      }),
      ChangeStateName, ChangeStepName);
  // Pre-approved by its template: nothing to assess or authorise.
  static const ChangeStateMachine kStandard(
      kStates,
      WithCommonTail({
          {v1::CHANGE_STATE_NEW, v1::CHANGE_STATE_SCHEDULED, K::kSchedule},
      }),
      ChangeStateName, ChangeStepName);
  // The ECAB authorises; an emergency may be implemented at once, without a planned slot.
  static const ChangeStateMachine kEmergency(
      kStates,
      WithCommonTail({
          {v1::CHANGE_STATE_NEW, v1::CHANGE_STATE_AUTHORISE, K::kAuthorise},
          {v1::CHANGE_STATE_AUTHORISE, v1::CHANGE_STATE_SCHEDULED, K::kSchedule},
          {v1::CHANGE_STATE_AUTHORISE, v1::CHANGE_STATE_IMPLEMENT, K::kImplement},
      }),
      ChangeStateName, ChangeStepName);
  switch (type) {
    case v1::CHANGE_TYPE_STANDARD:
      return kStandard;
    case v1::CHANGE_TYPE_EMERGENCY:
      return kEmergency;
    default:
      return kNormal;
  }
}

}  // namespace itsm::change
