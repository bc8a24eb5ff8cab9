// Request fulfilment: the service's operations on service requests, apart from gRPC, through the
// record toolkit's unit of work (see IncidentManagement for the shape).
#ifndef ITSM_SERVICES_INCIDENT_REQUEST_FULFILMENT_H_
#define ITSM_SERVICES_INCIDENT_REQUEST_FULFILMENT_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/storage/database.h"
#include "services/incident/src/problem_workflow.h"

namespace itsm::incident {

class RequestFulfilment {
 public:
  explicit RequestFulfilment(const ServiceRequestWorkflow& workflow) : workflow_(workflow) {}

  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateServiceRequestRequest& request,
                      v1::ServiceRequest& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateServiceRequestRequest& request,
                      v1::ServiceRequest& out) const;
  absl::Status Transition(storage::Transaction& txn, const base::Caller& caller,
                          const v1::TransitionServiceRequestRequest& request,
                          v1::ServiceRequest& out) const;

  // A requester adds comments to their own requests only.
  absl::Status AddNote(storage::Transaction& txn, const base::Caller& caller,
                       const v1::AddRecordNoteRequest& request,
                       v1::AddServiceRequestNoteResponse& out) const;

  // A requester sees their own requests only (requester_rules.h).
  absl::Status Get(storage::Transaction& txn, const base::Caller& caller,
                   const v1::GetServiceRequestRequest& request, v1::ServiceRequest& out) const;
  absl::Status List(storage::Transaction& txn, const base::Caller& caller,
                    const v1::ListServiceRequestsRequest& request,
                    v1::ListServiceRequestsResponse& out) const;
  // A requester's list is the comments among their notes.
  absl::Status ListNotes(storage::Transaction& txn, const base::Caller& caller,
                         const v1::ListRecordNotesRequest& request,
                         v1::ListRecordNotesResponse& out) const;

 private:
  const ServiceRequestWorkflow& workflow_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_REQUEST_FULFILMENT_H_
