// What a requester may do (base::Caller::own_records_only: ROLE_REQUESTER without a broader
// role): raise incidents and service requests for themselves, and see, follow and comment on
// those only, and cancel their own service requests. "Their own" is the person the record is for:
// Incident.caller, ServiceRequest.requested_for. Pure rules; the application classes apply them.
#ifndef ITSM_SERVICES_INCIDENT_REQUESTER_RULES_H_
#define ITSM_SERVICES_INCIDENT_REQUESTER_RULES_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::incident {

// The person a record is for (Incident.caller, ServiceRequest.requested_for) as given: empty
// (then the actor) or a name with no blanks around it. INVALID_ARGUMENT naming `field` else: a
// blank or padded name matches no one, and would hide the record from the person it is for.
absl::Status CheckPersonField(const char* field, const std::string& value);

// PERMISSION_DENIED naming `field` when a requester names configuration items (given: any named).
// They may not read the CMDB, and an answer that tells a CI that exists from one that does not,
// or a retired one, would let them read it one guess at a time: the service desk links the CIs.
absl::Status CheckRequesterMayNameCis(const base::Caller& caller, const char* field, bool given);

// PERMISSION_DENIED naming the first field a requester may not set: the record must be for
// themselves, routing (group, assignee, major incident) is the service desk's, and so are the
// configuration items.
absl::Status CheckRequesterMayCreate(const base::Caller& caller,
                                     const v1::CreateIncidentRequest& request);
absl::Status CheckRequesterMayCreate(const base::Caller& caller,
                                     const v1::CreateServiceRequestRequest& request);

// NOT_FOUND, worded as for a record that does not exist, when `caller` may not see the record
// asked for as `asked_id`: a requester must not learn which numbers belong to others.
absl::Status CheckMaySee(const base::Caller& caller, const v1::Incident& incident,
                         const std::string& asked_id);
absl::Status CheckMaySee(const base::Caller& caller, const v1::ServiceRequest& request,
                         const std::string& asked_id);
// A create repeated with its idempotency key is answered with the record as it is now, which a
// requester may no longer see (an agent gave it to another person): NOT_FOUND naming the key
// instead of the record's content.
absl::Status CheckMaySeeRepeated(const base::Caller& caller, const v1::Incident& incident);
absl::Status CheckMaySeeRepeated(const base::Caller& caller, const v1::ServiceRequest& request);
// Problems are the support staff's: a requester sees none.
absl::Status CheckMaySee(const base::Caller& caller, const v1::Problem& problem,
                         const std::string& asked_id);

// A requester's notes are comments (what the caller sees), never internal work notes.
absl::Status CheckRequesterMayAddNote(const base::Caller& caller, v1::NoteVisibility visibility);
// A requester may withdraw their own service request (CANCELLED) and move it nowhere else.
absl::Status CheckRequesterMayTransition(const base::Caller& caller,
                                         v1::ServiceRequestState target);
// A requester may answer the resolution of their own incident — reopen it (RESOLVED →
// IN_PROGRESS, within the reopen window) or accept it (RESOLVED → CLOSED) — and withdraw it
// (CANCELLED); the service desk's moves (assigning, working, holding, resolving) are not theirs.
absl::Status CheckRequesterMayTransition(const base::Caller& caller, v1::IncidentState from,
                                         v1::IncidentState target);
// A requester asking for the work notes is refused rather than answered with the comments.
absl::Status CheckRequesterMayListNotes(const base::Caller& caller, v1::NoteVisibility visibility);

// The list filter narrowed to the requester's own records; PERMISSION_DENIED when the request
// names another person.
absl::Status NarrowToOwn(const base::Caller& caller, v1::ListIncidentsRequest& request);
absl::Status NarrowToOwn(const base::Caller& caller, v1::ListServiceRequestsRequest& request);

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_REQUESTER_RULES_H_
