// The change service's consumer (change_reactions.h) over the real database and committer,
// with the change service's API around it (change_service_fixture.h): incidents linked as
// possibly caused by changes, open major incidents as conflicts, and conflicts re-checked after
// CMDB and window events — exactly once, through redeliveries, an unreachable CMDB and a replay
// of the topics by a new consumer group.
#include "services/change/src/change_reactions.h"

#include "itsm/config/v1/events.pb.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/storage/errors.h"
#include "itsm/supervisor/child_process.h"
#include "services/change/tests/change_service_fixture.h"

namespace itsm::change {
namespace {

class ChangeReactionsTest : public ChangeServiceTest {
 protected:
  void SetUp() override {
    ChangeServiceTest::SetUp();
    reactions_ = std::make_unique<ChangeReactions>(*db_, *committer_, &cmdb_, *changes_, &metrics_,
                                                   clock_, ChangeReactions::Options{});
  }

  // A normal change on `cis`, approved, scheduled kDay+from..to and implemented at the clock's
  // time.
  v1::Change Implemented(const std::string& title, std::vector<std::string> cis, int from, int to) {
    v1::Change c = Create(Normal(title, std::move(cis)));
    c = To(To(c, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE);
    c = Decide(c, "cm", v1::APPROVAL_DECISION_APPROVE);
    c = To(Schedule(c, from, to), v1::CHANGE_STATE_SCHEDULED);
    return To(c, v1::CHANGE_STATE_IMPLEMENT);
  }
  v1::Change Get(const v1::Change& c) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    auto stored = ChangeRepository::Get(**txn, c.id());
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : v1::Change();
  }

  incident::v1::Incident Incident(const std::string& id, std::vector<std::string> cis,
                                  absl::Time created) {
    incident::v1::Incident i;
    i.set_id(id);
    i.set_number("INC-" + id);
    for (const auto& ci : cis) i.add_configuration_item_ids(ci);
    i.set_state(incident::v1::INCIDENT_STATE_NEW);
    *i.mutable_create_time() = base::ToProtoTimestamp(created);
    return i;
  }
  static events::ConsumedEvent Consumed(events::CloudEvent e, const std::string& topic) {
    events::ConsumedEvent c;
    c.key = e.subject;
    c.event = std::move(e);
    c.topic = topic;
    return c;
  }
  events::ConsumedEvent Raised(const incident::v1::Incident& i) {
    incident::v1::IncidentCreated e;
    *e.mutable_incident() = i;
    return Consumed(events::MakeCloudEvent(e, "itsm/incident", i.id(), clock_.Now()),
                    kIncidentTopic);
  }
  events::ConsumedEvent Updated(const incident::v1::Incident& i, std::vector<std::string> fields) {
    incident::v1::IncidentUpdated e;
    *e.mutable_incident() = i;
    for (const auto& f : fields) e.add_changed_fields(f);
    return Consumed(events::MakeCloudEvent(e, "itsm/incident", i.id(), clock_.Now()),
                    kIncidentTopic);
  }
  template <typename Event>
  events::ConsumedEvent Relationship(const std::string& source, const std::string& target) {
    Event e;
    e.mutable_relationship()->set_id(source + ">" + target);
    e.mutable_relationship()->set_source_id(source);
    e.mutable_relationship()->set_target_id(target);
    return Consumed(events::MakeCloudEvent(e, "itsm/config", source + ">" + target, clock_.Now()),
                    kConfigTopic);
  }

  std::vector<absl::Status> Apply(const std::vector<events::ConsumedEvent>& batch) {
    return reactions_->ApplyBatch(batch);
  }
  void ApplyOk(const std::vector<events::ConsumedEvent>& batch) {
    for (const absl::Status& s : Apply(batch)) EXPECT_TRUE(s.ok()) << s;
  }
  // A counter of the service's registry (`kind` label when not empty).
  double Counter(const std::string& name, const std::string& kind) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != name) continue;
      for (const auto& m : family.metric) {
        bool match = kind.empty();
        for (const auto& l : m.label) match = match || (l.name == "kind" && l.value == kind);
        if (match) return m.counter.value;
      }
    }
    return -1;
  }
  static std::set<int> Kinds(const v1::Change& c) {
    std::set<int> kinds;
    for (const auto& k : c.conflicts()) kinds.insert(k.kind());
    return kinds;
  }

  std::unique_ptr<ChangeReactions> reactions_;
};

