// The life cycles of a release and of a deployment, as state tables (records::StateMachine):
//
//   release:    PLANNED -> BUILD -> TEST -> DEPLOY -> REVIEW -> CLOSED;
//               CANCELLED from any open state
//   deployment: PLANNED -> IN_PROGRESS -> COMPLETED; CANCELLED from PLANNED or IN_PROGRESS
//
// Nothing else decides whether a state change is legal; the guards that depend on the record
// (every change authorised before DEPLOY or a deployment's start, an outcome to complete a
// deployment) are in release_rules.h. The tests enumerate every pair of states of both tables.
#ifndef ITSM_SERVICES_CHANGE_RELEASE_STATE_MACHINE_H_
#define ITSM_SERVICES_CHANGE_RELEASE_STATE_MACHINE_H_

#include <string>

#include "itsm/change/v1/change.pb.h"
#include "itsm/records/state_machine.h"

namespace itsm::change {

enum class ReleaseStep {
  kBuild,   // -> BUILD
  kTest,    // -> TEST
  kDeploy,  // -> DEPLOY (readiness checked)
  kReview,  // -> REVIEW (no deployment in progress, one completed)
  kClose,   // -> CLOSED
  kCancel,  // -> CANCELLED
};
const char* ReleaseStepName(ReleaseStep step);

enum class DeploymentStep {
  kStart,     // -> IN_PROGRESS (readiness checked; actual_start_time set)
  kComplete,  // -> COMPLETED (an outcome; actual_end_time set)
  kCancel,    // -> CANCELLED
};
const char* DeploymentStepName(DeploymentStep step);

const records::StateMachine<ReleaseStep>& ReleaseStateMachine();
const records::StateMachine<DeploymentStep>& DeploymentStateMachine();

// "DEPLOY" for RELEASE_STATE_DEPLOY; "IN_PROGRESS" for DEPLOYMENT_STATE_IN_PROGRESS.
std::string ReleaseStateName(int state);
std::string DeploymentStateName(int state);
bool IsOpen(v1::ReleaseState state);
bool IsOpen(v1::DeploymentState state);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_RELEASE_STATE_MACHINE_H_
