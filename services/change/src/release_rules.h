// The domain rules of releases and their deployments, with no gRPC, SQL or Kafka: request
// checks, a new release, updates by field mask, transitions along the release's and the
// deployment's state tables with their guards, and release readiness. Each operation takes the
// stored release (and, where readiness matters, the release's changes as they are now) and
// returns the edited record; Finish versions it, diffs it for the audit trail and composes the
// events. The application (release_management.h) stores all of it in one transaction.
//
//   ITSM_ASSIGN_OR_RETURN(v1::Release after, rules.Transition(stored, request, changes));
//   ITSM_ASSIGN_OR_RETURN(ReleaseOutcome out, rules.Finish(stored, std::move(after),
//                                                          "transition:DEPLOY", actor));
#ifndef ITSM_SERVICES_CHANGE_RELEASE_RULES_H_
#define ITSM_SERVICES_CHANGE_RELEASE_RULES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/base/clock.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/records/record_change.h"
#include "services/change/src/release_state_machine.h"

namespace itsm::change {

using ReleaseOutcome = records::Change<v1::Release>;

// change.proto's max_encoded_bytes of a Release.
inline constexpr size_t kMaxReleaseBytes = 262144;

// Authorised: approved (or pre-approved by its template) and not cancelled. A release may
// deploy, and a deployment start, only when every change of the release is; a release without
// changes is not ready.
bool IsAuthorised(const v1::Change& change);
v1::ReleaseReadiness Readiness(const std::vector<v1::Change>& changes);

class ReleaseRules {
 public:
  explicit ReleaseRules(const base::Clock& clock) : clock_(clock) {}

  absl::Time Now() const { return clock_.Now(); }

  // Stateless checks of requests: INVALID_ARGUMENT naming the field.
  absl::Status ValidateCreate(const v1::CreateReleaseRequest& request) const;
  absl::Status ValidateUpdate(const v1::UpdateReleaseRequest& request) const;
  absl::Status ValidateTransition(const v1::TransitionReleaseRequest& request) const;
  absl::Status ValidateAddDeployment(const v1::AddDeploymentRequest& request) const;
  absl::Status ValidateUpdateDeployment(const v1::UpdateDeploymentRequest& request) const;

  // A new release in PLANNED, version 1, a fresh id and no number (the store numbers it), with
  // `change_ids` (the request's, resolved to ids).
  v1::Release NewRelease(const v1::CreateReleaseRequest& request,
                         const std::vector<std::string>& change_ids,
                         const std::string& actor) const;
  // The masked fields applied; `change_ids` replaces the list when the mask names it (resolved
  // by the caller) and `changes` are those changes, for a release in DEPLOY (whose new changes
  // must be authorised too). FAILED_PRECONDITION for a closed or cancelled release.
  absl::StatusOr<v1::Release> Update(const v1::Release& stored,
                                     const v1::UpdateReleaseRequest& request,
                                     const std::vector<std::string>& change_ids,
                                     const std::vector<v1::Change>& changes) const;
  // The state changed, with the step's guards; `changes` are the release's changes now.
  absl::StatusOr<v1::Release> Transition(const v1::Release& stored,
                                         const v1::TransitionReleaseRequest& request,
                                         const std::vector<v1::Change>& changes) const;
  // `ci_ids` are the request's CIs resolved by the configuration service. `deployment` is the
  // deployment as added or updated.
  absl::StatusOr<v1::Release> AddDeployment(const v1::Release& stored,
                                            const v1::AddDeploymentRequest& request,
                                            const std::vector<std::string>& ci_ids,
                                            v1::Deployment& deployment) const;
  absl::StatusOr<v1::Release> UpdateDeployment(const v1::Release& stored,
                                               const v1::UpdateDeploymentRequest& request,
                                               const std::vector<std::string>& ci_ids,
                                               const std::vector<v1::Change>& changes,
                                               v1::Deployment& deployment) const;

  // The events of a create (ReleaseCreated with every set field named).
  ReleaseOutcome Created(const v1::Release& release, const std::string& actor) const;
  // Version, update time, the diff and the events (ReleaseUpdated, DeploymentRecorded for
  // `deployment`, ReleaseStateChanged). Nothing changed: no change at all. FAILED_PRECONDITION
  // when the record would outgrow kMaxReleaseBytes.
  absl::StatusOr<ReleaseOutcome> Finish(
      const v1::Release& before, v1::Release after, std::string action, const std::string& actor,
      const std::optional<v1::Deployment>& deployment = std::nullopt) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_RELEASE_RULES_H_
