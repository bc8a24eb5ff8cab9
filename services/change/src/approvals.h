// Approvals as data: the change policy's approval policies decide who must approve a change
// (the first policy whose match holds), and the votes recorded on the change decide the
// outcome, level by level. No I/O, no clock of its own.
//
//   v1::Approval approval = StartApproval(policy, change, now);   // entering AUTHORISE
//   ITSM_RETURN_IF_ERROR(CheckVoter(approval, caller));
//   approval.add_votes()->...;
//   EvaluateApproval(approval, BarredFromDeciding(change, approval));   // outcome, level
//
// Rules per level (each level decides only after the previous one approved):
//   ANY     the first decision decides;
//   ALL     every named approver approves; one rejection rejects;
//   QUORUM  `quorum` approvals approve; rejected as soon as approval can no longer be reached
//           (more rejections than approvers minus quorum).
// A named approver barred from deciding (who raised the change, its assignee, who decided an
// earlier level: segregation of duties, unless the policy allows self-approval) is left out:
// ALL asks the others, QUORUM at most as many as remain. A level with nobody left stays
// PENDING (decision 263).
#ifndef ITSM_SERVICES_CHANGE_APPROVALS_H_
#define ITSM_SERVICES_CHANGE_APPROVALS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "itsm/base/caller.h"
#include "itsm/change/v1/change.pb.h"

namespace itsm::change {

// The policy that governs `change`: nullptr for a standard change (pre-approved) or when none
// matches (then the change manager alone decides: DefaultLevel()).
const v1::ApprovalPolicy* SelectApprovalPolicy(const v1::ChangePolicy& policy,
                                               const v1::Change& change);
v1::ApprovalLevel DefaultLevel();

// The approval a change starts with when it enters AUTHORISE (or is created, for a standard
// change: PRE_APPROVED).
v1::Approval StartApproval(const v1::ChangePolicy& policy, const v1::Change& change,
                           absl::Time now);

// Who may not decide `change`'s approval: who raised it and its assignee, unless `approval`
// (the change's, or the one it starts) allows self-approval.
std::vector<std::string> BarredFromDeciding(const v1::Change& change, const v1::Approval& approval);

// The outcome of one level from its votes, in the order they were cast (PENDING, APPROVED or
// REJECTED), with `barred` named approvers left out of its electorate.
v1::ApprovalOutcome LevelOutcome(const v1::ApprovalLevel& level,
                                 const std::vector<v1::ApprovalVote>& votes,
                                 const std::vector<std::string>& barred = {});

// Sets outcome and current_level from levels and votes; `barred` as BarredFromDeciding says,
// and at each level who decided the one before, unless self-approval is allowed.
void EvaluateApproval(v1::Approval& approval, const std::vector<std::string>& barred = {});

// Whether `voter` may vote now: the approval is PENDING, the voter holds the current level's
// approver role (when its roles are known: authentication on), is one of the level's named
// approvers (when it names any) and has not voted at this level. FAILED_PRECONDITION or
// PERMISSION_DENIED otherwise.
absl::Status CheckVoter(const v1::Approval& approval, const base::Caller& voter);

// PERMISSION_DENIED when `voter` raised `change` (created_by) or is assigned to it, unless its
// approval started under a policy allowing self-approval: segregation of duties holds for
// administrators too.
absl::Status CheckNotOwnChange(const v1::Change& change, const base::Caller& voter);

// INVALID_ARGUMENT naming the field of an approval policy that cannot work (no rule, a quorum
// out of range, ALL or QUORUM without named approvers).
absl::Status CheckApprovalPolicy(const v1::ApprovalPolicy& policy, const std::string& field);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_APPROVALS_H_
