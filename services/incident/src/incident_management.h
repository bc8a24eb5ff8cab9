// Incident management: the service's operations on incidents, apart from gRPC. Each write runs
// inside the caller's transaction (the group committer's unit) through the record toolkit's unit
// of work — load, domain rule (IncidentFactory, IncidentWorkflow), save with a version check,
// audit entry, outbox events; reads run in the caller's read-only transaction.
//
//   IncidentManagement incidents(factory, workflow);
//   committer.Submit([&](storage::Transaction& txn) {
//     return incidents.Create(txn, caller, request, *response.mutable_incident());
//   }, done);
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_MANAGEMENT_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_MANAGEMENT_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/records/record_change.h"
#include "itsm/storage/database.h"
#include "services/incident/src/ci_references.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_workflow.h"
#include "services/incident/src/settled_writes.h"

namespace itsm::incident {

inline constexpr char kIncidentTopic[] = "itsm.incident.v1";
inline constexpr char kEventSource[] = "itsm/incident";
// How many incidents below a parent one call resolves (TransitionIncidentResponse's limit).
inline constexpr int64_t kMaxResolvedWithParent = 1000;
// Every record kind of the service publishes here, keyed by the record's id.
const records::EventStream& IncidentEvents();

class IncidentManagement {
 public:
  // With `settled`, a list that follows write stamps (a synchroniser's) shows no write behind
  // one committed later (settled_writes.h).
  IncidentManagement(const IncidentFactory& factory, const IncidentWorkflow& workflow,
                     const SettledWrites* settled = nullptr)
      : factory_(factory), workflow_(workflow), settled_(settled) {}

  // Writes: inside the committer's transaction.
  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateIncidentRequest& request, const CiReferences& cis,
                      v1::Incident& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateIncidentRequest& request, const CiReferences& cis,
                      v1::Incident& out) const;
  absl::Status Assign(storage::Transaction& txn, const base::Caller& caller,
                      const v1::AssignIncidentRequest& request, v1::Incident& out) const;
  // With resolve_child_incidents, the open incidents below are resolved in the same transaction
  // (their ids into out.resolved_child_incident_ids); if one cannot be, nothing is.
  absl::Status Transition(storage::Transaction& txn, const base::Caller& caller,
                          const v1::TransitionIncidentRequest& request,
                          v1::TransitionIncidentResponse& out) const;
  absl::Status AddNote(storage::Transaction& txn, const base::Caller& caller,
                       const v1::AddIncidentNoteRequest& request,
                       v1::AddIncidentNoteResponse& out) const;

  // Reads: inside a read-only transaction. A requester sees their own records only, and only
  // the comments among their notes (requester_rules.h).
  // The incident goes into `out` as stored, unparsed (records::SetStoredMessage).
  absl::Status Get(storage::Transaction& txn, const base::Caller& caller,
                   const v1::GetIncidentRequest& request, v1::GetIncidentResponse& out) const;
  // The page's incidents go into `out` as stored, unparsed (records::AppendStoredMessages): on
  // the wire they are its `incidents`, in the process that list looks empty.
  absl::Status List(storage::Transaction& txn, const base::Caller& caller,
                    const v1::ListIncidentsRequest& request, v1::ListIncidentsResponse& out) const;
  absl::Status ListNotes(storage::Transaction& txn, const base::Caller& caller,
                         const v1::ListIncidentNotesRequest& request,
                         v1::ListIncidentNotesResponse& out) const;
  // The audit trail of any record of the service (incident, service request or problem).
  absl::Status History(storage::Transaction& txn, const base::Caller& caller,
                       const v1::GetHistoryRequest& request, v1::GetHistoryResponse& out) const;

 private:
  const IncidentFactory& factory_;
  const IncidentWorkflow& workflow_;
  const SettledWrites* settled_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_MANAGEMENT_H_
