#include "services/incident/src/state_machine.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace itsm::incident {

const char* TransitionKindName(TransitionKind kind) {
  switch (kind) {
    case TransitionKind::kAssign:
      return "assign";
    case TransitionKind::kStart:
      return "start";
    case TransitionKind::kHold:
      return "hold";
    case TransitionKind::kResume:
      return "resume";
    case TransitionKind::kResolve:
      return "resolve";
    case TransitionKind::kClose:
      return "close";
    case TransitionKind::kReopen:
      return "reopen";
    case TransitionKind::kCancel:
      return "cancel";
    case TransitionKind::kApprove:
      return "approve";
    case TransitionKind::kReject:
      return "reject";
    case TransitionKind::kFulfil:
      return "fulfil";
    case TransitionKind::kInvestigate:
      return "investigate";
    case TransitionKind::kKnownError:
      return "known_error";
  }
  return "?";
}

std::string IncidentStateName(int state) {
  return std::string(absl::StripPrefix(v1::IncidentState_Name(state), "INCIDENT_STATE_"));
}
std::string ServiceRequestStateName(int state) {
  return std::string(
      absl::StripPrefix(v1::ServiceRequestState_Name(state), "SERVICE_REQUEST_STATE_"));
}
std::string ProblemStateName(int state) {
  return std::string(absl::StripPrefix(v1::ProblemState_Name(state), "PROBLEM_STATE_"));
}

const StateMachine& IncidentStateMachine() {
  using K = TransitionKind;
  // Resolving straight from NEW or ASSIGNED is first-contact resolution (the service desk fixes it
  // on the call), which every peer product allows. Leaving ON_HOLD goes back to work first.
  static const StateMachine kMachine(
      {v1::INCIDENT_STATE_NEW, v1::INCIDENT_STATE_ASSIGNED, v1::INCIDENT_STATE_IN_PROGRESS,
       v1::INCIDENT_STATE_ON_HOLD, v1::INCIDENT_STATE_RESOLVED, v1::INCIDENT_STATE_CLOSED,
       v1::INCIDENT_STATE_CANCELLED},
      {
          {v1::INCIDENT_STATE_NEW, v1::INCIDENT_STATE_ASSIGNED, K::kAssign},
          {v1::INCIDENT_STATE_NEW, v1::INCIDENT_STATE_IN_PROGRESS, K::kStart},
          {v1::INCIDENT_STATE_NEW, v1::INCIDENT_STATE_RESOLVED, K::kResolve},
          {v1::INCIDENT_STATE_NEW, v1::INCIDENT_STATE_CANCELLED, K::kCancel},
          {v1::INCIDENT_STATE_ASSIGNED, v1::INCIDENT_STATE_IN_PROGRESS, K::kStart},
          {v1::INCIDENT_STATE_ASSIGNED, v1::INCIDENT_STATE_ON_HOLD, K::kHold},
          {v1::INCIDENT_STATE_ASSIGNED, v1::INCIDENT_STATE_RESOLVED, K::kResolve},
          {v1::INCIDENT_STATE_ASSIGNED, v1::INCIDENT_STATE_CANCELLED, K::kCancel},
          {v1::INCIDENT_STATE_IN_PROGRESS, v1::INCIDENT_STATE_ON_HOLD, K::kHold},
          {v1::INCIDENT_STATE_IN_PROGRESS, v1::INCIDENT_STATE_RESOLVED, K::kResolve},
          {v1::INCIDENT_STATE_IN_PROGRESS, v1::INCIDENT_STATE_CANCELLED, K::kCancel},
          {v1::INCIDENT_STATE_ON_HOLD, v1::INCIDENT_STATE_IN_PROGRESS, K::kResume},
          {v1::INCIDENT_STATE_ON_HOLD, v1::INCIDENT_STATE_RESOLVED, K::kResolve},
          {v1::INCIDENT_STATE_ON_HOLD, v1::INCIDENT_STATE_CANCELLED, K::kCancel},
          {v1::INCIDENT_STATE_RESOLVED, v1::INCIDENT_STATE_IN_PROGRESS, K::kReopen},
          {v1::INCIDENT_STATE_RESOLVED, v1::INCIDENT_STATE_CLOSED, K::kClose},
      },
      IncidentStateName, TransitionKindName);
  return kMachine;
}

