#include "services/change/src/change_reactions.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/logging.h"
#include "itsm/storage/errors.h"
#include "itsm/storage/savepoint.h"
#include "services/change/src/change_repository.h"
#include "services/change/src/consumed_events.h"

namespace itsm::change {
namespace {

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

absl::Status ChangeReactions::GatherSuspects(Prepared& p) const {
  for (const std::string& ci : AsSet(p.incident->ci_ids)) {
    if (cmdb_ == nullptr) {
      p.suspects.push_back({ci, ci, {}});
      continue;
    }
    absl::StatusOr<CiInfo> info = cmdb_->Describe(ci);
    if (absl::IsNotFound(info.status())) {
      // The incident names a CI the CMDB does not know: only a change naming it the same way
      // can have touched it.
      p.suspects.push_back({ci, ci, {}});
      if (p.incident->open_major) p.major_cis.push_back(ci);
      continue;
    }
    ITSM_RETURN_IF_ERROR(info.status());
    p.ci_names[info->id] = absl::StrCat(info->class_name, "/", info->name);
    p.suspects.push_back({info->id, info->id, {}});
    if (p.incident->open_major) p.major_cis.push_back(info->id);
    if (!p.incident->look_for_cause || options_.caused_incident_depth == 0) continue;
    // Upstream: what the incident's CI depends on, whose change may have broken it.
    ITSM_ASSIGN_OR_RETURN(std::vector<ReachedCi> reached,
                          cmdb_->Reach(info->id, false, options_.caused_incident_depth, {}));
    for (ReachedCi& r : reached) {
      p.ci_names[r.ci.id] = absl::StrCat(r.ci.class_name, "/", r.ci.name);
      p.suspects.push_back({r.ci.id, info->id, std::move(r.path)});
    }
  }
  if (cmdb_ == nullptr && p.incident->open_major) p.major_cis = p.incident->ci_ids;
  return absl::OkStatus();
}

absl::Status ChangeReactions::GatherRechecks(const std::vector<std::string>& ci_ids,
                                             Prepared& p) const {
  std::vector<std::string> ids;
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(
        ids, ChangeRepository::SlottedIds(*txn, ci_ids, clock_.Now(), options_.max_rechecks));
  }
  return GatherFacts(ids, p);
}

absl::Status ChangeReactions::GatherNeighbours(const v1::Change& moved, Prepared& p) const {
  std::vector<std::string> ids;
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(
        ids, ChangeRepository::Neighbours(*txn, moved, clock_.Now(), options_.max_rechecks));
  }
  return GatherFacts(ids, p);
}

absl::Status ChangeReactions::GatherFacts(const std::vector<std::string>& ids, Prepared& p) const {
  if (static_cast<int>(ids.size()) >= options_.max_rechecks) {
    runtime::log::Warn("conflict re-check limited to the first changes",
                       {{"limit", absl::StrCat(options_.max_rechecks)}});
  }
  for (const std::string& id : ids) {
    absl::StatusOr<CmdbFacts> facts = changes_.GatherFor(id, nullptr);
    // Gone since, or naming a CI the CMDB retired: its next write says so to a person.
    if (absl::IsNotFound(facts.status()) || absl::IsInvalidArgument(facts.status())) continue;
    ITSM_RETURN_IF_ERROR(facts.status());
    p.rechecks.emplace(id, *std::move(facts));
  }
  return absl::OkStatus();
}

