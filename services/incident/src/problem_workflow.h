// The domain rules of problems and service requests, with no gRPC, SQL or Kafka in them:
// validation (INVALID_ARGUMENT naming the field), the new record, updates by field mask and
// transitions through their state machines, each yielding an Outcome (record after the change,
// audit changes, events) that the caller stores in one transaction.
#ifndef ITSM_SERVICES_INCIDENT_PROBLEM_WORKFLOW_H_
#define ITSM_SERVICES_INCIDENT_PROBLEM_WORKFLOW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/base/clock.h"
#include "itsm/incident/v1/incident.pb.h"
#include "services/incident/src/incident_workflow.h"
#include "services/incident/src/priority_matrix.h"

namespace itsm::incident {

using ProblemOutcome = Outcome<v1::Problem>;
using ServiceRequestOutcome = Outcome<v1::ServiceRequest>;

inline constexpr int kMaxQuantity = 1000;

class ProblemWorkflow {
 public:
  ProblemWorkflow(const PriorityMatrix& matrix, const base::Clock& clock)
      : matrix_(matrix), clock_(clock) {}

  absl::Status ValidateCreate(const v1::CreateProblemRequest& request) const;
  // State NEW, version 1, a fresh id; the repository assigns the number.
  v1::Problem NewProblem(const v1::CreateProblemRequest& request, const std::string& actor) const;
  ProblemOutcome Created(const v1::Problem& problem, const std::string& actor) const;

  absl::Status ValidateUpdate(const v1::UpdateProblemRequest& request) const;
  absl::StatusOr<ProblemOutcome> Update(const v1::Problem& stored,
                                        const v1::UpdateProblemRequest& request,
                                        const std::string& actor) const;
  absl::Status ValidateTransition(const v1::TransitionProblemRequest& request) const;
  // KNOWN_ERROR needs a documented workaround (FAILED_PRECONDITION otherwise).
  absl::StatusOr<ProblemOutcome> Transition(const v1::Problem& stored,
                                            const v1::TransitionProblemRequest& request,
                                            const std::string& actor) const;
  // A work note or comment (validated by ValidateNote), in any state; announced by
  // ProblemCommented.
  ProblemOutcome Note(const v1::Problem& stored, const v1::AddRecordNoteRequest& request,
                      const std::string& actor) const;

 private:
  const PriorityMatrix& matrix_;
  const base::Clock& clock_;
};

class ServiceRequestWorkflow {
 public:
  struct Options {
    // Whether a request's requested_for or created_by may approve or reject it.
    bool allow_self_approval = false;
  };
  ServiceRequestWorkflow(const PriorityMatrix& matrix, const base::Clock& clock, Options options)
      : matrix_(matrix), clock_(clock), options_(options) {}

  absl::Status ValidateCreate(const v1::CreateServiceRequestRequest& request) const;
  v1::ServiceRequest NewServiceRequest(const v1::CreateServiceRequestRequest& request,
                                       const std::string& actor) const;
  ServiceRequestOutcome Created(const v1::ServiceRequest& request, const std::string& actor) const;

  absl::Status ValidateUpdate(const v1::UpdateServiceRequestRequest& request) const;
  absl::StatusOr<ServiceRequestOutcome> Update(const v1::ServiceRequest& stored,
                                               const v1::UpdateServiceRequestRequest& request,
                                               const std::string& actor) const;
  absl::Status ValidateTransition(const v1::TransitionServiceRequestRequest& request) const;
  // `former_beneficiaries`: whom the request was for before (requested_for's earlier values,
  // from its audit trail); none of them may approve or reject it either.
  absl::StatusOr<ServiceRequestOutcome> Transition(
      const v1::ServiceRequest& stored, const v1::TransitionServiceRequestRequest& request,
      const std::string& actor, const std::vector<std::string>& former_beneficiaries) const;
  // A work note or comment (validated by ValidateNote), in any state; announced by
  // ServiceRequestCommented.
  ServiceRequestOutcome Note(const v1::ServiceRequest& stored,
                             const v1::AddRecordNoteRequest& request,
                             const std::string& actor) const;

 private:
  // PERMISSION_DENIED when `actor` may not approve or reject `stored` (Options).
  absl::Status CheckMayDecide(const v1::ServiceRequest& stored, const std::string& actor,
                              const std::vector<std::string>& former_beneficiaries) const;
  // FAILED_PRECONDITION when `request` changes what the decision on `stored` judged.
  absl::Status CheckDecisionKept(const v1::ServiceRequest& stored,
                                 const v1::UpdateServiceRequestRequest& request) const;

  const PriorityMatrix& matrix_;
  const base::Clock& clock_;
  const Options options_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_PROBLEM_WORKFLOW_H_