// The "done when", from the implementation on: an incident raised on the application
// while the database under it is being changed is linked to the change (path and reason), in
// its history and as ChangeIncidentLinked; a redelivery and a second event about the same
// incident link nothing more; the change then needs its review to close.
TEST_P(ChangeReactionsTest, IncidentOnADependentCiDuringImplementationIsLinkedOnce) {
  clock_.Set(kDay + absl::Hours(1));
  v1::Change c = Implemented("Upgrade the database", {"db-01"}, 1, 3);
  v1::Change unrelated = Implemented("Patch something else", {"billing"}, 1, 3);
  clock_.Set(kDay + absl::Hours(2));
  const events::ConsumedEvent raised = Raised(Incident("i-1", {"app-01"}, clock_.Now()));
  ApplyOk({raised});

  v1::Change linked = Get(c);
  ASSERT_EQ(linked.caused_incidents_size(), 1);
  const v1::CausedIncident& link = linked.caused_incidents(0);
  EXPECT_EQ(link.incident_id(), "i-1");
  EXPECT_EQ(link.incident_number(), "INC-i-1");
  EXPECT_EQ(link.incident_ci_id(), "app-01");
  EXPECT_EQ(link.ci_id(), "db-01");
  EXPECT_EQ(std::vector<std::string>(link.path().begin(), link.path().end()),
            (std::vector<std::string>{"app-01", "db-01"}));
  EXPECT_EQ(link.reason(),
            "INC-i-1 was raised on application/app-01, which depends on database/db-01 "
            "(application/app-01 -> database/db-01), changed by CHG0000001, during its "
            "implementation");
  EXPECT_EQ(linked.version(), c.version() + 1);
  EXPECT_TRUE(Get(unrelated).caused_incidents().empty());  // billing depends on app, not under it

  // Delivered again (a consumer that crashed before committing its offset), and a later event
  // of the same incident naming its CIs again: nothing more.
  ApplyOk({raised, Updated(Incident("i-1", {"app-01", "db-01"}, clock_.Now()),
                           {"configuration_item_ids"})});
  EXPECT_EQ(Get(c).version(), linked.version());
  EXPECT_EQ(Count("change_consumed_events"), 2);

  v1::GetChangeHistoryRequest h;
  h.set_id(c.id());
  v1::GetChangeHistoryResponse history;
  ASSERT_TRUE(Call(&Stub::GetChangeHistory, h, &history).ok());
  ASSERT_GT(history.entries_size(), 0);
  EXPECT_EQ(history.entries(history.entries_size() - 1).action(), "link_incident");
  EXPECT_EQ(history.entries(history.entries_size() - 1).actor(), kServiceActor);
  const std::vector<std::string> types = EventTypes(c.id());
  EXPECT_EQ(std::count(types.begin(), types.end(), "ChangeIncidentLinked"), 1);

  // A successful change that possibly caused an incident is reviewed before it closes.
  v1::Change reviewed =
      To(Get(c), v1::CHANGE_STATE_REVIEW, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_SUCCESSFUL);
  To(reviewed, v1::CHANGE_STATE_CLOSED, grpc::StatusCode::FAILED_PRECONDITION);
  To(reviewed, v1::CHANGE_STATE_CLOSED, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_UNSPECIFIED,
     "The upgrade restarted the pool; app-01 lost connections for 3 min");
}

TEST_P(ChangeReactionsTest, OnlyIncidentsWithinTheWindowAfterTheImplementationAreLinked) {
  clock_.Set(kDay + absl::Hours(1));
  v1::Change c = Implemented("Upgrade the database", {"db-01"}, 1, 3);
  const absl::Time started = clock_.Now();
  clock_.Set(kDay + absl::Hours(3));
  c = To(c, v1::CHANGE_STATE_REVIEW, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_SUCCESSFUL);
  const absl::Time ended = clock_.Now();
  clock_.Set(ended + absl::Hours(100));  // the events may be consumed late: their times count
  ApplyOk({Raised(Incident("before", {"db-01"}, started - absl::Minutes(1))),
           Raised(Incident("late", {"db-01"}, ended + absl::Hours(72) + absl::Seconds(1))),
           Raised(Incident("in-time", {"db-01"}, ended + absl::Hours(72))),
           Raised(Incident("unknown-ci", {"no-such-ci"}, ended))});
  v1::Change linked = Get(c);
  ASSERT_EQ(linked.caused_incidents_size(), 1);
  EXPECT_EQ(linked.caused_incidents(0).incident_id(), "in-time");
  EXPECT_TRUE(linked.caused_incidents(0).path().empty());
  EXPECT_EQ(linked.caused_incidents(0).reason(),
            "INC-in-time was raised on database/db-01, changed by CHG0000001, 72 h after it "
            "ended");
  // Linked changes count as failures in the failure rate of later assessments.
  v1::Change next = Create(Normal("Another database change", {"db-01"}));
  bool counted = false;
  for (const auto& f : next.risk().factors()) {
    if (f.factor() == "change_failure_rate") counted = f.contribution() > 0;
  }
  EXPECT_TRUE(counted) << next.risk().DebugString();
}

TEST_P(ChangeReactionsTest, EventsOfNoUseLeaveNoMarkAndBadOnesAreSkippedAlone) {
  clock_.Set(kDay + absl::Hours(1));
  v1::Change c = Implemented("Upgrade the database", {"db-01"}, 1, 3);
  incident::v1::IncidentAssigned assigned;  // not major, CIs unchanged
  *assigned.mutable_incident() = Incident("i-2", {"db-01"}, clock_.Now());
  events::CloudEvent garbage =
      events::MakeCloudEvent(assigned, "itsm/incident", "i-3", clock_.Now());
  garbage.type = "itsm.incident.v1.IncidentCreated";
  garbage.data = "\xff\xff not a message";
  events::ConsumedEvent no_id = Raised(Incident("i-4", {"db-01"}, clock_.Now()));
  no_id.event.id.clear();
  const std::vector<absl::Status> results =
      Apply({Consumed(events::MakeCloudEvent(assigned, "itsm/incident", "i-2", clock_.Now()),
                      kIncidentTopic),
             Consumed(garbage, kIncidentTopic), no_id,
             Relationship<config::v1::RelationshipCreated>("", "db-01"),
             Raised(Incident("i-5", {"db-01"}, clock_.Now()))});
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_TRUE(absl::IsInvalidArgument(results[1])) << results[1];
  EXPECT_TRUE(absl::IsInvalidArgument(results[2])) << results[2];
  EXPECT_TRUE(absl::IsInvalidArgument(results[3])) << results[3];
  EXPECT_TRUE(results[4].ok()) << results[4];
  EXPECT_EQ(Count("change_consumed_events"), 1);  // i-5's only
  ASSERT_EQ(Get(c).caused_incidents_size(), 1);
  EXPECT_EQ(Get(c).caused_incidents(0).incident_id(), "i-5");
}