absl::StatusOr<ChangeReactions::Prepared> ChangeReactions::Prepare(const events::CloudEvent& event,
                                                                   MajorCis& batch_major) const {
  Prepared p;
  ITSM_ASSIGN_OR_RETURN(p.incident, IncidentSeenOf(event));
  if (p.incident) {
    // An earlier event of the batch about the same incident (opened, then resolved) is not
    // applied yet: what it will have left counts, not what the database holds now.
    auto known = batch_major.find(p.incident->id);
    if (known == batch_major.end()) {
      ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
      ITSM_ASSIGN_OR_RETURN(std::vector<std::string> stored,
                            MajorIncidentStore::CisOf(*txn, p.incident->id));
      known = batch_major.emplace(p.incident->id, std::move(stored)).first;
    }
    const std::vector<std::string> stored_major = known->second;
    const bool look = p.incident->look_for_cause && !p.incident->ci_ids.empty();
    // Most incident events neither raise an incident nor concern a major one: no CMDB call.
    if (!look && !p.incident->open_major && stored_major.empty()) return p;
    ITSM_RETURN_IF_ERROR(GatherSuspects(p));
    if (!look) p.suspects.clear();
    p.major_changes = AsSet(stored_major) != AsSet(p.major_cis);
    if (p.major_changes) known->second = p.major_cis;
    p.of_use = look || p.major_changes;
    if (p.major_changes) {
      std::set<std::string> touched = AsSet(stored_major);
      touched.insert(p.major_cis.begin(), p.major_cis.end());
      ITSM_RETURN_IF_ERROR(GatherRechecks({touched.begin(), touched.end()}, p));
    }
    return p;
  }
  ITSM_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> ends, RelationshipEndsOf(event));
  if (ends) {
    if (cmdb_ == nullptr) return p;  // no dependency conflicts are computed without the CMDB
    int depth = 0;
    {
      ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
      ITSM_ASSIGN_OR_RETURN(v1::ChangePolicy policy, PolicyStore::Get(*txn));
      depth = policy.conflict_rules().dependency_depth();
    }
    if (depth == 0) return p;
    // A dependency path through the relationship runs through both ends, and its other parts
    // are still there (even after a deletion): the changes within the depth of an end are those
    // whose DEPENDENT_CI conflicts may differ now.
    std::set<std::string> cis(ends->begin(), ends->end());
    for (const std::string& end : *ends) {
      for (bool downstream : {true, false}) {
        absl::StatusOr<std::vector<ReachedCi>> reached = cmdb_->Reach(end, downstream, depth, {});
        if (absl::IsNotFound(reached.status())) break;  // the CI itself is gone
        ITSM_RETURN_IF_ERROR(reached.status());
        for (const ReachedCi& r : *reached) cis.insert(r.ci.id);
      }
    }
    p.of_use = true;
    ITSM_RETURN_IF_ERROR(GatherRechecks({cis.begin(), cis.end()}, p));
    return p;
  }
  ITSM_ASSIGN_OR_RETURN(std::optional<v1::Change> moved, ChangeMovedOf(event));
  if (moved) {
    ITSM_RETURN_IF_ERROR(GatherNeighbours(*moved, p));
    p.of_use = !p.rechecks.empty();  // nothing near it: no mark to write
    return p;
  }
  ITSM_ASSIGN_OR_RETURN(std::optional<std::string> window, WindowSavedOf(event));
  if (window) {
    // Which changes a window concerns depends on their CI classes (the CMDB's): every slotted
    // change that has not ended is checked again.
    p.of_use = true;
    ITSM_RETURN_IF_ERROR(GatherRechecks({}, p));
  }
  return p;
}

absl::StatusOr<ChangeReactions::Applied> ChangeReactions::Apply(storage::Transaction& txn,
                                                                const events::CloudEvent& event,
                                                                const Prepared& p) const {
  Applied out;
  if (!p.of_use) return out;
  ITSM_ASSIGN_OR_RETURN(bool first, EventMarks::MarkApplied(txn, event.id, clock_.Now()));
  if (!first) {
    out.duplicate = true;
    return out;
  }
  if (p.incident) {
    if (!p.suspects.empty()) {
      ITSM_ASSIGN_OR_RETURN(
          out.linked, changes_.LinkCausedIncident(txn, *p.incident, p.suspects,
                                                  options_.caused_incident_window, p.ci_names));
    }
    // Before the re-checks, which read it.
    if (p.major_changes) {
      ITSM_RETURN_IF_ERROR(
          MajorIncidentStore::Set(txn, p.incident->id, p.incident->number, p.major_cis).status());
    }
  }
  for (const auto& [id, facts] : p.rechecks) {
    // One change's re-check the database refuses (its record grown past what it stores) is left
    // out alone: the event's link and mark, and the other changes' re-checks, stand.
    std::optional<v1::Change> changed;
    absl::Status refused;
    ITSM_RETURN_IF_ERROR(storage::RunRefusable(
        txn, "change_recheck",
        [&]() -> absl::Status {
          ITSM_ASSIGN_OR_RETURN(changed, changes_.Recheck(txn, id, facts));
          return absl::OkStatus();
        },
        &refused));
    if (!refused.ok()) {
      runtime::log::Warn("a change's conflict re-check was refused; the change is left as it was",
                         {{"change_id", id},
                          {"event_type", event.type},
                          {"event_id", event.id},
                          {"error", refused.ToString()}});
      continue;
    }
    if (changed) out.rechecked.push_back(*std::move(changed));
  }
  return out;
}

