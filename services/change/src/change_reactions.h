// The change service's consumer of other services' events, and of its own window events:
//   itsm.incident.v1  an incident raised on a CI (or its CIs changed) is linked as "possibly
//                     caused by" the changes that touched that CI, or one it depends on, while
//                     implemented or within caused_incident_window after (caused_incidents.h);
//                     open major incidents are kept by CI, and a change on such a CI has a
//                     MAJOR_INCIDENT conflict — re-checked when one opens or closes;
//   itsm.config.v1    a relationship created or deleted re-checks the conflicts of the slotted
//                     changes on CIs within the dependency depth of either end;
//   itsm.change.v1    a window saved (ChangeWindowSaved) re-checks every slotted change that
//                     has not ended; a change moved in or out of the schedule (its slot, state,
//                     CIs or assignment) re-checks the changes overlapping it and those whose
//                     conflicts named it, so conflicts are seen from both sides and clear when
//                     the other change moves away or is cancelled.
// Each event is applied in two steps, as an API write that needs the CMDB (decision 76): first,
// holding no transaction, what it needs from the CMDB and which changes it concerns; then, in
// one transaction of the group committer, its de-duplication mark (its ce_id) and its effects —
// so an event is applied once: a redelivery finds its mark and changes nothing. Events of no use
// (an incident that is neither new nor major, a CI's own fields) get no mark.
//
//   ChangeReactions reactions(db, committer, cmdb, changes, metrics, clock, {});
//   auto consumer = NewChangeConsumer(reactions, {.bootstrap_servers = b,
//                                                 .group_id = "itsm-change"}, registry);
//   consumer->Start();
#ifndef ITSM_SERVICES_CHANGE_CHANGE_REACTIONS_H_
#define ITSM_SERVICES_CHANGE_CHANGE_REACTIONS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "itsm/base/clock.h"
#include "itsm/events/event_consumer.h"
#include "itsm/storage/group_commit.h"
#include "prometheus/registry.h"
#include "services/change/src/caused_incidents.h"
#include "services/change/src/change_management.h"
#include "services/change/src/change_metrics.h"
#include "services/change/src/cmdb_facts.h"
#include "services/change/src/cmdb_view.h"

namespace itsm::change {

class ChangeReactions {
 public:
  struct Options {
    // How long after a change's implementation ended an incident on what it touched is still
    // linked to it.
    absl::Duration caused_incident_window = absl::Hours(72);
    // How many relationships upstream of an incident's CI a change's CI may be (0: the same CI).
    int caused_incident_depth = 3;
    // How long a de-duplication mark is kept: longer than any redelivery (a consumer group
    // replaying from the start after that finds the links made and the conflicts current).
    absl::Duration mark_retention = absl::Hours(24 * 30);
    // The most changes one event re-checks (a relationship on a core switch, a global window):
    // the first created; the others are re-checked by their next write.
    int max_rechecks = 1000;
  };
  // `cmdb` may be null: incidents are then linked through their own CIs only, and re-checks
  // compute no dependency conflicts (as API writes without a configuration service).
  ChangeReactions(storage::Database& db, storage::GroupCommitter& committer, CmdbView* cmdb,
                  const ChangeManagement& changes, ChangeMetrics* metrics, const base::Clock& clock,
                  Options options)
      : db_(db),
        committer_(committer),
        cmdb_(cmdb),
        changes_(changes),
        metrics_(metrics),
        clock_(clock),
        options_(options) {}

  // events::EventConsumer::BatchHandler. Per event OK (applied, a duplicate, or of no use), or
  // INVALID_ARGUMENT for one that can never be applied (skipped, nothing of it stored): one that
  // cannot be read, or one whose write the database refuses (a constraint, a value it cannot
  // store: after such a failure the batch is applied again with each event in a savepoint of
  // its own, and only the events refused alone are skipped, the others applied in order; a
  // later event of a refused one's incident that was prepared as if it had been applied comes
  // back, ABORTED, to be prepared again: decision 203). When the CMDB cannot answer for an
  // event, it and every later event of the batch come back (UNAVAILABLE) and the earlier ones
  // are applied. When the transaction fails transiently (storage::IsTransient), or for no
  // event's sake, all come back: nothing of the batch was written.
  std::vector<absl::Status> ApplyBatch(const std::vector<events::ConsumedEvent>& batch);

