#include "services/change/src/release_state_machine.h"

#include <vector>

namespace itsm::change {
namespace {

std::string WithoutPrefix(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

}  // namespace

const char* ReleaseStepName(ReleaseStep step) {
  switch (step) {
    case ReleaseStep::kBuild:
      return "build";
    case ReleaseStep::kTest:
      return "test";
    case ReleaseStep::kDeploy:
      return "deploy";
    case ReleaseStep::kReview:
      return "review";
    case ReleaseStep::kClose:
      return "close";
    case ReleaseStep::kCancel:
      return "cancel";
  }
  return "?";
}

const char* DeploymentStepName(DeploymentStep step) {
  switch (step) {
    case DeploymentStep::kStart:
      return "start";
    case DeploymentStep::kComplete:
      return "complete";
    case DeploymentStep::kCancel:
      return "cancel";
  }
  return "?";
}

std::string ReleaseStateName(int state) {
  return WithoutPrefix(v1::ReleaseState_Name(state), "RELEASE_STATE_");
}

std::string DeploymentStateName(int state) {
  return WithoutPrefix(v1::DeploymentState_Name(state), "DEPLOYMENT_STATE_");
}

bool IsOpen(v1::ReleaseState state) {
  return state != v1::RELEASE_STATE_UNSPECIFIED && state != v1::RELEASE_STATE_CLOSED &&
         state != v1::RELEASE_STATE_CANCELLED;
}

bool IsOpen(v1::DeploymentState state) {
  return state == v1::DEPLOYMENT_STATE_PLANNED || state == v1::DEPLOYMENT_STATE_IN_PROGRESS;
}

const records::StateMachine<ReleaseStep>& ReleaseStateMachine() {
  using K = ReleaseStep;
  static const records::StateMachine<ReleaseStep> kMachine = [] {
    const std::vector<int> states = {v1::RELEASE_STATE_PLANNED,  v1::RELEASE_STATE_BUILD,
                                     v1::RELEASE_STATE_TEST,     v1::RELEASE_STATE_DEPLOY,
                                     v1::RELEASE_STATE_REVIEW,   v1::RELEASE_STATE_CLOSED,
                                     v1::RELEASE_STATE_CANCELLED};
    std::vector<records::StateMachine<ReleaseStep>::Transition> steps = {
        {v1::RELEASE_STATE_PLANNED, v1::RELEASE_STATE_BUILD, K::kBuild},
        {v1::RELEASE_STATE_BUILD, v1::RELEASE_STATE_TEST, K::kTest},
        {v1::RELEASE_STATE_TEST, v1::RELEASE_STATE_DEPLOY, K::kDeploy},
        {v1::RELEASE_STATE_DEPLOY, v1::RELEASE_STATE_REVIEW, K::kReview},
        {v1::RELEASE_STATE_REVIEW, v1::RELEASE_STATE_CLOSED, K::kClose},
    };
    for (int s : states) {
      if (IsOpen(static_cast<v1::ReleaseState>(s))) {
        steps.push_back({s, v1::RELEASE_STATE_CANCELLED, K::kCancel});
      }
    }
    return records::StateMachine<ReleaseStep>(states, std::move(steps), ReleaseStateName,
                                              ReleaseStepName);
  }();
  return kMachine;
}

const records::StateMachine<DeploymentStep>& DeploymentStateMachine() {
  using K = DeploymentStep;
  static const records::StateMachine<DeploymentStep> kMachine(
      {v1::DEPLOYMENT_STATE_PLANNED, v1::DEPLOYMENT_STATE_IN_PROGRESS,
       v1::DEPLOYMENT_STATE_COMPLETED, v1::DEPLOYMENT_STATE_CANCELLED},
      {
          {v1::DEPLOYMENT_STATE_PLANNED, v1::DEPLOYMENT_STATE_IN_PROGRESS, K::kStart},
          {v1::DEPLOYMENT_STATE_IN_PROGRESS, v1::DEPLOYMENT_STATE_COMPLETED, K::kComplete},
          {v1::DEPLOYMENT_STATE_PLANNED, v1::DEPLOYMENT_STATE_CANCELLED, K::kCancel},
          {v1::DEPLOYMENT_STATE_IN_PROGRESS, v1::DEPLOYMENT_STATE_CANCELLED, K::kCancel},
      },
      DeploymentStateName, DeploymentStepName);
  return kMachine;
}

}  // namespace itsm::change
