// The domain rules of changing a change after it was recorded — updates by field mask,
// transitions along its type's state table with their guards, approval decisions, the schedule,
// conflict overrides, tasks — with no gRPC, SQL or Kafka in them. Each operation takes the
// stored change and returns the edited record; the application may then set what needs the
// CMDB or other records (risk, conflicts) and calls Finish, which versions the record, diffs it
// for the audit trail and composes the events. The caller stores all of it in one transaction.
//
//   ITSM_ASSIGN_OR_RETURN(v1::Change after, workflow.Transition(stored, request, policy, actor));
//   ChangeOutcome out = workflow.Finish(stored, std::move(after), "schedule", actor);
#ifndef ITSM_SERVICES_CHANGE_CHANGE_WORKFLOW_H_
#define ITSM_SERVICES_CHANGE_CHANGE_WORKFLOW_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/records/record_change.h"
#include "services/change/src/change_state_machine.h"

namespace itsm::change {

using ChangeOutcome = records::Change<v1::Change>;

// Who the history names for the service's own writes from consumed events.
inline constexpr char kServiceActor[] = "service:change";
// change.proto's max_encoded_bytes of a Change: what keeps its events within the outbox's limit.
// The service's own writes (kServiceActor: a caused incident's link, a re-check's conflicts) may
// grow a change up to it;
inline constexpr size_t kMaxChangeBytes = 400000;
// callers' writes may grow the change's own content (all but the conflicts and caused-incident
// links the service records) only to this, so that what the service must record about a change
// a caller filled still has room (80,000 bytes: ten links or twenty conflicts at their longest).
inline constexpr size_t kMaxCallerChangeBytes = 320000;
// FAILED_PRECONDITION when `after` is too large: by the service, above kMaxChangeBytes; by a
// caller, when it grows the change's own content (from `before`; null for a create) above
// kMaxCallerChangeBytes. A write that does not grow it always fits, so a change the service's
// records took past the callers' bound can still be moved on, shortened and closed.
absl::Status CheckChangeSize(const v1::Change* before, const v1::Change& after, bool by_service);

class ChangeWorkflow {
 public:
  explicit ChangeWorkflow(const base::Clock& clock) : clock_(clock) {}

  absl::Time Now() const { return clock_.Now(); }

  // Stateless checks of requests: INVALID_ARGUMENT naming the field.
  absl::Status ValidateUpdate(const v1::UpdateChangeRequest& request) const;
  absl::Status ValidateTransition(const v1::TransitionChangeRequest& request) const;
  absl::Status ValidateDecision(const v1::DecideChangeApprovalRequest& request) const;
  absl::Status ValidateSchedule(const v1::ScheduleChangeRequest& request) const;
  absl::Status ValidateOverride(const v1::OverrideChangeConflictsRequest& request) const;
  absl::Status ValidateAddTask(const v1::AddChangeTaskRequest& request) const;
  absl::Status ValidateUpdateTask(const v1::UpdateChangeTaskRequest& request) const;

  // The masked fields applied. FAILED_PRECONDITION for a closed or cancelled change.
  absl::StatusOr<v1::Change> Update(const v1::Change& stored,
                                    const v1::UpdateChangeRequest& request) const;
  // The state changed, with the step's guards and fields. Entering AUTHORISE starts the
  // approval `policy` selects.
  absl::StatusOr<v1::Change> Transition(const v1::Change& stored,
                                        const v1::TransitionChangeRequest& request,
                                        const v1::ChangePolicy& policy) const;
  // The vote recorded and the approval re-evaluated; `vote` is what was recorded.
  // `former_assignees`: who was its assignee since its approval was asked for (the audit
  // trail's), barred from deciding it like the assignee (approvals.h).
  absl::StatusOr<v1::Change> Decide(const v1::Change& stored,
                                    const v1::DecideChangeApprovalRequest& request,
                                    const base::Caller& voter, v1::ApprovalVote& vote,
                                    const std::vector<std::string>& former_assignees = {}) const;
  // The planned slot set (conflicts are the application's to re-check).
  absl::StatusOr<v1::Change> Schedule(const v1::Change& stored,
                                      const v1::ScheduleChangeRequest& request) const;
  absl::StatusOr<v1::Change> Override(const v1::Change& stored,
                                      const v1::OverrideChangeConflictsRequest& request,
                                      const std::string& actor) const;
  // `task` is the task as added or updated.
  absl::StatusOr<v1::Change> AddTask(const v1::Change& stored,
                                     const v1::AddChangeTaskRequest& request,
                                     v1::ChangeTask& task) const;
  absl::StatusOr<v1::Change> UpdateTask(const v1::Change& stored,
                                        const v1::UpdateChangeTaskRequest& request,
                                        v1::ChangeTask& task) const;

  // A re-assessment in AUTHORISE or SCHEDULED whose risk level puts the change under another
  // approval policy (the CMDB moved it to HIGH): the approval it holds was for the other policy,
  // so it starts again under the new one and the change is back in AUTHORISE (decision 255).
  void RenewApprovalIfRiskMovedIt(const v1::ChangePolicy& policy, const v1::Change& stored,
                                  v1::Change& after) const;

  // Conflicts replaced by `found`; an override no longer applies when they differ.
  static void SetConflicts(v1::Change& change, const std::vector<v1::Conflict>& found);

  // The events of a create (ChangeCreated with every set field named).
  ChangeOutcome Created(const v1::Change& change, const std::string& actor) const;
  // Version, update time, the diff and the events from `before` and the edited `after`;
  // `vote` when the change is an approval decision. Nothing changed: no change at all.
  // FAILED_PRECONDITION when the record would outgrow kMaxCallerChangeBytes (kMaxChangeBytes
  // when `actor` is kServiceActor).
  absl::StatusOr<ChangeOutcome> Finish(
      const v1::Change& before, v1::Change after, std::string action, const std::string& actor,
      const std::optional<v1::ApprovalVote>& vote = std::nullopt) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_WORKFLOW_H_
