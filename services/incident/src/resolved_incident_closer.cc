#include "services/incident/src/resolved_incident_closer.h"

#include <pthread.h>

#include <memory>

#include "itsm/base/caller.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/runtime/logging.h"
#include "services/incident/src/incident_repository.h"

namespace itsm::incident {
namespace {

// The audit trail's "who" of a close nobody asked for: the service itself (docs/security.md).
const base::Caller& CloserCaller() {
  static const base::Caller kCaller{.actor = "service:incident", .request_id = "auto-close"};
  return kCaller;
}

}  // namespace

bool ResolvedIncidentCloser::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

absl::StatusOr<bool> ResolvedIncidentCloser::CloseIfStillDue(const std::string& id,
                                                             absl::Time cutoff) {
  bool closed = false;
  ITSM_RETURN_IF_ERROR(committer_.Run([&](storage::Transaction& txn) -> absl::Status {
    closed = false;
    ITSM_ASSIGN_OR_RETURN(v1::Incident stored, IncidentRepository::Get(txn, id));
    // Reopened, closed or edited since the walk read it: not (or not yet) due.
    if (stored.state() != v1::INCIDENT_STATE_RESOLVED ||
        base::FromProtoTimestamp(stored.update_time()) >= cutoff) {
      return absl::OkStatus();
    }
    v1::TransitionIncidentRequest close;
    close.set_id(stored.id());
    close.set_version(stored.version());
    close.set_target_state(v1::INCIDENT_STATE_CLOSED);
    v1::TransitionIncidentResponse out;
    ITSM_RETURN_IF_ERROR(incidents_.Transition(txn, CloserCaller(), close, out));
    closed = true;
    return absl::OkStatus();
  }));
  return closed;
}

absl::StatusOr<int> ResolvedIncidentCloser::CloseDue() {
  const absl::Time cutoff = clock_.Now() - options_.reopen_window;
  int closed = 0;
  ResolvedIncident after;
  while (!Stopping()) {
    std::vector<ResolvedIncident> due;
    {
      ITSM_ASSIGN_OR_RETURN(std::unique_ptr<storage::Transaction> txn,
                            db_.Begin(storage::TransactionMode::kReadOnly));
      ITSM_ASSIGN_OR_RETURN(
          due, IncidentRepository::ResolvedUnchangedSince(*txn, cutoff, after, options_.page));
    }
    if (due.empty()) break;
    for (const ResolvedIncident& incident : due) {
      absl::StatusOr<bool> done = CloseIfStillDue(incident.id, cutoff);
      if (!done.ok()) {
        // Passed over: the walk goes on, and the next round tries it again.
        runtime::log::Warn("resolved incident not closed",
                           {{"incident_id", incident.id}, {"error", done.status().ToString()}});
      } else if (*done) {
        ++closed;
        if (observer_) observer_();
      }
    }
    after = due.back();
  }
  return closed;
}

void ResolvedIncidentCloser::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "closer");
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      if (absl::StatusOr<int> closed = CloseDue(); !closed.ok()) {
        runtime::log::Warn("closing resolved incidents failed",
                           {{"error", closed.status().ToString()}});
      }
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll_interval);
    }
  });
}

void ResolvedIncidentCloser::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace itsm::incident