const StateMachine& ServiceRequestStateMachine() {
  using K = TransitionKind;
  static const StateMachine kMachine(
      {v1::SERVICE_REQUEST_STATE_SUBMITTED, v1::SERVICE_REQUEST_STATE_APPROVED,
       v1::SERVICE_REQUEST_STATE_REJECTED, v1::SERVICE_REQUEST_STATE_FULFILLING,
       v1::SERVICE_REQUEST_STATE_FULFILLED, v1::SERVICE_REQUEST_STATE_CLOSED,
       v1::SERVICE_REQUEST_STATE_CANCELLED},
      {
          {v1::SERVICE_REQUEST_STATE_SUBMITTED, v1::SERVICE_REQUEST_STATE_APPROVED, K::kApprove},
          {v1::SERVICE_REQUEST_STATE_SUBMITTED, v1::SERVICE_REQUEST_STATE_REJECTED, K::kReject},
          {v1::SERVICE_REQUEST_STATE_SUBMITTED, v1::SERVICE_REQUEST_STATE_CANCELLED, K::kCancel},
          {v1::SERVICE_REQUEST_STATE_APPROVED, v1::SERVICE_REQUEST_STATE_FULFILLING, K::kStart},
          {v1::SERVICE_REQUEST_STATE_APPROVED, v1::SERVICE_REQUEST_STATE_CANCELLED, K::kCancel},
          {v1::SERVICE_REQUEST_STATE_FULFILLING, v1::SERVICE_REQUEST_STATE_FULFILLED, K::kFulfil},
          {v1::SERVICE_REQUEST_STATE_FULFILLING, v1::SERVICE_REQUEST_STATE_CANCELLED, K::kCancel},
          {v1::SERVICE_REQUEST_STATE_FULFILLED, v1::SERVICE_REQUEST_STATE_CLOSED, K::kClose},
          {v1::SERVICE_REQUEST_STATE_REJECTED, v1::SERVICE_REQUEST_STATE_CLOSED, K::kClose},
      },
      ServiceRequestStateName, TransitionKindName);
  return kMachine;
}

const StateMachine& ProblemStateMachine() {
  using K = TransitionKind;
  static const StateMachine kMachine(
      {v1::PROBLEM_STATE_NEW, v1::PROBLEM_STATE_UNDER_INVESTIGATION, v1::PROBLEM_STATE_KNOWN_ERROR,
       v1::PROBLEM_STATE_RESOLVED, v1::PROBLEM_STATE_CLOSED, v1::PROBLEM_STATE_CANCELLED},
      {
          {v1::PROBLEM_STATE_NEW, v1::PROBLEM_STATE_UNDER_INVESTIGATION, K::kInvestigate},
          {v1::PROBLEM_STATE_NEW, v1::PROBLEM_STATE_CANCELLED, K::kCancel},
          {v1::PROBLEM_STATE_UNDER_INVESTIGATION, v1::PROBLEM_STATE_KNOWN_ERROR, K::kKnownError},
          {v1::PROBLEM_STATE_UNDER_INVESTIGATION, v1::PROBLEM_STATE_RESOLVED, K::kResolve},
          {v1::PROBLEM_STATE_UNDER_INVESTIGATION, v1::PROBLEM_STATE_CANCELLED, K::kCancel},
          {v1::PROBLEM_STATE_KNOWN_ERROR, v1::PROBLEM_STATE_RESOLVED, K::kResolve},
          {v1::PROBLEM_STATE_RESOLVED, v1::PROBLEM_STATE_CLOSED, K::kClose},
      },
      ProblemStateName, TransitionKindName);
  return kMachine;
}

}  // namespace itsm::incident
