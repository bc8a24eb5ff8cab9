// The life cycles of the three records, as the record toolkit's state-machine tables: incidents,
// service requests and problems. Nothing else decides whether a state change is legal; the
// service asks the table and the tests enumerate it (every pair of states, legal and illegal).
//
//   const auto& sm = IncidentStateMachine();
//   ITSM_ASSIGN_OR_RETURN(TransitionKind kind, sm.Check(INCIDENT_STATE_RESOLVED,
//   INCIDENT_STATE_ON_HOLD));
//   // FAILED_PRECONDITION "target_state: RESOLVED -> ON_HOLD is not allowed; from RESOLVED:
//   IN_PROGRESS (reopen), CLOSED (close)"
#ifndef ITSM_SERVICES_INCIDENT_STATE_MACHINE_H_
#define ITSM_SERVICES_INCIDENT_STATE_MACHINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/records/state_machine.h"

namespace itsm::incident {

// What a transition means; it decides which event announces it and which fields it sets.
enum class TransitionKind {
  kAssign,       // NEW -> ASSIGNED
  kStart,        // -> IN_PROGRESS (work begins)
  kHold,         // -> ON_HOLD
  kResume,       // ON_HOLD -> IN_PROGRESS
  kResolve,      // -> RESOLVED
  kClose,        // RESOLVED -> CLOSED
  kReopen,       // RESOLVED -> IN_PROGRESS
  kCancel,       // -> CANCELLED
  kApprove,      // request SUBMITTED -> APPROVED
  kReject,       // request SUBMITTED -> REJECTED
  kFulfil,       // request FULFILLING -> FULFILLED
  kInvestigate,  // problem NEW -> UNDER_INVESTIGATION
  kKnownError,   // problem -> KNOWN_ERROR
};
const char* TransitionKindName(TransitionKind kind);

using StateMachine = records::StateMachine<TransitionKind>;

const StateMachine& IncidentStateMachine();
const StateMachine& ServiceRequestStateMachine();
const StateMachine& ProblemStateMachine();

// "ON_HOLD" for INCIDENT_STATE_ON_HOLD, etc.
std::string IncidentStateName(int state);
std::string ServiceRequestStateName(int state);
std::string ProblemStateName(int state);

using records::NotKeptOnThisMove;

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_STATE_MACHINE_H_
