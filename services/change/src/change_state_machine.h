// The life cycle of a change, one state-machine table (records::StateMachine) per change type:
//
//   normal:    NEW -> ASSESS -> AUTHORISE -> SCHEDULED -> IMPLEMENT -> REVIEW -> CLOSED
//              (AUTHORISE -> ASSESS sends it back for rework)
//   standard:  NEW -> SCHEDULED -> IMPLEMENT -> REVIEW -> CLOSED  (pre-approved by its template)
//   emergency: NEW -> AUTHORISE -> SCHEDULED or straight to IMPLEMENT -> REVIEW -> CLOSED
//   every type: CANCELLED from any open state.
//
// Nothing else decides whether a state change is legal; the guards that depend on the record
// (approved before scheduling, an outcome before review, a review before closing) are in
// ChangeWorkflow. The tests enumerate every pair of states of every type.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_STATE_MACHINE_H_
#define ITSM_SERVICES_CHANGE_CHANGE_STATE_MACHINE_H_

#include <string>

#include "itsm/change/v1/change.pb.h"
#include "itsm/records/state_machine.h"

namespace itsm::change {

// What a transition means: it decides the guards and the fields it sets.
enum class ChangeStep {
  kAssess,     // -> ASSESS
  kAuthorise,  // -> AUTHORISE (the approval starts)
  kRework,     // AUTHORISE -> ASSESS (approval discarded)
  kSchedule,   // -> SCHEDULED
  kImplement,  // -> IMPLEMENT
  kReview,     // IMPLEMENT -> REVIEW (outcome recorded)
  kClose,      // REVIEW -> CLOSED
  kCancel,     // -> CANCELLED
};
const char* ChangeStepName(ChangeStep step);

using ChangeStateMachine = records::StateMachine<ChangeStep>;

const ChangeStateMachine& StateMachineFor(v1::ChangeType type);

// "SCHEDULED" for CHANGE_STATE_SCHEDULED.
std::string ChangeStateName(int state);
bool IsOpen(v1::ChangeState state);
// From AUTHORISE to REVIEW: an approval is asked for or given, and covers the change's plans,
// scope and risk answers as they were when it was asked for (decision 182).
bool UnderApproval(v1::ChangeState state);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_STATE_MACHINE_H_
