// Closes resolved incidents once nobody can reopen them any more (docs/incident.md, "Closing
// resolved incidents"; decision 269), as every service desk product does after its reopen
// period: a RESOLVED incident whose last change is older than the reopen window becomes CLOSED,
// through the incident state machine, with its audit entry and events, in the name of
// `service:incident`.
//
// Each incident is closed in its own unit of the group committer, re-checked inside it (a
// reopen, an edit or a close by someone else in between wins), so one that cannot be closed is
// logged and passed over without holding up the others; the walk goes on past it and tries it
// again in the next round. Replicas sharing PostgreSQL may both try: the version check lets one.
//
//   ResolvedIncidentCloser closer(db, committer, management, clock, {.reopen_window = ...});
//   closer.Start();            // or, in tests: clock.Advance(...); closer.CloseDue();
#ifndef ITSM_SERVICES_INCIDENT_RESOLVED_INCIDENT_CLOSER_H_
#define ITSM_SERVICES_INCIDENT_RESOLVED_INCIDENT_CLOSER_H_

#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "services/incident/src/incident_management.h"

namespace itsm::incident {

class ResolvedIncidentCloser {
 public:
  struct Options {
    // As the workflow's: an incident resolved (and unchanged) for longer can no longer be
    // reopened, so it is closed.
    absl::Duration reopen_window = absl::Hours(168);
    absl::Duration poll_interval = absl::Seconds(60);
    // Incidents read per query of the walk.
    int page = 200;
  };
  ResolvedIncidentCloser(storage::Database& db, storage::GroupCommitter& committer,
                         const IncidentManagement& incidents, const base::Clock& clock,
                         Options options)
      : db_(db), committer_(committer), incidents_(incidents), clock_(clock), options_(options) {}
  ~ResolvedIncidentCloser() { Stop(); }

  // Closes every incident due now. Returns how many it closed; an error only when the walk
  // itself could not read the database.
  absl::StatusOr<int> CloseDue();
  // Called after each incident closed (metrics).
  void SetObserver(std::function<void()> observer) { observer_ = std::move(observer); }
  void Start();
  void Stop();

 private:
  // Closes `id` if it is still RESOLVED and unchanged since before `cutoff`. True when it did.
  absl::StatusOr<bool> CloseIfStillDue(const std::string& id, absl::Time cutoff);
  bool Stopping();

  storage::Database& db_;
  storage::GroupCommitter& committer_;
  const IncidentManagement& incidents_;
  const base::Clock& clock_;
  const Options options_;
  std::function<void()> observer_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_RESOLVED_INCIDENT_CLOSER_H_
