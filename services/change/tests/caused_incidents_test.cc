#include "services/change/src/caused_incidents.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/config/v1/events.pb.h"
#include "itsm/incident/v1/events.pb.h"
#include "services/change/src/conflict_detector.h"

namespace itsm::change {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

v1::Change ChangeOn(std::vector<std::string> cis, absl::Duration implemented_for,
                    v1::ChangeState state = v1::CHANGE_STATE_REVIEW) {
  v1::Change c;
  c.set_id("c-1");
  c.set_number("CHG0000001");
  c.set_state(state);
  for (const auto& ci : cis) c.add_configuration_item_ids(ci);
  *c.mutable_actual_start_time() = base::ToProtoTimestamp(kStart);
  if (state != v1::CHANGE_STATE_IMPLEMENT && state != v1::CHANGE_STATE_CANCELLED) {
    *c.mutable_actual_end_time() = base::ToProtoTimestamp(kStart + implemented_for);
  }
  return c;
}

IncidentSeen At(absl::Time t) {
  return {.id = "i-1", .number = "INC0000001", .create_time = t, .ci_ids = {"app"}};
}

const std::vector<SuspectCi> kSuspects = {
    {"app", "app", {}}, {"db", "app", {"app", "db"}}, {"disk", "app", {"app", "db", "disk"}}};

TEST(CausedIncidents, LinkedFromTheStartToTheEndOfTheWindowAfterTheImplementation) {
  const v1::Change c = ChangeOn({"db"}, absl::Hours(2));
  const absl::Duration window = absl::Hours(72);
  EXPECT_FALSE(CauseOf(c, At(kStart - absl::Seconds(1)), kSuspects, window, {}, kStart));
  EXPECT_TRUE(CauseOf(c, At(kStart), kSuspects, window, {}, kStart));
  EXPECT_TRUE(CauseOf(c, At(kStart + absl::Hours(74)), kSuspects, window, {}, kStart));
  EXPECT_FALSE(
      CauseOf(c, At(kStart + absl::Hours(74) + absl::Seconds(1)), kSuspects, window, {}, kStart));
  // Still being implemented: no end yet. Cancelled during the implementation: nothing to link.
  EXPECT_TRUE(CauseOf(ChangeOn({"db"}, {}, v1::CHANGE_STATE_IMPLEMENT),
                      At(kStart + absl::Hours(500)), kSuspects, window, {}, kStart));
  EXPECT_FALSE(CauseOf(ChangeOn({"db"}, {}, v1::CHANGE_STATE_CANCELLED), At(kStart), kSuspects,
                       window, {}, kStart));
  v1::Change never_started = c;
  never_started.clear_actual_start_time();
  EXPECT_FALSE(CauseOf(never_started, At(kStart), kSuspects, window, {}, kStart));
  EXPECT_FALSE(
      CauseOf(ChangeOn({"other"}, absl::Hours(2)), At(kStart), kSuspects, window, {}, kStart));
}

TEST(CausedIncidents, TheShortestPathIsShownWithNames) {
  const v1::Change c = ChangeOn({"disk", "db"}, absl::Hours(2));
  auto link = CauseOf(c, At(kStart + absl::Hours(3)), kSuspects, absl::Hours(72),
                      {{"app", "application/app"}, {"db", "database/db"}}, kStart);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->ci_id(), "db");
  EXPECT_EQ(link->incident_ci_id(), "app");
  EXPECT_EQ(link->path_size(), 2);
  EXPECT_EQ(link->reason(),
            "INC0000001 was raised on application/app, which depends on database/db "
            "(application/app -> database/db), changed by CHG0000001, 60 min after it ended");
  EXPECT_EQ(base::FromProtoTimestamp(link->incident_time()), kStart + absl::Hours(3));
}

TEST(CausedIncidents, WithLinkKeepsOneLinkPerIncidentAndTheFirstFifty) {
  v1::Change c = ChangeOn({"db"}, absl::Hours(1));
  v1::CausedIncident link;
  for (int i = 0; i < kMaxCausedIncidents; ++i) {
    link.set_incident_id(absl::StrCat("i-", i));
    auto after = WithLink(c, link);
    ASSERT_TRUE(after);
    c = *after;
    EXPECT_FALSE(WithLink(c, link));
  }
  link.set_incident_id("one-too-many");
  EXPECT_FALSE(WithLink(c, link));
  EXPECT_EQ(c.caused_incidents_size(), kMaxCausedIncidents);
}

TEST(ConsumedEvents, IncidentsAreReadFromEveryEventThatCarriesOne) {
  incident::v1::IncidentUpdated updated;
  updated.mutable_incident()->set_id("i-1");
  updated.mutable_incident()->add_configuration_item_ids("app");
  updated.mutable_incident()->set_major_incident(true);
  updated.mutable_incident()->set_state(incident::v1::INCIDENT_STATE_IN_PROGRESS);
  *updated.mutable_incident()->mutable_create_time() = base::ToProtoTimestamp(kStart);
  updated.add_changed_fields("title");
  auto seen = IncidentSeenOf(events::MakeCloudEvent(updated, "itsm/incident", "i-1", kStart));
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_TRUE(*seen);
  EXPECT_TRUE((*seen)->open_major);
  EXPECT_FALSE((*seen)->look_for_cause);
  updated.add_changed_fields("configuration_item_ids");
  updated.mutable_incident()->set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  seen = IncidentSeenOf(events::MakeCloudEvent(updated, "itsm/incident", "i-1", kStart));
  ASSERT_TRUE(seen.ok() && *seen);
  EXPECT_FALSE((*seen)->open_major);
  EXPECT_TRUE((*seen)->look_for_cause);

  updated.mutable_incident()->clear_create_time();
  EXPECT_TRUE(absl::IsInvalidArgument(
      IncidentSeenOf(events::MakeCloudEvent(updated, "itsm/incident", "i-1", kStart)).status()));
  incident::v1::ProblemCreated problem;
  seen = IncidentSeenOf(events::MakeCloudEvent(problem, "itsm/incident", "p-1", kStart));
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE(*seen);

  config::v1::CiUpdated ci;
  auto ends = RelationshipEndsOf(events::MakeCloudEvent(ci, "itsm/config", "x", kStart));
  ASSERT_TRUE(ends.ok());
  EXPECT_FALSE(*ends);
}

TEST(ConflictDetector, OpenMajorIncidentsOnTheChangesCisOnly) {
  ConflictFacts f;
  f.subject = {.id = "c-1",
               .number = "CHG0000001",
               .slot = {kStart, kStart + absl::Hours(1)},
               .ci_ids = {"db"}};
  f.major_incidents = {{"m-1", "INC0000007", "db"}, {"m-2", "INC0000008", "app"}};
  f.ci_names = {{"db", "database/db"}};
  const std::vector<v1::Conflict> found = DetectConflicts(f);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind(), v1::CONFLICT_KIND_MAJOR_INCIDENT);
  EXPECT_EQ(found[0].other_number(), "INC0000007");
  EXPECT_EQ(found[0].reason(), "major incident INC0000007 is open on CI database/db");
}

}  // namespace
}  // namespace itsm::change