  // What an event needs, gathered holding no transaction.
  struct Prepared {
    bool of_use = false;
    std::optional<IncidentSeen> incident = {};
    std::vector<SuspectCi> suspects = {};
    std::map<std::string, std::string> ci_names = {};
    // The incident's CIs as the CMDB names them (ids), when it is an open major incident.
    std::vector<std::string> major_cis = {};
    bool major_changes = false;
    // The changes to re-check, with the CMDB's facts for each.
    std::map<std::string, CmdbFacts> rechecks = {};
  };
  // What this replica's projection says of each incident's open major incident CIs, as the
  // events prepared so far in the batch leave it (they are not applied yet when the next one is
  // prepared); incidents not in it are read from the database.
  using MajorCis = std::map<std::string, std::vector<std::string>>;
  absl::StatusOr<Prepared> Prepare(const events::CloudEvent& event, MajorCis& batch_major) const;
  // What applying a prepared event did (metrics, tests).
  struct Applied {
    bool duplicate = false;
    std::vector<std::string> linked = {};  // change numbers
    // The changes whose conflicts a re-check changed, as stored.
    std::vector<v1::Change> rechecked = {};
  };
  absl::StatusOr<Applied> Apply(storage::Transaction& txn, const events::CloudEvent& event,
                                const Prepared& prepared) const;

 private:
  // The incident's CIs and those they depend on, named by the CMDB where it knows them.
  absl::Status GatherSuspects(Prepared& p) const;
  // Facts of every change to re-check that names one of `ci_ids` (every slotted change when
  // empty).
  absl::Status GatherRechecks(const std::vector<std::string>& ci_ids, Prepared& p) const;
  // Facts of every change to re-check because `moved` moved (ChangeRepository::Neighbours).
  absl::Status GatherNeighbours(const v1::Change& moved, Prepared& p) const;
  // The CMDB's facts of each of `ids` into p.rechecks.
  absl::Status GatherFacts(const std::vector<std::string>& ids, Prepared& p) const;
  // ApplyBatch's unit of the group committer: the prepared events among the first `ready` of
  // `batch`, in order, what each did in `applied`, then the pruning of old marks when `prune`.
  // Without `each_alone` (the fast way, and the only one while the database refuses nothing)
  // the first failure fails the unit. With it, each event in a savepoint of its own: one the
  // database refuses is undone alone and answered INVALID_ARGUMENT in `results`, and the later
  // events of its incident, if it moved the incident's open major CIs, are not applied but
  // answered ABORTED (they were prepared as if it had been applied).
  absl::Status ApplyInTransaction(storage::Transaction& txn,
                                  const std::vector<events::ConsumedEvent>& batch,
                                  const std::vector<std::optional<Prepared>>& prepared,
                                  size_t ready, bool each_alone, bool prune,
                                  std::vector<absl::Status>& results,
                                  std::vector<Applied>& applied) const;

  storage::Database& db_;
  storage::GroupCommitter& committer_;
  CmdbView* cmdb_;
  const ChangeManagement& changes_;
  ChangeMetrics* metrics_;
  const base::Clock& clock_;
  const Options options_;
  absl::Mutex mu_;
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// The consumer of itsm.incident.v1, itsm.config.v1 and itsm.change.v1 with `reactions` as its
// batch handler (those topics when options.topics is empty).
std::unique_ptr<events::EventConsumer> NewChangeConsumer(ChangeReactions& reactions,
                                                         events::EventConsumer::Options options,
                                                         prometheus::Registry& registry);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_REACTIONS_H_