// The CMDB unreachable: the event and the later ones of the batch come back, the earlier ones
// are applied; once it answers, the redelivery links as if nothing had happened.
TEST_P(ChangeReactionsTest, AnUnreachableCmdbHandsTheRestOfTheBatchBack) {
  clock_.Set(kDay + absl::Hours(1));
  v1::Change c = Implemented("Upgrade the database", {"db-01"}, 1, 3);
  const events::ConsumedEvent first = Raised(Incident("i-1", {}, clock_.Now()));
  const events::ConsumedEvent second = Raised(Incident("i-2", {"app-01"}, clock_.Now()));
  const events::ConsumedEvent third = Raised(Incident("i-3", {"db-01"}, clock_.Now()));
  cmdb_.SetUnavailable(true);
  const std::vector<absl::Status> results = Apply({first, second, third});
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_TRUE(absl::IsUnavailable(results[1])) << results[1];
  EXPECT_TRUE(absl::IsUnavailable(results[2])) << results[2];
  EXPECT_TRUE(Get(c).caused_incidents().empty());
  EXPECT_EQ(Count("change_consumed_events"), 0);
  cmdb_.SetUnavailable(false);
  ApplyOk({second, third});
  EXPECT_EQ(Get(c).caused_incidents_size(), 2);
}

