// How far a list that follows write stamps may read: ListIncidents in UPDATE_TIME_ASC order or
// with updated_after, what a synchroniser pages through, carrying the last update time it saw.
//
// A write's update time is stamped inside its unit of the group committer, before its batch
// commits. With several writers (PostgreSQL's default, four), batches commit out of the order
// their units ran: a write stamped at 10.4 s may become visible after one stamped at 10.5 s was
// already listed, behind the synchroniser's cursor, and it would never see it (found from
// outside: 17 to 23 of 400 updates were missed). So such a read takes the time now as its
// horizon, waits for the batches under way (GroupCommitter::WaitForBatchesUnderWay), and shows
// only rows updated up to the horizon: every write stamped by then is visible to its snapshot,
// and any write still to come is stamped later and comes after the cursor. With one writer
// (SQLite) batches commit in order and the read neither waits nor stops short.
//
// It covers the writers of this process. Replicas of the service on one PostgreSQL database
// commit each other's writes out of order too; a synchroniser reading from several replicas
// re-reads an overlap (docs/incident.md).
#ifndef ITSM_SERVICES_INCIDENT_SRC_SETTLED_WRITES_H_
#define ITSM_SERVICES_INCIDENT_SRC_SETTLED_WRITES_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/base/clock.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/storage/group_commit.h"

namespace itsm::incident {

class SettledWrites {
 public:
  // `clock` is the one the writes are stamped with.
  SettledWrites(storage::GroupCommitter& committer, const base::Clock& clock)
      : committer_(committer), clock_(clock) {}

  // The latest update time `request` may show, once every write stamped up to it is visible to
  // a snapshot taken after this returns; InfiniteFuture when nothing need wait (an order that
  // does not follow write stamps, or batches that commit in order). Call it before the read's
  // first statement. UNAVAILABLE when the writes under way do not end within 10 s.
  absl::StatusOr<absl::Time> Horizon(const v1::ListIncidentsRequest& request) const;

 private:
  storage::GroupCommitter& committer_;
  const base::Clock& clock_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_SRC_SETTLED_WRITES_H_
