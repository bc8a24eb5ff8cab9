// Change management: the service's operations on changes, apart from gRPC. A write that needs
// the CMDB runs in two steps (servicedb::CommitCallAfter): Gather* reads the stored record and
// the policy in a read-only transaction and asks the configuration service, holding no
// transaction; then the write runs inside the group committer's transaction through the record
// toolkit's unit of work — load, domain rule (ChangeWorkflow, risk, approvals, conflicts), save
// with a version check, audit entry, outbox events. What the CMDB said may be a call older than
// the commit; what this database holds (other changes, windows, the policy) is read again
// inside the transaction.
//
//   ChangeManagement changes(db, cmdb, workflow, clock);
//   ITSM_ASSIGN_OR_RETURN(CmdbFacts facts, changes.GatherForCreate(request));
//   committer.Submit([&](storage::Transaction& txn) {
//     return changes.Create(txn, caller, request, facts, *response.mutable_change());
//   }, done);
#ifndef ITSM_SERVICES_CHANGE_CHANGE_MANAGEMENT_H_
#define ITSM_SERVICES_CHANGE_CHANGE_MANAGEMENT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/records/record_change.h"
#include "itsm/storage/database.h"
#include "services/change/src/caused_incidents.h"
#include "services/change/src/change_calendar.h"
#include "services/change/src/change_workflow.h"
#include "services/change/src/cmdb_facts.h"
#include "services/change/src/cmdb_view.h"
#include "services/change/src/linked_records.h"

namespace itsm::change {

inline constexpr char kChangeTopic[] = "itsm.change.v1";
inline constexpr char kEventSource[] = "itsm/change";
// Every record kind of the service publishes here, keyed by the record's id.
const records::EventStream& ChangeEvents();

class ChangeManagement {
 public:
  // `cmdb` may be null (no configuration service): CIs are then taken as given and neither the
  // CMDB part of the risk nor dependency conflicts are computed. `linked` may be null (no
  // incident service): linked incidents and problems are then taken as given.
  ChangeManagement(storage::Database& db, CmdbView* cmdb, const ChangeWorkflow& workflow,
                   LinkedRecords* linked = nullptr)
      : db_(db), cmdb_(cmdb), workflow_(workflow), linked_(linked) {}

  // Before the transaction: the CMDB's view of the CIs and services the change will have, and
  // the incidents and problems it links to.
  absl::StatusOr<CmdbFacts> GatherForCreate(const v1::CreateChangeRequest& request) const;
  absl::StatusOr<CmdbFacts> GatherFor(const std::string& change_id,
                                      const v1::UpdateChangeRequest* update) const;
  // Before a read filtered by a CI: the CMDB's id of the CI given (ResolveCiFilter).
  absl::StatusOr<std::string> ResolveCiFilter(const std::string& given,
                                              const std::string& field) const {
    return change::ResolveCiFilter(cmdb_, given, field);
  }
  // Before a calendar filtered by a CI (its CMDB id): what decides which windows concern it.
  // None without a CMDB or while it cannot answer (every window is then shown).
  std::optional<CiWindowScope> WindowScopeOf(const std::string& ci_id) const;

  // Writes: inside the committer's transaction.
  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateChangeRequest& request, const CmdbFacts& facts,
                      v1::Change& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateChangeRequest& request, const CmdbFacts& facts,
                      v1::Change& out) const;
  absl::Status Transition(storage::Transaction& txn, const base::Caller& caller,
                          const v1::TransitionChangeRequest& request, const CmdbFacts& facts,
                          v1::Change& out) const;
  absl::Status Assess(storage::Transaction& txn, const base::Caller& caller,
                      const v1::AssessChangeRequest& request, const CmdbFacts& facts,
                      v1::Change& out) const;
  absl::Status Schedule(storage::Transaction& txn, const base::Caller& caller,
                        const v1::ScheduleChangeRequest& request, const CmdbFacts& facts,
                        v1::Change& out) const;
  absl::Status Decide(storage::Transaction& txn, const base::Caller& caller,
                      const v1::DecideChangeApprovalRequest& request, v1::Change& out) const;
  absl::Status Override(storage::Transaction& txn, const base::Caller& caller,
                        const v1::OverrideChangeConflictsRequest& request, const CmdbFacts& facts,
                        v1::Change& out) const;
  absl::Status AddTask(storage::Transaction& txn, const base::Caller& caller,
                       const v1::AddChangeTaskRequest& request,
                       v1::AddChangeTaskResponse& out) const;
  absl::Status UpdateTask(storage::Transaction& txn, const base::Caller& caller,
                          const v1::UpdateChangeTaskRequest& request,
                          v1::UpdateChangeTaskResponse& out) const;

  // Writes of the service itself, from the events it consumes (change_reactions.h), inside the
  // committer's transaction; the history and events name kServiceActor.
  //
  // Links `incident` to every change that possibly caused it (caused_incidents.h) through one
  // of `suspects`; returns the numbers of the changes newly linked. A change already linking it,
  // or full, or that the link would make too large, is left as it is.
  absl::StatusOr<std::vector<std::string>> LinkCausedIncident(
      storage::Transaction& txn, const IncidentSeen& incident,
      const std::vector<SuspectCi>& suspects, absl::Duration window,
      const std::map<std::string, std::string>& ci_names) const;
  // The conflicts of the change checked again with `facts` (GatherFor, before the transaction):
  // after the CMDB, a window or the open major incidents changed. Stored and published when
  // they differ; nothing when the change no longer has its conflicts checked (another state,
  // no slot) or is gone. The change as stored when they differed.
  absl::StatusOr<std::optional<v1::Change>> Recheck(storage::Transaction& txn,
                                                    const std::string& change_id,
                                                    const CmdbFacts& facts) const;

  // Reads: inside a read-only transaction.
  absl::Status Get(storage::Transaction& txn, const v1::GetChangeRequest& request,
                   v1::Change& out) const;
  absl::Status List(storage::Transaction& txn, const v1::ListChangesRequest& request,
                    v1::ListChangesResponse& out) const;
  // The audit trail of a change (id or number), a template, a window or the policy; the last
  // two to callers who may read them (GetChangePolicy, ListChangeWindows).
  absl::Status History(storage::Transaction& txn, const base::Caller& caller,
                       const v1::GetChangeHistoryRequest& request,
                       v1::GetChangeHistoryResponse& out) const;

 private:
  // The risk of `change` as it is now: its template's for a standard change, else the
  // questionnaire, the CMDB facts and the recent outcomes on its CIs.
  absl::StatusOr<v1::RiskAssessment> AssessNow(storage::Transaction& txn, const v1::Change& change,
                                               const v1::ChangePolicy& policy,
                                               const CmdbFacts& facts) const;
  // The conflicts of `change`'s planned slot now. Without a slot: an open major incident on its
  // CIs (a conflict whatever the slot) and, when it is `implementing` now (an emergency change
  // may be, unplanned), whatever a slot starting now meets.
  absl::StatusOr<std::vector<v1::Conflict>> ConflictsNow(storage::Transaction& txn,
                                                         const v1::Change& change,
                                                         const v1::ChangePolicy& policy,
                                                         const CmdbFacts& facts,
                                                         bool implementing = false) const;
  // `refusal` of a transition, with the way through when it refused an IMPLEMENT outside the
  // planned slot for what implementing now meets.
  absl::Status OutsideThePlan(const v1::Change& stored, const v1::TransitionChangeRequest& request,
                              const absl::Status& refusal) const;

  storage::Database& db_;
  CmdbView* cmdb_;
  const ChangeWorkflow& workflow_;
  LinkedRecords* linked_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_MANAGEMENT_H_
