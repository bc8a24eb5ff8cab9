// Problem management: the service's operations on problems, apart from gRPC, through the record
// toolkit's unit of work (see IncidentManagement for the shape). Resolving a problem may resolve
// its open linked incidents in the same transaction, each through the incident rules.
#ifndef ITSM_SERVICES_INCIDENT_PROBLEM_MANAGEMENT_H_
#define ITSM_SERVICES_INCIDENT_PROBLEM_MANAGEMENT_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/storage/database.h"
#include "services/incident/src/ci_references.h"
#include "services/incident/src/incident_workflow.h"
#include "services/incident/src/problem_workflow.h"

namespace itsm::incident {

// At most this many open incidents are resolved with their problem in one call (the event lists
// them all within its declared limit).
inline constexpr size_t kMaxResolvedWithProblem = 1000;

class ProblemManagement {
 public:
  ProblemManagement(const ProblemWorkflow& workflow, const IncidentWorkflow& incidents)
      : workflow_(workflow), incidents_(incidents) {}

  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateProblemRequest& request, const CiReferences& cis,
                      v1::Problem& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateProblemRequest& request, const CiReferences& cis,
                      v1::Problem& out) const;
  absl::Status Transition(storage::Transaction& txn, const base::Caller& caller,
                          const v1::TransitionProblemRequest& request,
                          v1::TransitionProblemResponse& out) const;
  absl::Status AddNote(storage::Transaction& txn, const base::Caller& caller,
                       const v1::AddRecordNoteRequest& request,
                       v1::AddProblemNoteResponse& out) const;

  absl::Status Get(storage::Transaction& txn, const v1::GetProblemRequest& request,
                   v1::GetProblemResponse& out) const;
  absl::Status List(storage::Transaction& txn, const v1::ListProblemsRequest& request,
                    v1::ListProblemsResponse& out) const;
  absl::Status ListNotes(storage::Transaction& txn, const base::Caller& caller,
                         const v1::ListRecordNotesRequest& request,
                         v1::ListRecordNotesResponse& out) const;

 private:
  const ProblemWorkflow& workflow_;
  const IncidentWorkflow& incidents_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_PROBLEM_MANAGEMENT_H_