// An open major incident on a CI is a conflict of the changes scheduled on it, found when it
// opens and cleared when it is resolved, and seen by later schedule checks.
TEST_P(ChangeReactionsTest, OpenMajorIncidentsAreConflictsFoundAndCleared) {
  v1::Change c = Create(Normal("Upgrade the database", {"db-01"}));
  c = Schedule(To(To(c, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 10, 12);
  EXPECT_TRUE(c.conflicts().empty());
  incident::v1::Incident major = Incident("m-1", {"db-01"}, clock_.Now());
  major.set_major_incident(true);
  ApplyOk({Updated(major, {"major_incident"})});
  v1::Change found = Get(c);
  ASSERT_EQ(found.conflicts_size(), 1);
  EXPECT_EQ(found.conflicts(0).kind(), v1::CONFLICT_KIND_MAJOR_INCIDENT);
  EXPECT_EQ(found.conflicts(0).other_id(), "m-1");
  EXPECT_EQ(found.conflicts(0).ci_id(), "db-01");
  EXPECT_EQ(found.conflicts(0).reason(), "major incident INC-m-1 is open on CI database/db-01");
  EXPECT_EQ(Count("change_major_incidents"), 1);
  EXPECT_EQ(Counter("itsm_change_conflicts_found_total", "MAJOR_INCIDENT"), 1);
  EXPECT_EQ(Counter("itsm_change_conflict_rechecks_changed_total", ""), 1);

  // A change scheduled later on the same CI sees it too.
  v1::Change later = Schedule(Create(Normal("Another", {"db-01"})), 20, 21);
  EXPECT_EQ(Kinds(later), std::set<int>{v1::CONFLICT_KIND_MAJOR_INCIDENT});

  major.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  ApplyOk({Updated(major, {"state"})});
  EXPECT_TRUE(Get(c).conflicts().empty());
  EXPECT_TRUE(Get(later).conflicts().empty());
  EXPECT_EQ(Count("change_major_incidents"), 0);
  const std::vector<std::string> types = EventTypes(c.id());
  EXPECT_EQ(std::count(types.begin(), types.end(), "ChangeConflictsChanged"), 2);
}

// A major incident is a conflict whatever the slot, and an emergency change may have none: it is
// found on such a change from its creation, and checked again as the change is implemented,
// which it blocks until overridden, whatever the policy (decision 236).
TEST_P(ChangeReactionsTest, AnEmergencyChangeWithoutASlotMeetsAnOpenMajorIncident) {
  incident::v1::Incident major = Incident("m-1", {"db-01"}, clock_.Now());
  major.set_major_incident(true);
  ApplyOk({Updated(major, {"major_incident"})});
  v1::CreateChangeRequest hotfix = Normal("Hotfix the database", {"db-01"});
  hotfix.set_type(v1::CHANGE_TYPE_EMERGENCY);
  v1::Change c = Create(hotfix);
  EXPECT_EQ(Kinds(c), std::set<int>{v1::CONFLICT_KIND_MAJOR_INCIDENT});
  c = Decide(To(c, v1::CHANGE_STATE_AUTHORISE), "cab-1", v1::APPROVAL_DECISION_APPROVE);
  ASSERT_EQ(c.approval().outcome(), v1::APPROVAL_OUTCOME_APPROVED);
  To(c, v1::CHANGE_STATE_IMPLEMENT, grpc::StatusCode::FAILED_PRECONDITION);
  c = To(Override(c, "the hotfix is the major incident's fix"), v1::CHANGE_STATE_IMPLEMENT);
  EXPECT_TRUE(c.has_actual_start_time());
  EXPECT_EQ(Kinds(c), std::set<int>{v1::CONFLICT_KIND_MAJOR_INCIDENT});

  // Without an incident, a change implemented unplanned meets what happens now: a freeze, and
  // the hotfix running on the database the application depends on.
  v1::CreateChangeWindowRequest w;
  w.mutable_window()->set_name("All day freeze");
  w.mutable_window()->set_kind(v1::WINDOW_KIND_BLACKOUT);
  w.mutable_window()->set_time_zone("UTC");
  w.mutable_window()->set_start_local_time("00:00");
  w.mutable_window()->set_duration_minutes(24 * 60);
  w.mutable_window()->add_ci_class_names("application");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  v1::CreateChangeRequest restart = Normal("Restart the application", {"app-01"});
  restart.set_type(v1::CHANGE_TYPE_EMERGENCY);
  v1::Change app = Create(restart);
  EXPECT_TRUE(app.conflicts().empty()) << "no slot: only what holds whatever the slot";
  app = Decide(To(app, v1::CHANGE_STATE_AUTHORISE), "cab-1", v1::APPROVAL_DECISION_APPROVE);
  To(app, v1::CHANGE_STATE_IMPLEMENT, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Kinds(Get(app)), std::set<int>{}) << "a refused transition stores nothing";
  // The refusal names the freeze, and a change manager may override it: the override accepts
  // the conflicts of implementing now, which it stores.
  v1::TransitionChangeRequest implement;
  implement.set_id(app.id());
  implement.set_version(app.version());
  implement.set_target_state(v1::CHANGE_STATE_IMPLEMENT);
  v1::TransitionChangeResponse refused;
  grpc::Status s = Call(&Stub::TransitionChange, implement, &refused);
  EXPECT_NE(s.error_message().find("All day freeze"), std::string::npos) << s.error_message();
  app = Override(app, "the outage cannot wait for the end of the freeze");
  EXPECT_EQ(Kinds(app),
            (std::set<int>{v1::CONFLICT_KIND_DEPENDENT_CI, v1::CONFLICT_KIND_BLACKOUT_WINDOW}));
  app = To(app, v1::CHANGE_STATE_IMPLEMENT);
  EXPECT_TRUE(app.has_actual_start_time());
}

// Found from outside: the override of an emergency change's slot outside the maintenance
// windows, two days ahead, let it start at once, outside them too. An override is of the planned
// slot: implementing outside it is another slot and asks for another override.
TEST_P(ChangeReactionsTest, AnOverrideIsOfThePlannedSlotNotOfAnEarlyStart) {
  v1::CreateChangeWindowRequest w;
  w.mutable_window()->set_name("Database nights");
  w.mutable_window()->set_kind(v1::WINDOW_KIND_MAINTENANCE);
  w.mutable_window()->set_time_zone("UTC");
  w.mutable_window()->set_start_local_time("22:00");
  w.mutable_window()->set_duration_minutes(120);
  w.mutable_window()->add_ci_class_names("database");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  v1::CreateChangeRequest fix = Normal("Patch the database", {"db-01"});
  fix.set_type(v1::CHANGE_TYPE_EMERGENCY);
  v1::Change c =
      Decide(To(Create(fix), v1::CHANGE_STATE_AUTHORISE), "cab-1", v1::APPROVAL_DECISION_APPROVE);
  ASSERT_TRUE(c.approval().conflicts_need_override());
  c = Schedule(c, 49, 50);  // two days ahead at 01:00: outside the window
  EXPECT_EQ(Kinds(c), std::set<int>{v1::CONFLICT_KIND_OUTSIDE_MAINTENANCE_WINDOW});
  c = To(Override(c, "the vendor's engineer is on site then"), v1::CHANGE_STATE_SCHEDULED);
  clock_.Set(kDay + absl::Hours(10));  // today at 10:00, outside the window too
  c = To(c, v1::CHANGE_STATE_IMPLEMENT, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(c.state(), v1::CHANGE_STATE_SCHEDULED);
  EXPECT_FALSE(Get(c).conflict_override_reason().empty()) << "a refused move stores nothing";
  clock_.Set(kDay + absl::Hours(49) + absl::Minutes(10));  // within its slot: overridden
  c = To(c, v1::CHANGE_STATE_IMPLEMENT);
  EXPECT_EQ(c.state(), v1::CHANGE_STATE_IMPLEMENT);
}

// An emergency change implemented without a planned slot holds the schedule from its start until
// it ends (decision 259): a change planned on the same CI meets it — found when scheduled, or
// once the emergency's event is consumed — and the calendar shows it; its end clears that.
TEST_P(ChangeReactionsTest, AnEmergencyRunningWithoutASlotHoldsTheScheduleUntilItEnds) {
  const auto state_changed = [this](const v1::Change& c, v1::ChangeState from) {
    v1::ChangeStateChanged e;
    *e.mutable_change() = c;
    e.set_previous_state(from);
    e.set_new_state(c.state());
    return Consumed(events::MakeCloudEvent(e, kEventSource, c.id(), clock_.Now()), kChangeTopic);
  };
  const auto calendar = [this](absl::Time from, absl::Time to) {
    v1::GetChangeCalendarRequest r;
    *r.mutable_start_time() = base::ToProtoTimestamp(from);
    *r.mutable_end_time() = base::ToProtoTimestamp(to);
    v1::GetChangeCalendarResponse out;
    EXPECT_TRUE(Call(&Stub::GetChangeCalendar, r, &out).ok());
    std::set<std::string> ids;
    for (const v1::Change& c : out.changes()) ids.insert(c.id());
    return ids;
  };
  v1::Change planned = Create(Normal("Patch the application", {"app-01"}));
  planned = Schedule(To(To(planned, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 10, 12);
  v1::CreateChangeRequest restart = Normal("Restart the application", {"app-01"});
  restart.set_type(v1::CHANGE_TYPE_EMERGENCY);
  v1::Change emergency = Create(restart);
  emergency =
      Decide(To(emergency, v1::CHANGE_STATE_AUTHORISE), "cab-1", v1::APPROVAL_DECISION_APPROVE);
  EXPECT_FALSE(calendar(clock_.Now(), kDay + absl::Hours(24)).contains(emergency.id()));
  emergency = To(emergency, v1::CHANGE_STATE_IMPLEMENT);
  ASSERT_FALSE(emergency.has_planned_start_time());
  EXPECT_TRUE(emergency.conflicts().empty()) << "checked against this moment, not tomorrow";
  EXPECT_TRUE(calendar(kDay + absl::Hours(10), kDay + absl::Hours(11)).contains(emergency.id()));

  ApplyOk({state_changed(emergency, v1::CHANGE_STATE_AUTHORISE)});
  const v1::Change met = Get(planned);
  ASSERT_EQ(Kinds(met), std::set<int>{v1::CONFLICT_KIND_SAME_CI});
  EXPECT_EQ(met.conflicts(0).other_id(), emergency.id());
  EXPECT_NE(met.conflicts(0).reason().find("in progress since"), std::string::npos)
      << met.conflicts(0).reason();
  // Scheduled anew, the planned change finds it by itself.
  planned = Schedule(met, 11, 13);
  EXPECT_EQ(Kinds(planned), std::set<int>{v1::CONFLICT_KIND_SAME_CI});

  // Ended an hour later: the calendar shows the hour, and the planned change is clear of it.
  const absl::Time started = base::FromProtoTimestamp(emergency.actual_start_time());
  clock_.Advance(absl::Hours(1));
  emergency =
      To(emergency, v1::CHANGE_STATE_REVIEW, grpc::StatusCode::OK, v1::CHANGE_OUTCOME_SUCCESSFUL);
  ApplyOk({state_changed(emergency, v1::CHANGE_STATE_IMPLEMENT)});
  EXPECT_TRUE(Get(planned).conflicts().empty());
  EXPECT_TRUE(calendar(started, started + absl::Minutes(30)).contains(emergency.id()));
  EXPECT_FALSE(calendar(started + absl::Hours(1), kDay + absl::Hours(24)).contains(emergency.id()));
}

// A change implemented early holds the schedule from when it really started: a change planned on
// the same CI an hour later meets it, though the first one's plan is for tomorrow.
TEST_P(ChangeReactionsTest, AChangeImplementedEarlyHoldsTheScheduleFromItsStart) {
  const v1::Change early = Implemented("Patch the application", {"app-01"}, 10, 12);
  ASSERT_LT(clock_.Now(), kDay);  // its plan is for tomorrow
  v1::Change next = Create(Normal("Restart the application", {"app-01"}));
  next = Schedule(To(To(next, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), -15, -14);
  ASSERT_EQ(Kinds(next), std::set<int>{v1::CONFLICT_KIND_SAME_CI});
  EXPECT_EQ(next.conflicts(0).other_id(), early.id());
}

// Opened and resolved in one batch: the second event is prepared before the first is applied,
// and must still see it (else the incident would stay "open" in the projection).
TEST_P(ChangeReactionsTest, AMajorIncidentOpenedAndResolvedInOneBatchLeavesNoConflict) {
  v1::Change c = Create(Normal("Upgrade the database", {"db-01"}));
  c = Schedule(To(To(c, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 10, 12);
  incident::v1::Incident major = Incident("m-1", {"db-01"}, clock_.Now());
  major.set_major_incident(true);
  const events::ConsumedEvent opened = Raised(major);
  major.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  ApplyOk({opened, Updated(major, {"state"})});
  EXPECT_EQ(Count("change_major_incidents"), 0);
  EXPECT_TRUE(Get(c).conflicts().empty());
  EXPECT_EQ(Count("change_consumed_events"), 2);
}

TEST_P(ChangeReactionsTest, RelationshipAndWindowEventsRecheckTheConflicts) {
  cmdb_.Add("cache-01", "cache");
  v1::Change app = Create(Normal("Patch the application", {"app-01"}));
  app = Schedule(To(To(app, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 10, 12);
  v1::Change cache = Create(Normal("Resize the cache", {"cache-01"}));
  cache = Schedule(To(To(cache, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 11, 13);
  EXPECT_TRUE(app.conflicts().empty());

  cmdb_.DependsOn("app-01", "cache-01");
  ApplyOk({Relationship<config::v1::RelationshipCreated>("app-01", "cache-01")});
  EXPECT_EQ(Kinds(Get(app)), std::set<int>{v1::CONFLICT_KIND_DEPENDENT_CI});
  EXPECT_EQ(Kinds(Get(cache)), std::set<int>{v1::CONFLICT_KIND_DEPENDENT_CI});

  cmdb_.Remove("app-01", "cache-01");
  ApplyOk({Relationship<config::v1::RelationshipDeleted>("app-01", "cache-01")});
  EXPECT_TRUE(Get(app).conflicts().empty());
  EXPECT_TRUE(Get(cache).conflicts().empty());

  // A blackout window over billing, which depends on app-01: the application's change is inside
  // it from the moment the window's event is consumed.
  v1::CreateChangeWindowRequest w;
  w.mutable_window()->set_name("Billing freeze");
  w.mutable_window()->set_kind(v1::WINDOW_KIND_BLACKOUT);
  w.mutable_window()->set_time_zone("UTC");
  w.mutable_window()->set_start_local_time("09:00");
  w.mutable_window()->set_duration_minutes(120);
  w.mutable_window()->add_service_ids("billing");
  v1::CreateChangeWindowResponse window;
  ASSERT_TRUE(Call(&Stub::CreateChangeWindow, w, &window, "cm").ok());
  EXPECT_TRUE(Get(app).conflicts().empty());
  v1::ChangeWindowSaved saved;
  *saved.mutable_window() = window.window();
  ApplyOk({Consumed(events::MakeCloudEvent(saved, kEventSource, window.window().id(), clock_.Now()),
                    kChangeTopic)});
  EXPECT_EQ(Kinds(Get(app)), std::set<int>{v1::CONFLICT_KIND_BLACKOUT_WINDOW});
  EXPECT_TRUE(Get(cache).conflicts().empty());
}

// Conflicts are seen from both sides: a change scheduled over one already in the schedule is
// reported on that one too once its event is consumed, and a change moved away or cancelled
// clears the conflicts the others had with it (decision 254).
TEST_P(ChangeReactionsTest, AChangeMovedOrCancelledRechecksTheChangesItMeets) {
  const auto event = [this](const v1::Change& c, auto message) {
    *message.mutable_change() = c;
    return Consumed(events::MakeCloudEvent(message, kEventSource, c.id(), clock_.Now()),
                    kChangeTopic);
  };
  const auto others = [](const v1::Change& c) {
    std::set<std::string> ids;
    for (const auto& k : c.conflicts()) ids.insert(k.other_id());
    return ids;
  };
  v1::Change first = Create(Normal("Patch the application", {"app-01"}));
  first = Schedule(To(To(first, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 10, 12);
  v1::Change second = Create(Normal("Restart the application", {"app-01"}));
  second = Schedule(To(To(second, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 11, 13);
  EXPECT_EQ(others(second), std::set<std::string>{first.id()});
  EXPECT_TRUE(Get(first).conflicts().empty());
  ApplyOk({event(second, v1::ChangeScheduleChanged())});
  EXPECT_EQ(others(Get(first)), std::set<std::string>{second.id()});

  // The first moved away: the second's conflict with it clears.
  first = Schedule(Get(first), 14, 15);
  EXPECT_TRUE(first.conflicts().empty());
  ApplyOk({event(first, v1::ChangeScheduleChanged())});
  EXPECT_TRUE(Get(second).conflicts().empty());

  // Back over it, then cancelled.
  first = Schedule(first, 12, 14);
  EXPECT_EQ(others(first), std::set<std::string>{second.id()});
  ApplyOk({event(first, v1::ChangeScheduleChanged())});
  EXPECT_EQ(others(Get(second)), std::set<std::string>{first.id()});
  first = To(first, v1::CHANGE_STATE_CANCELLED);
  v1::ChangeStateChanged cancelled;
  cancelled.set_previous_state(v1::CHANGE_STATE_AUTHORISE);
  cancelled.set_new_state(v1::CHANGE_STATE_CANCELLED);
  ApplyOk({event(first, cancelled)});
  EXPECT_TRUE(Get(second).conflicts().empty());
  // A change event that moves nothing of the schedule re-checks nothing and leaves no mark.
  v1::ChangeUpdated retitled;
  retitled.add_changed_fields("title");
  const auto rechecks = Counter("itsm_change_conflict_rechecks_changed_total", "");
  ApplyOk({event(Get(second), retitled)});
  EXPECT_EQ(Counter("itsm_change_conflict_rechecks_changed_total", ""), rechecks);
}

// Through the broker: the events consumed by the service's consumer, then the whole topic again
// by a new consumer group (a replay, as after offsets were lost): the same links, once.
TEST_P(ChangeReactionsTest, AReplayOfTheTopicsThroughTheBrokerChangesNothing) {
  ASSERT_TRUE(cluster_->CreateTopic(kIncidentTopic, 2).ok());
  ASSERT_TRUE(cluster_->CreateTopic(kConfigTopic, 1).ok());
  clock_.Set(kDay + absl::Hours(1));
  v1::Change c = Implemented("Upgrade the database", {"db-01"}, 1, 3);
  auto producer =
      events::KafkaProducer::Create({.bootstrap_servers = cluster_->bootstrap_servers()});
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto batch = (*producer)->NewBatch();
  ASSERT_TRUE(batch.ok());
  for (int i = 0; i < 5; ++i) {
    const events::ConsumedEvent e =
        Raised(Incident(absl::StrCat("i-", i), {i % 2 ? "app-01" : "db-01"}, clock_.Now()));
    ASSERT_EQ(batch->Produce(kIncidentTopic, e.key, e.event), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  for (const auto& d : batch->Wait()) ASSERT_TRUE(d.delivered());
  auto consume = [&](const std::string& group) {
    prometheus::Registry registry;
    auto consumer = NewChangeConsumer(*reactions_,
                                      {.bootstrap_servers = cluster_->bootstrap_servers(),
                                       .group_id = group,
                                       .topics = {kIncidentTopic, kConfigTopic}},
                                      registry);
    ASSERT_TRUE(consumer->Start().ok());
    auto at_end = [&] {
      for (int p = 0; p < 2; ++p) {
        auto end = consumer->QueryHighWatermark(kIncidentTopic, p, absl::Seconds(5));
        auto applied = consumer->Applied(kIncidentTopic, p);
        if (!end.ok() || !applied || *applied < *end) return false;
      }
      return true;
    };
    ASSERT_TRUE(supervisor::WaitUntil(at_end, absl::Seconds(60), "incidents applied").ok());
    consumer->Stop();
  };
  consume("first");
  const v1::Change once = Get(c);
  EXPECT_EQ(once.caused_incidents_size(), 5);
  consume("replay");
  EXPECT_EQ(Get(c).version(), once.version());
  EXPECT_EQ(Count("change_consumed_events"), 5);
}

// m-bad's open major incident is refused (change_major_incidents): its mark and its link to the
// implemented change, written just before in the same event, must be undone with it.
itsm::testing::WriteFault RefuseBadMajor() {
  return {.name = "refuse_m_bad",
          .table = "change_major_incidents",
          .column = "incident_id",
          .value = "m-bad"};
}

// A change implemented on db-01 (incidents raised on it are linked) and one scheduled there
// (open major incidents on it are its conflicts); the clock after the implementation started.
struct OnDb01 {
  v1::Change implemented;
  v1::Change scheduled;
};

class RefusedEventTest : public ChangeReactionsTest {
 protected:
  OnDb01 Changes() {
    clock_.Set(kDay + absl::Hours(1));
    OnDb01 out;
    out.implemented = Implemented("Upgrade the database", {"db-01"}, 1, 3);
    v1::Change c = Create(Normal("Patch the database", {"db-01"}));
    out.scheduled =
        Schedule(To(To(c, v1::CHANGE_STATE_ASSESS), v1::CHANGE_STATE_AUTHORISE), 10, 12);
    clock_.Set(kDay + absl::Hours(2));
    return out;
  }
  incident::v1::Incident Major(const std::string& id) {
    incident::v1::Incident i = Incident(id, {"db-01"}, clock_.Now());
    i.set_major_incident(true);
    return i;
  }
  // In one partition: i-1 raised on db-01, the major incident m-bad opened on it (refused), the
  // major incident m-1 opened on it, then m-bad updated (still major, the same CIs).
  std::vector<events::ConsumedEvent> Batch() {
    return {Raised(Incident("i-1", {"db-01"}, clock_.Now())), Raised(Major("m-bad")),
            Raised(Major("m-1")), Updated(Major("m-bad"), {"priority"})};
  }
  std::set<std::string> Linked(const v1::Change& c) {
    const v1::Change stored = Get(c);
    std::set<std::string> ids;
    for (const auto& l : stored.caused_incidents()) ids.insert(l.incident_id());
    return ids;
  }
  std::set<std::string> MajorConflicts(const v1::Change& c) {
    const v1::Change stored = Get(c);
    std::set<std::string> ids;
    for (const auto& k : stored.conflicts()) {
      if (k.kind() == v1::CONFLICT_KIND_MAJOR_INCIDENT) ids.insert(k.other_id());
    }
    return ids;
  }
  // Every event applied but m-bad's opening, INVALID_ARGUMENT naming it, and m-bad's update,
  // which was prepared as if m-bad were open already (it would have found nothing to do):
  // handed again, not skipped, nothing of it written.
  void ExpectAllButTheRefusedApplied(const std::vector<events::ConsumedEvent>& batch,
                                     const std::vector<absl::Status>& results,
                                     const OnDb01& changes) {
    ASSERT_EQ(results.size(), batch.size());
    for (size_t i : {0, 2}) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    EXPECT_EQ(results[1].code(), absl::StatusCode::kInvalidArgument) << results[1];
    // What the consumer logs as it skips it: which event, and why.
    const std::string why(results[1].message());
    EXPECT_NE(why.find("itsm.incident.v1.IncidentCreated"), std::string::npos) << why;
    EXPECT_NE(why.find(batch[1].event.id), std::string::npos) << why;
    EXPECT_NE(why.find("refuse_m_bad"), std::string::npos) << why;
    EXPECT_EQ(results[3].code(), absl::StatusCode::kAborted) << results[3];
    // m-bad's link, written before its refused row, undone with it; the events after it in the
    // partition applied.
    EXPECT_EQ(Linked(changes.implemented), (std::set<std::string>{"i-1", "m-1"}));
    EXPECT_EQ(MajorConflicts(changes.scheduled), std::set<std::string>{"m-1"});
    EXPECT_EQ(Count("change_major_incidents"), 1);
    EXPECT_EQ(Count("change_consumed_events"), 2);  // i-1's and m-1's
  }
};

// One event whose write the database refuses (a trigger here; a constraint or a value it cannot
// store in life) is skipped alone: retried with the batch, it would hold its partition for ever.
// The rest of the batch is applied, in order, and a redelivery changes nothing more.
TEST_P(RefusedEventTest, AnEventTheDatabaseRefusesIsSkippedAlone) {
  const OnDb01 changes = Changes();
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, RefuseBadMajor()).ok());
  const std::vector<events::ConsumedEvent> batch = Batch();
  ExpectAllButTheRefusedApplied(batch, Apply(batch), changes);
  EXPECT_EQ(Counter("itsm_change_caused_incident_links_total", ""), 2);
  const int64_t version = Get(changes.implemented).version();
  // Handed again (a restart before anything else): refused again, nothing else changes.
  ExpectAllButTheRefusedApplied(batch, Apply(batch), changes);
  EXPECT_EQ(Get(changes.implemented).version(), version);

  // The update handed back comes again without the skipped event before it (as the consumer
  // hands it): prepared against what the database holds, it opens m-bad — once the database
  // takes it; until then it is refused alone in turn.
  const std::vector<absl::Status> again = Apply({batch[3]});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].code(), absl::StatusCode::kInvalidArgument) << again[0];
  ASSERT_TRUE(itsm::testing::RemoveWriteFault(*db_, RefuseBadMajor()).ok());
  ApplyOk({batch[3]});
  EXPECT_EQ(MajorConflicts(changes.scheduled), (std::set<std::string>{"m-1", "m-bad"}));
  EXPECT_EQ(Count("change_major_incidents"), 2);
}

// A major incident opened on db-01 re-checks both changes scheduled there, and the database
// refuses one of them (its record; in life a record grown past what it stores): that change alone
// is left as it was. The event stands, with its mark, its link and the other change's conflict.
TEST_P(RefusedEventTest, AChangeWhoseRecheckIsRefusedIsLeftOutAlone) {
  const OnDb01 changes = Changes();
  const v1::Change refused = Schedule(
      To(To(Create(Normal("Patch the database again", {"db-01"})), v1::CHANGE_STATE_ASSESS),
         v1::CHANGE_STATE_AUTHORISE),
      10, 12);
  const itsm::testing::WriteFault fault{
      .name = "refuse_recheck", .table = "changes", .column = "id", .value = refused.id()};
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, fault).ok());
  const std::vector<absl::Status> results = Apply({Raised(Major("m-1"))});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_EQ(MajorConflicts(changes.scheduled), std::set<std::string>{"m-1"});
  EXPECT_TRUE(MajorConflicts(refused).empty());
  EXPECT_EQ(Get(refused).version(), refused.version());
  EXPECT_EQ(Linked(changes.implemented), std::set<std::string>{"m-1"});
  EXPECT_EQ(Count("change_major_incidents"), 1);
  EXPECT_EQ(Count("change_consumed_events"), 1);
  ASSERT_TRUE(itsm::testing::RemoveWriteFault(*db_, fault).ok());
}

// A database that fails transiently refuses nothing for good: every event comes back (none
// INVALID_ARGUMENT, which would skip it) and nothing is written; once the database is back the
// same batch is applied with only the refused event skipped. Through a connection that gives up
// a lock after 200 ms. SQLite: another connection holds the write lock (busy). PostgreSQL: after
// m-bad was refused, m-1's major incident row fails as a serialization failure does, so the
// transient error is met event by event.
TEST_P(RefusedEventTest, ATransientFailureIsRetriedNeverSkipped) {
  const OnDb01 changes = Changes();
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, RefuseBadMajor()).ok());
  const itsm::testing::WriteFault conflict{.name = "conflict_on_m_1",
                                           .table = "change_major_incidents",
                                           .column = "incident_id",
                                           .value = "m-1",
                                           .sqlstate = "40001"};
  auto db = storage::OpenDatabase(url_, {.busy_timeout_ms = 200});
  ASSERT_TRUE(db.ok()) << db.status();
  storage::GroupCommitter committer(**db, storage::GroupCommitter::Options{});
  ChangeReactions reactions(**db, committer, &cmdb_, *changes_, &metrics_, clock_,
                            ChangeReactions::Options{});
  auto lock = itsm::testing::MakeWritesTransient(*db_, conflict);
  ASSERT_TRUE(lock.ok()) << lock.status();
  const std::vector<events::ConsumedEvent> batch = Batch();
  for (const absl::Status& s : reactions.ApplyBatch(batch)) {
    EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(storage::IsTransient(s)) << s;
  }
  EXPECT_TRUE(Linked(changes.implemented).empty());
  EXPECT_TRUE(MajorConflicts(changes.scheduled).empty());
  EXPECT_EQ(Count("change_major_incidents"), 0);
  EXPECT_EQ(Count("change_consumed_events"), 0);

  if (GetParam() == Backend::kSqlite) {
    lock->reset();
  } else {
    ASSERT_TRUE(itsm::testing::RemoveWriteFault(*db_, conflict).ok());
  }
  ExpectAllButTheRefusedApplied(batch, reactions.ApplyBatch(batch), changes);
  committer.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, RefusedEventTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

INSTANTIATE_TEST_SUITE_P(Backends, ChangeReactionsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::change