std::vector<absl::Status> ChangeReactions::ApplyBatch(
    const std::vector<events::ConsumedEvent>& batch) {
  std::vector<absl::Status> results(batch.size());
  std::vector<std::optional<Prepared>> prepared(batch.size());
  size_t ready = batch.size();
  MajorCis batch_major;
  for (size_t i = 0; i < batch.size(); ++i) {
    // Refused before it is prepared: a prepared event counts for the batch's later ones.
    absl::StatusOr<Prepared> p = batch[i].event.id.empty()
                                     ? absl::InvalidArgumentError("ce_id: required")
                                     : Prepare(batch[i].event, batch_major);
    if (p.ok()) {
      prepared[i] = *std::move(p);
    } else if (absl::IsInvalidArgument(p.status())) {
      results[i] = p.status();  // can never be applied: skipped alone, nothing of it stored
    } else {
      // The CMDB cannot answer now: this event and the later ones (maybe of the same record)
      // come back; the earlier ones are applied.
      for (size_t j = i; j < batch.size(); ++j) results[j] = p.status();
      ready = i;
      break;
    }
  }
  bool prune = false;
  {
    absl::MutexLock lock(&mu_);
    if (clock_.Now() - last_prune_ > absl::Hours(1)) {
      prune = true;
      last_prune_ = clock_.Now();
    }
  }
  std::vector<Applied> applied;
  absl::Status committed = committer_.Run([&](storage::Transaction& txn) {
    return ApplyInTransaction(txn, batch, prepared, ready, /*each_alone=*/false, prune, results,
                              applied);
  });
  if (!committed.ok() && !storage::IsTransient(committed)) {
    // The database refused something, which it will refuse again: retried as it is, the batch
    // would hold its partitions for ever. Applied again with each event alone, only the events
    // it refuses on their own are skipped, the others applied in order. No pruning there: a
    // prune the database refuses must not fail every batch (the next one due in an hour tries
    // again).
    committed = committer_.Run([&](storage::Transaction& txn) {
      return ApplyInTransaction(txn, batch, prepared, ready, /*each_alone=*/true,
                                /*prune=*/false, results, applied);
    });
  }
  if (!committed.ok()) {
    // Nothing was written: every event comes back (INVALID_ARGUMENT would skip them).
    if (absl::IsInvalidArgument(committed)) committed = absl::InternalError(committed.message());
    for (size_t i = 0; i < ready; ++i) results[i] = committed;
    return results;
  }
  if (metrics_ != nullptr) {
    for (const Applied& a : applied) {
      metrics_->IncidentsLinked(static_cast<int>(a.linked.size()));
      metrics_->ConflictsRechecked(static_cast<int>(a.rechecked.size()));
      for (const v1::Change& c : a.rechecked) metrics_->ConflictsFound(c);
    }
  }
  return results;
}

absl::Status ChangeReactions::ApplyInTransaction(
    storage::Transaction& txn, const std::vector<events::ConsumedEvent>& batch,
    const std::vector<std::optional<Prepared>>& prepared, size_t ready, bool each_alone, bool prune,
    std::vector<absl::Status>& results, std::vector<Applied>& applied) const {
  // The group committer may run this twice, only the last run counting (group_commit.h): each
  // run answers afresh.
  applied.assign(ready, Applied());
  if (!each_alone) {
    for (size_t i = 0; i < ready; ++i) {
      if (!prepared[i]) continue;
      ITSM_ASSIGN_OR_RETURN(applied[i], Apply(txn, batch[i].event, *prepared[i]));
    }
    if (prune) {
      ITSM_RETURN_IF_ERROR(EventMarks::Prune(txn, clock_.Now() - options_.mark_retention).status());
    }
    return absl::OkStatus();
  }
  // Incidents of which an event was refused after its preparation changed what their later
  // events were prepared against (the open major incident's CIs, MajorCis): those later events
  // would be applied against a state the refusal undid.
  std::set<std::string> undone;
  for (size_t i = 0; i < ready; ++i) {
    if (!prepared[i]) continue;  // refused before it was prepared: its answer stands
    const Prepared& p = *prepared[i];
    const events::CloudEvent& event = batch[i].event;
    if (p.incident && undone.contains(p.incident->id)) {
      // Not written: handed again (with the later events of its partition not done yet), it is
      // prepared against what the database holds.
      results[i] = absl::AbortedError(
          absl::StrCat(event.type, " ", event.id, ": prepared after an event of incident ",
                       p.incident->id, " that the database refused: handed again"));
      continue;
    }
    results[i] = absl::OkStatus();
    if (!p.of_use) continue;  // writes nothing: no savepoint
    absl::Status refused;
    ITSM_RETURN_IF_ERROR(storage::RunRefusable(
        txn, "change_event",
        [&]() -> absl::Status {
          ITSM_ASSIGN_OR_RETURN(applied[i], Apply(txn, event, p));
          return absl::OkStatus();
        },
        &refused));
    if (refused.ok()) continue;
    applied[i] = Applied();
    results[i] = events::RefusedEvent(event, refused);
    if (p.incident && p.major_changes) undone.insert(p.incident->id);
  }
  return absl::OkStatus();
}

std::unique_ptr<events::EventConsumer> NewChangeConsumer(ChangeReactions& reactions,
                                                         events::EventConsumer::Options options,
                                                         prometheus::Registry& registry) {
  if (options.topics.empty()) options.topics = {kIncidentTopic, kConfigTopic, kChangeTopic};
  return std::make_unique<events::EventConsumer>(
      std::move(options),
      [&reactions](const std::vector<events::ConsumedEvent>& batch) {
        return reactions.ApplyBatch(batch);
      },
      registry);
}

}  // namespace itsm::change
