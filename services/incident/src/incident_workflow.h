// The domain rules of changing an incident after it was recorded — updates by field mask,
// assignment, state transitions (through IncidentStateMachine), notes — with no gRPC, SQL or
// Kafka in them. Each operation takes the stored incident and returns an Outcome: the record
// after the change, the audit entry's field changes, and the events that announce it. The
// caller stores all three in one transaction.
//
//   ITSM_ASSIGN_OR_RETURN(Outcome out, workflow.Transition(stored, request, actor));
//   if (out.changed()) { save(out.after); audit(out.changes); for (e : out.events) outbox(e); }
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_WORKFLOW_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_WORKFLOW_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "itsm/base/clock.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/records/record_change.h"
#include "services/incident/src/priority_matrix.h"
#include "services/incident/src/state_machine.h"

namespace itsm::incident {

// One change of one record, ready to be stored (the record toolkit's Change).
template <typename Record>
using Outcome = records::Change<Record>;
using IncidentOutcome = Outcome<v1::Incident>;

using records::CheckVersion;

class IncidentWorkflow {
 public:
  struct Options {
    // RESOLVED -> IN_PROGRESS is allowed this long after the resolution.
    absl::Duration reopen_window = absl::Hours(168);
  };
  IncidentWorkflow(const PriorityMatrix& matrix, const base::Clock& clock, Options options)
      : matrix_(matrix), clock_(clock), options_(options) {}

  const Options& options() const { return options_; }

  // Stateless checks of the request (mask paths, field values): INVALID_ARGUMENT naming the field.
  absl::Status ValidateUpdate(const v1::UpdateIncidentRequest& request) const;
  absl::Status ValidateAssign(const v1::AssignIncidentRequest& request) const;
  absl::Status ValidateTransition(const v1::TransitionIncidentRequest& request) const;
  absl::Status ValidateNote(const v1::AddIncidentNoteRequest& request) const;

  // The events of a create (IncidentCreated with every set field named).
  IncidentOutcome Created(v1::Incident incident, const std::string& actor) const;
  // Applies the masked fields. Assignment fields may be in the mask (as AssignIncident).
  absl::StatusOr<IncidentOutcome> Update(const v1::Incident& stored,
                                         const v1::UpdateIncidentRequest& request,
                                         const std::string& actor) const;
  // A NEW incident that gets an assignment group or assignee becomes ASSIGNED.
  absl::StatusOr<IncidentOutcome> Assign(const v1::Incident& stored,
                                         const v1::AssignIncidentRequest& request,
                                         const std::string& actor) const;
  absl::StatusOr<IncidentOutcome> Transition(const v1::Incident& stored,
                                             const v1::TransitionIncidentRequest& request,
                                             const std::string& actor) const;
  // Resolves `child`, an open incident below `parent`, which `request` (resolve_child_incidents)
  // has just resolved: the parent's resolution code, and its notes under a line naming it.
  absl::StatusOr<IncidentOutcome> ResolveWithParent(const v1::Incident& child,
                                                    const v1::Incident& parent,
                                                    const v1::TransitionIncidentRequest& request,
                                                    const std::string& actor) const;
  // Notes always change the record (version and update time) and announce IncidentCommented.
  IncidentOutcome Note(const v1::Incident& stored, const v1::AddIncidentNoteRequest& request,
                       const std::string& actor) const;

 private:
  // Version, update time, the diff and the events, from `before` and the edited `after`.
  IncidentOutcome Finish(const v1::Incident& before, v1::Incident after, std::string action,
                         const std::string& actor, std::optional<TransitionKind> kind) const;

  const PriorityMatrix& matrix_;
  const base::Clock& clock_;
  const Options options_;
};

// True while an incident is worked (not RESOLVED, CLOSED or CANCELLED).
bool IsOpen(const v1::Incident& incident);

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_WORKFLOW_H_
