#include "services/sla/src/clock_projection.h"

#include <algorithm>
#include <map>
#include <random>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/storage/errors.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"
#include "services/sla/src/sla_repository.h"

namespace itsm::sla {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z

v1::SlaClock Clock(const std::string& id, const std::string& incident, v1::ClockStage stage,
                   absl::Time event_time) {
  v1::SlaClock c;
  c.set_clock_id(id);
  c.set_incident_id(incident);
  c.set_sla_definition_id("def-gold");
  c.set_sla_definition_name("Gold");
  c.set_agreement_kind(v1::AGREEMENT_KIND_SLA);
  c.set_clock_kind(v1::CLOCK_KIND_RESOLUTION);
  c.set_service("vpn");
  c.set_priority(incident::v1::PRIORITY_P1);
  c.set_calendar_id("cal-24x7");
  c.mutable_target()->set_seconds(4 * 3600);
  *c.mutable_start_time() = base::ToProtoTimestamp(kT0);
  *c.mutable_due_time() = base::ToProtoTimestamp(kT0 + absl::Hours(4));
  c.set_stage(stage);
  *c.mutable_event_time() = base::ToProtoTimestamp(event_time);
  c.mutable_business_elapsed()->set_seconds(absl::ToInt64Seconds(event_time - kT0));
  c.mutable_actual_elapsed()->set_seconds(absl::ToInt64Seconds(event_time - kT0));
  return c;
}

template <typename T>
events::CloudEvent Event(const v1::SlaClock& clock) {
  T message;
  *message.mutable_clock() = clock;
  return events::MakeCloudEvent(message, "itsm/sla-timer", clock.incident_id(),
                                base::FromProtoTimestamp(clock.event_time()));
}

// The projection over a fresh SQLite database with the service's schema (sla_service_test runs
// it on PostgreSQL too, through the service). Status and sizes as plain values, for brevity.
class TestProjection {
 public:
  TestProjection() {
    auto db = itsm::testing::NewDatabase(itsm::testing::Backend::kSqlite);
    EXPECT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    EXPECT_TRUE(storage::ApplySchema(*db_, SlaRepository::Schema()).ok());
    projection_ = std::make_unique<ClockProjection>(*db_);
  }
  absl::Status Apply(const events::CloudEvent& e) { return projection_->Apply(e); }
  absl::Status ApplyClock(const v1::SlaClock& c) { return projection_->ApplyClock(c); }
  std::vector<v1::ClockStatus> IncidentStatus(const std::string& id, absl::Time now,
                                              const ClockProjection::CalendarLookup& lookup) {
    auto status = projection_->IncidentStatus(id, now, lookup);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *std::move(status) : std::vector<v1::ClockStatus>{};
  }
  absl::StatusOr<v1::GetComplianceReportResponse> Report(const v1::GetComplianceReportRequest& r) {
    return projection_->Report(r);
  }
  size_t size() {
    auto n = projection_->size();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? static_cast<size_t>(*n) : 0;
  }
  ClockProjection& projection() { return *projection_; }
  std::vector<StoredClockEvent> Timeline(const std::string& incident) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    auto rows = SlaRepository::ClockEvents(**txn, incident);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *std::move(rows) : std::vector<StoredClockEvent>{};
  }

 private:
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<ClockProjection> projection_;
};

ClockProjection::CalendarLookup AlwaysOpen() {
  return [](const std::string&, int64_t, const std::string&) {
    businesstime::CalendarSpec spec;
    spec.time_zone = "UTC";
    spec.always_open = true;
    return businesstime::Calendar::Create(spec);
  };
}

TEST(ClockProjection, FollowsOneClockThroughItsEvents) {
  TestProjection p;
  auto started = Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0);
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockStarted>(started)).ok());
  // Running: extended to `now` with the calendar.
  auto status = p.IncidentStatus("inc-1", kT0 + absl::Hours(1), AlwaysOpen());
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].state(), "running");
  EXPECT_EQ(status[0].business_elapsed().seconds(), 3600);
  EXPECT_EQ(status[0].remaining().seconds(), 3 * 3600);
  EXPECT_EQ(status[0].sla_definition_name(), "Gold");
  // Past the due time while running: reported breached before the timer's event arrives.
  EXPECT_EQ(p.IncidentStatus("inc-1", kT0 + absl::Hours(5), AlwaysOpen())[0].state(), "breached");

  auto paused = Clock("c1", "inc-1", v1::CLOCK_STAGE_PAUSED, kT0 + absl::Hours(2));
  paused.clear_due_time();
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockPaused>(paused)).ok());
  status = p.IncidentStatus("inc-1", kT0 + absl::Hours(3), AlwaysOpen());
  EXPECT_EQ(status[0].state(), "paused");
  EXPECT_EQ(status[0].business_elapsed().seconds(), 2 * 3600);
  EXPECT_EQ(status[0].paused_duration().seconds(), 3600);
  EXPECT_EQ(status[0].actual_elapsed().seconds(), 3 * 3600);

  auto met = Clock("c1", "inc-1", v1::CLOCK_STAGE_COMPLETED, kT0 + absl::Hours(3));
  *met.mutable_stop_time() = met.event_time();
  met.mutable_business_elapsed()->set_seconds(2 * 3600);
  ASSERT_TRUE(p.Apply(Event<v1::SlaMet>(met)).ok());
  // An older event delivered late does not undo the completion.
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockPaused>(paused)).ok());
  status = p.IncidentStatus("inc-1", kT0 + absl::Hours(30), AlwaysOpen());
  EXPECT_EQ(status[0].state(), "met");
  EXPECT_EQ(status[0].business_elapsed().seconds(), 2 * 3600);
  EXPECT_TRUE(status[0].has_stop_time());
  EXPECT_EQ(p.size(), 1u);
  EXPECT_TRUE(p.IncidentStatus("inc-2", kT0, AlwaysOpen()).empty());
}

// Several events of one clock can share an instant (a record created resolved: started, then
// met). Applied again out of order (a replica behind another on one database), the later one in
// the clock's sequence stays.
TEST(ClockProjection, OfOneInstantTheLaterEventStays) {
  TestProjection p;
  auto started = Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0);
  started.set_sequence(1);
  auto met = Clock("c1", "inc-1", v1::CLOCK_STAGE_COMPLETED, kT0);
  *met.mutable_stop_time() = met.event_time();
  met.set_sequence(2);
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockStarted>(started)).ok());
  ASSERT_TRUE(p.Apply(Event<v1::SlaMet>(met)).ok());
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockStarted>(started)).ok());
  EXPECT_EQ(p.IncidentStatus("inc-1", kT0 + absl::Hours(30), AlwaysOpen())[0].state(), "met");
  // The same state again (a redelivery, a re-published state) is applied, harmlessly.
  ASSERT_TRUE(p.Apply(Event<v1::SlaMet>(met)).ok());
  EXPECT_EQ(p.IncidentStatus("inc-1", kT0 + absl::Hours(30), AlwaysOpen())[0].state(), "met");
}

// Issue 12, finding 9: durations in status were rounded down to seconds twice (the last
// event's elapsed time, then the time since it), up to 2 s low. Full precision now.
TEST(ClockProjection, StatusDurationsKeepTheirSubSecondParts) {
  TestProjection p;
  auto c = Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0 + absl::Milliseconds(1600));
  *c.mutable_business_elapsed() = base::ToProtoDuration(absl::Milliseconds(1600));
  *c.mutable_actual_elapsed() = base::ToProtoDuration(absl::Milliseconds(1600));
  ASSERT_TRUE(p.ApplyClock(c).ok());
  const absl::Time now = kT0 + absl::Milliseconds(1600 + 1700);
  auto status = p.IncidentStatus("inc-1", now, AlwaysOpen());
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(base::FromProtoDuration(status[0].business_elapsed()), absl::Milliseconds(3300));
  EXPECT_EQ(base::FromProtoDuration(status[0].actual_elapsed()), absl::Milliseconds(3300));
  EXPECT_EQ(base::FromProtoDuration(status[0].remaining()),
            absl::Hours(4) - absl::Milliseconds(3300));
  // Paused: the pause grows by the exact time since the event.
  auto paused = Clock("c1", "inc-1", v1::CLOCK_STAGE_PAUSED, kT0 + absl::Milliseconds(4100));
  *paused.mutable_business_elapsed() = base::ToProtoDuration(absl::Milliseconds(4100));
  *paused.mutable_paused_duration() = base::ToProtoDuration(absl::Milliseconds(250));
  ASSERT_TRUE(p.ApplyClock(paused).ok());
  status = p.IncidentStatus("inc-1", kT0 + absl::Milliseconds(5000), AlwaysOpen());
  EXPECT_EQ(base::FromProtoDuration(status[0].paused_duration()), absl::Milliseconds(1150));
  EXPECT_EQ(base::FromProtoDuration(status[0].business_elapsed()), absl::Milliseconds(4100));
}

// A running clock's calendar is read (in the service: from the database) with the projection's
// lock released, so the consumer applies events meanwhile; clocks sharing a calendar read it once.
TEST(ClockProjection, StatusReadsCalendarsOutsideItsTransaction) {
  TestProjection p;
  ASSERT_TRUE(p.ApplyClock(Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0)).ok());
  auto response = Clock("c2", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0);
  response.set_clock_kind(v1::CLOCK_KIND_RESPONSE);
  ASSERT_TRUE(p.ApplyClock(response).ok());
  int lookups = 0;
  bool applied_during_lookup = false;
  absl::Notification applied;
  std::thread consumer;
  auto lookup = [&](const std::string& calendar_id, int64_t version, const std::string& zone) {
    ++lookups;
    if (!consumer.joinable()) {
      consumer = std::thread([&] {
        EXPECT_TRUE(p.ApplyClock(Clock("c3", "inc-2", v1::CLOCK_STAGE_RUNNING, kT0)).ok());
        applied.Notify();
      });
      // Inside the read transaction a writer might wait for this lookup: time out instead of
      // hanging.
      applied_during_lookup = applied.WaitForNotificationWithTimeout(absl::Seconds(5));
    }
    return AlwaysOpen()(calendar_id, version, zone);
  };
  auto status = p.IncidentStatus("inc-1", kT0 + absl::Hours(1), lookup);
  consumer.join();
  EXPECT_TRUE(applied_during_lookup);
  EXPECT_EQ(lookups, 1);
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].business_elapsed().seconds(), 3600);
  EXPECT_EQ(p.size(), 3u);
}

// The timer withdraws a breach that a later change made untrue (a retroactive retarget): status
// follows the withdrawal, and the clock's new due time, instead of keeping "breached".
TEST(ClockProjection, AWithdrawnBreachIsNoLongerShownBreached) {
  TestProjection p;
  auto breached = Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0 + absl::Hours(4));
  breached.set_breached(true);
  ASSERT_TRUE(p.Apply(Event<v1::SlaBreached>(breached)).ok());
  EXPECT_EQ(p.IncidentStatus("inc-1", kT0 + absl::Hours(5), AlwaysOpen())[0].state(), "breached");
  auto withdrawn = Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0 + absl::Hours(5));
  withdrawn.mutable_target()->set_seconds(8 * 3600);
  *withdrawn.mutable_due_time() = base::ToProtoTimestamp(kT0 + absl::Hours(8));
  withdrawn.set_breached(false);
  v1::SlaBreachWithdrawn message;
  *message.mutable_clock() = withdrawn;
  message.set_reason("retargeted");
  ASSERT_TRUE(
      p.Apply(events::MakeCloudEvent(message, "itsm/sla-timer", "inc-1", kT0 + absl::Hours(5)))
          .ok());
  auto status = p.IncidentStatus("inc-1", kT0 + absl::Hours(6), AlwaysOpen());
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].state(), "running");
  EXPECT_FALSE(status[0].breached());
  EXPECT_EQ(base::FromProtoTimestamp(status[0].due_time()), kT0 + absl::Hours(8));
}

TEST(ClockProjection, CompletedAndBreachedAndCancelled) {
  TestProjection p;
  auto late = Clock("c1", "inc-1", v1::CLOCK_STAGE_COMPLETED, kT0 + absl::Hours(6));
  late.set_breached(true);
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockCompleted>(late)).ok());
  auto cancelled = Clock("c2", "inc-1", v1::CLOCK_STAGE_CANCELLED, kT0 + absl::Hours(1));
  cancelled.set_clock_kind(v1::CLOCK_KIND_RESPONSE);
  v1::SlaClockCancelled message;
  *message.mutable_clock() = cancelled;
  message.set_reason("cancel_condition");
  ASSERT_TRUE(p.Apply(events::MakeCloudEvent(message, "itsm/sla-timer", "inc-1", kT0)).ok());
  auto status = p.IncidentStatus("inc-1", kT0 + absl::Hours(10), AlwaysOpen());
  ASSERT_EQ(status.size(), 2u);
  std::map<std::string, std::string> states;
  for (const auto& s : status) states[s.clock_id()] = s.state();
  EXPECT_EQ(states["c1"], "breached");
  EXPECT_EQ(states["c2"], "cancelled");
  EXPECT_EQ(status[0].stage() == v1::CLOCK_STAGE_COMPLETED ||
                status[1].stage() == v1::CLOCK_STAGE_COMPLETED,
            true);
}

// The timer re-publishes a clock as of its last event but with its record as it is now: a clock
// cancelled because its record moved to another service was the old service's, and stays so
// where the history holds that event. A state the history does not hold yet (its event lost
// with the broker, even at the same instant) is applied.
TEST(ClockProjection, ARepublishedStateKeepsTheServiceOfTheEventItStandsFor) {
  TestProjection p;
  auto moved = Clock("c1", "inc-1", v1::CLOCK_STAGE_CANCELLED, kT0 + absl::Hours(1));
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockCancelled>(moved)).ok());
  auto started = Clock("c2", "inc-2", v1::CLOCK_STAGE_RUNNING, kT0);
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockStarted>(started)).ok());

  auto moved_now = moved;
  moved_now.set_service("mail");  // where the record is now
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockRepublished>(moved_now)).ok());
  // Started and completed at the same instant (created resolved); the completion was lost.
  auto completed = Clock("c2", "inc-2", v1::CLOCK_STAGE_COMPLETED, kT0);
  completed.set_service("mail");
  *completed.mutable_stop_time() = base::ToProtoTimestamp(kT0);
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockRepublished>(completed)).ok());

  v1::GetComplianceReportRequest by_service;
  by_service.add_group_by(v1::REPORT_DIMENSION_SERVICE);
  auto report = p.Report(by_service);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows_size(), 1) << report->ShortDebugString();
  EXPECT_EQ(report->rows(0).service(), "vpn");
  EXPECT_EQ(report->rows(0).cancelled(), 1);
  EXPECT_EQ(report->rows(0).met(), 1);

  // A newer state is the record's next event: it brings its service along.
  auto later = moved_now;
  *later.mutable_event_time() = base::ToProtoTimestamp(kT0 + absl::Hours(2));
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockRepublished>(later)).ok());
  report = p.Report(by_service);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rows_size(), 2) << report->ShortDebugString();
  EXPECT_EQ(report->rows(0).service(), "mail");
  EXPECT_EQ(report->rows(0).cancelled(), 1);
}

// Each applied clock event is kept in its clock's timeline, once per ce_id: a redelivery or a
// replay adds nothing, a re-published state only for a clock not known before; at most
// kMaxEventsPerClock per clock, the latest.
TEST(ClockProjection, KeepsEachClocksTimelineOncePerEventAndBounded) {
  TestProjection p;
  const auto started =
      Event<v1::SlaClockStarted>(Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0));
  const auto paused =
      Event<v1::SlaClockPaused>(Clock("c1", "inc-1", v1::CLOCK_STAGE_PAUSED, kT0 + absl::Hours(1)));
  for (int round = 0; round < 2; ++round) {  // the second round is a replay
    ASSERT_TRUE(p.Apply(started).ok());
    ASSERT_TRUE(p.Apply(paused).ok());
  }
  // The timer's re-published state of a known clock: no change, no row.
  ASSERT_TRUE(p.Apply(Event<v1::SlaClockRepublished>(
                          Clock("c1", "inc-1", v1::CLOCK_STAGE_PAUSED, kT0 + absl::Hours(1))))
                  .ok());
  auto rows = p.Timeline("inc-1");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].event_type, "itsm.sla.v1.SlaClockStarted");
  EXPECT_EQ(rows[0].ce_id, started.id);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[1].event_type, "itsm.sla.v1.SlaClockPaused");
  EXPECT_EQ(rows[1].seq, 2);
  EXPECT_EQ(rows[1].event_us, absl::ToUnixMicros(kT0 + absl::Hours(1)));
  // A clock known only from a re-published state (a consumer rebuilt after a broker loss).
  ASSERT_TRUE(
      p.Apply(Event<v1::SlaClockRepublished>(Clock("c2", "inc-2", v1::CLOCK_STAGE_RUNNING, kT0)))
          .ok());
  ASSERT_EQ(p.Timeline("inc-2").size(), 1u);

  // Beyond the bound the oldest go; the numbering goes on.
  const int64_t n = SlaRepository::kMaxEventsPerClock + 20;
  for (int64_t k = 0; k < n; ++k) {
    auto c = Clock("c3", "inc-3", k % 2 ? v1::CLOCK_STAGE_RUNNING : v1::CLOCK_STAGE_PAUSED,
                   kT0 + absl::Seconds(k));
    ASSERT_TRUE(p.Apply(k % 2 ? Event<v1::SlaClockResumed>(c) : Event<v1::SlaClockPaused>(c)).ok());
  }
  rows = p.Timeline("inc-3");
  ASSERT_EQ(static_cast<int64_t>(rows.size()), SlaRepository::kMaxEventsPerClock);
  EXPECT_EQ(rows.front().seq, 21);
  EXPECT_EQ(rows.back().seq, n);
}

TEST(ClockProjection, IgnoresOtherEventsAndRejectsBrokenOnes) {
  TestProjection p;
  v1::SlaDefinitionCreated created;
  created.mutable_definition()->set_id("d");
  EXPECT_TRUE(p.Apply(events::MakeCloudEvent(created, "itsm/sla", "d", kT0)).ok());
  events::CloudEvent broken = Event<v1::SlaMet>(Clock("c1", "i", v1::CLOCK_STAGE_COMPLETED, kT0));
  broken.data = "\xff\xff garbage";
  EXPECT_EQ(p.Apply(broken).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.Apply(Event<v1::SlaMet>(v1::SlaClock())).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.size(), 0u);
}

// --- The consumer's batches: an event the database refuses, a database away ----------------

using ::itsm::testing::Backend;
using ::testing::HasSubstr;

constexpr char kTopic[] = "itsm.sla.v1";
constexpr char kCluster[] = "cluster-1";

// ApplyBatch on both backends, through a connection that gives up a lock after 200 ms (so that
// a write lock another connection holds fails at once, as busy).
class ClockBatchTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto url = itsm::testing::NewDatabaseUrl(GetParam());
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    auto db = storage::OpenDatabase(url_, {.busy_timeout_ms = 200});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, SlaRepository::Schema()).ok());
    projection_ = std::make_unique<ClockProjection>(*db_);
    EXPECT_TRUE(Positions().empty());  // and the projection knows the cluster now
  }

  static events::ConsumedEvent At(const events::CloudEvent& event, int32_t partition,
                                  int64_t offset) {
    events::ConsumedEvent e;
    e.event = event;
    e.topic = kTopic;
    e.partition = partition;
    e.offset = offset;
    e.key = event.subject;
    return e;
  }

  // Two partitions: in partition 0, clock c1 started, the refused clock c-bad started, c1
  // paused; in partition 1, c2 started and met.
  static std::vector<events::ConsumedEvent> Batch() {
    auto c1_paused = Clock("c1", "inc-1", v1::CLOCK_STAGE_PAUSED, kT0 + absl::Hours(1));
    auto c2_met = Clock("c2", "inc-3", v1::CLOCK_STAGE_COMPLETED, kT0 + absl::Hours(2));
    return {
        At(Event<v1::SlaClockStarted>(Clock("c1", "inc-1", v1::CLOCK_STAGE_RUNNING, kT0)), 0, 10),
        At(Event<v1::SlaClockStarted>(Clock("c-bad", "inc-2", v1::CLOCK_STAGE_RUNNING, kT0)), 0,
           11),
        At(Event<v1::SlaClockStarted>(Clock("c2", "inc-3", v1::CLOCK_STAGE_RUNNING, kT0)), 1, 20),
        At(Event<v1::SlaClockPaused>(c1_paused), 0, 12),
        At(Event<v1::SlaMet>(c2_met), 1, 21),
    };
  }

  // c-bad's timeline row is refused: its clock row, written just before in the same event,
  // must be undone with it.
  static itsm::testing::WriteFault RefuseBadClock() {
    return {.name = "refuse_c_bad",
            .table = "sla_clock_events",
            .column = "clock_id",
            .value = "c-bad"};
  }

  // Every event but c-bad's applied, that one INVALID_ARGUMENT naming it, and the positions
  // past the whole batch.
  void ExpectAllButTheRefusedApplied(const std::vector<events::ConsumedEvent>& batch,
                                     const std::vector<absl::Status>& results) {
    ASSERT_EQ(results.size(), batch.size());
    for (size_t i : {0, 2, 3, 4}) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    EXPECT_EQ(results[1].code(), absl::StatusCode::kInvalidArgument) << results[1];
    // What the consumer logs as it skips it: which event, and why.
    EXPECT_THAT(std::string(results[1].message()),
                ::testing::AllOf(HasSubstr("itsm.sla.v1.SlaClockStarted"),
                                 HasSubstr(batch[1].event.id), HasSubstr("refuse_c_bad")));
    // c1's pause, after the refused event in its partition, applied over its start.
    EXPECT_EQ(Stage("c1"), v1::CLOCK_STAGE_PAUSED);
    EXPECT_EQ(Stage("c2"), v1::CLOCK_STAGE_COMPLETED);
    EXPECT_EQ(Stage("c-bad"), std::nullopt);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_clocks"), 2);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_clock_events"), 4);
    EXPECT_EQ(Positions(), (std::map<std::pair<std::string, int32_t>, int64_t>{{{kTopic, 0}, 13},
                                                                               {{kTopic, 1}, 22}}));
  }

  std::map<std::pair<std::string, int32_t>, int64_t> Positions() {
    auto positions = projection_->StartPositions(kCluster);
    EXPECT_TRUE(positions.ok()) << positions.status();
    return positions.ok() ? *positions : std::map<std::pair<std::string, int32_t>, int64_t>{};
  }

  std::optional<v1::ClockStage> Stage(const std::string& clock_id) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok()) << txn.status();
    auto clock = SlaRepository::FindClock(**txn, clock_id);
    EXPECT_TRUE(clock.ok()) << clock.status();
    if (!clock.ok() || !clock->has_value()) return std::nullopt;
    return (*clock)->stage();
  }

  int64_t Count(const std::string& sql) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok()) << txn.status();
    auto rows = (*txn)->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->row(0)[0].AsInt() : -1;
  }

  std::string url_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<ClockProjection> projection_;
};

// One event whose write the database refuses (a trigger here; a constraint or a value it cannot
// store in life) is skipped alone: retried with the batch, it would hold its partition for ever.
// The rest of the batch is applied, in order, and the positions pass the refused event.
TEST_P(ClockBatchTest, AnEventTheDatabaseRefusesIsSkippedAlone) {
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, RefuseBadClock()).ok());
  const std::vector<events::ConsumedEvent> batch = Batch();
  ExpectAllButTheRefusedApplied(batch, projection_->ApplyBatch(batch));
  EXPECT_EQ(projection_->applied_events(), 4);
  // Handed again (a restart before anything else): refused again, nothing else changes.
  ExpectAllButTheRefusedApplied(batch, projection_->ApplyBatch(batch));
}

// A database that fails transiently refuses nothing for good: every event of the batch comes
// back (none INVALID_ARGUMENT, which would skip it), nothing is written, no position moves; once
// the database is back, the same batch applies with only the refused event skipped. SQLite:
// another connection holds the write lock (busy). PostgreSQL: after c-bad was refused, c2's write
// fails as a serialization failure does, so the transient error is met event by event.
TEST_P(ClockBatchTest, ATransientFailureIsRetriedNeverSkipped) {
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, RefuseBadClock()).ok());
  const itsm::testing::WriteFault conflict{.name = "conflict_on_c2",
                                           .table = "sla_clock_events",
                                           .column = "clock_id",
                                           .value = "c2",
                                           .sqlstate = "40001"};
  std::unique_ptr<storage::Database> holder;
  std::unique_ptr<storage::Transaction> lock;
  if (GetParam() == Backend::kSqlite) {
    auto other = storage::OpenDatabase(url_);
    ASSERT_TRUE(other.ok()) << other.status();
    holder = std::move(*other);
    auto txn = holder->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
    lock = std::move(*txn);
  } else {
    ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, conflict).ok());
  }
  const std::vector<events::ConsumedEvent> batch = Batch();
  for (const absl::Status& s : projection_->ApplyBatch(batch)) {
    EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(storage::IsTransient(s)) << s;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_clocks"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sla_clock_events"), 0);
  EXPECT_TRUE(Positions().empty());
  EXPECT_EQ(projection_->applied_events(), 0);

  if (GetParam() == Backend::kSqlite) {
    lock.reset();
  } else {
    ASSERT_TRUE(itsm::testing::RemoveWriteFault(*db_, conflict).ok());
  }
  ExpectAllButTheRefusedApplied(batch, projection_->ApplyBatch(batch));
}

INSTANTIATE_TEST_SUITE_P(Backends, ClockBatchTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

// --- Reports on generated data, checked against figures computed here independently ---------

struct Generated {
  std::string service, definition;
  int priority;
  v1::ClockKind kind;
  v1::ClockStage stage;
  bool breached;
  absl::Time start;
  int64_t business_s;
};

std::vector<Generated> Generate(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> services = {"vpn", "mail", "erp"};
  const std::vector<std::string> definitions = {"def-a", "def-b"};
  std::vector<Generated> out;
  for (int i = 0; i < n; ++i) {
    Generated g;
    g.service = services[rng() % services.size()];
    g.definition = definitions[rng() % definitions.size()];
    g.priority = 1 + static_cast<int>(rng() % 5);
    g.kind = rng() % 2 ? v1::CLOCK_KIND_RESPONSE : v1::CLOCK_KIND_RESOLUTION;
    const uint32_t s = rng() % 10;
    g.stage = s < 6   ? v1::CLOCK_STAGE_COMPLETED
              : s < 8 ? v1::CLOCK_STAGE_RUNNING
              : s < 9 ? v1::CLOCK_STAGE_PAUSED
                      : v1::CLOCK_STAGE_CANCELLED;
    g.breached = rng() % 4 == 0;  // cancelled ones too: cancelled after their breach
    // 2026-09-01 .. 2026-12-01 UTC, to the second.
    g.start = absl::FromUnixSeconds(1788220800 + static_cast<int64_t>(rng() % (91 * 86400)));
    g.business_s = 60 + static_cast<int64_t>(rng() % (3 * 86400));
    out.push_back(g);
  }
  return out;
}

struct Expected {
  int64_t met = 0, breached = 0, in_progress = 0, cancelled = 0;
  std::vector<int64_t> respond, resolve;
};

int64_t Mean(const std::vector<int64_t>& v) {
  if (v.empty()) return 0;
  double sum = 0;
  for (auto x : v) sum += static_cast<double>(x);
  return static_cast<int64_t>(std::llround(sum / static_cast<double>(v.size())));
}

int64_t P90(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value such that at least 90 % are <= it.
  size_t k = 0;
  while (static_cast<double>(k + 1) < 0.9 * static_cast<double>(v.size())) ++k;
  return v[k];
}

void ExpectRow(const v1::ComplianceRow& row, const Expected& e, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(row.met(), e.met);
  EXPECT_EQ(row.breached(), e.breached);
  EXPECT_EQ(row.in_progress(), e.in_progress);
  EXPECT_EQ(row.cancelled(), e.cancelled);
  const double pct = e.met + e.breached == 0 ? 0 : 100.0 * e.met / (e.met + e.breached);
  EXPECT_NEAR(row.percent_met(), pct, 1e-9);
  EXPECT_EQ(row.mean_time_to_respond().seconds(), Mean(e.respond));
  EXPECT_EQ(row.p90_time_to_respond().seconds(), P90(e.respond));
  EXPECT_EQ(row.mean_time_to_resolve().seconds(), Mean(e.resolve));
  EXPECT_EQ(row.p90_time_to_resolve().seconds(), P90(e.resolve));
}

// A breached clock counts as breached whatever happened to it afterwards (cancelled too).
void Count(Expected& e, const Generated& g) {
  if (g.breached) {
    ++e.breached;
  } else if (g.stage == v1::CLOCK_STAGE_CANCELLED) {
    ++e.cancelled;
    return;
  } else if (g.stage == v1::CLOCK_STAGE_COMPLETED) {
    ++e.met;
  } else {
    ++e.in_progress;
  }
  if (g.stage == v1::CLOCK_STAGE_COMPLETED) {
    (g.kind == v1::CLOCK_KIND_RESPONSE ? e.respond : e.resolve).push_back(g.business_s);
  }
}

void Load(TestProjection& p, const std::vector<Generated>& data) {
  std::vector<v1::SlaClock> clocks;
  for (size_t i = 0; i < data.size(); ++i) {
    const Generated& g = data[i];
    v1::SlaClock c;
    c.set_clock_id("clock-" + std::to_string(i));
    c.set_incident_id("inc-" + std::to_string(i / 2));
    c.set_sla_definition_id(g.definition);
    c.set_service(g.service);
    c.set_priority(static_cast<incident::v1::Priority>(g.priority));
    c.set_clock_kind(g.kind);
    c.set_stage(g.stage);
    c.set_breached(g.breached);
    *c.mutable_start_time() = base::ToProtoTimestamp(g.start);
    *c.mutable_event_time() = base::ToProtoTimestamp(g.start + absl::Seconds(g.business_s));
    c.mutable_business_elapsed()->set_seconds(g.business_s);
    clocks.push_back(std::move(c));
  }
  // One transaction: a commit per clock would fsync thousands of times.
  EXPECT_TRUE(p.projection().ApplyClocks(clocks).ok());
}

TEST(ComplianceReport, ByServiceAndPriorityMatchesAnIndependentCount) {
  const auto data = Generate(20000, 7);
  TestProjection p;
  Load(p, data);
  v1::GetComplianceReportRequest r;
  r.add_group_by(v1::REPORT_DIMENSION_SERVICE);
  r.add_group_by(v1::REPORT_DIMENSION_PRIORITY);
  auto report = p.Report(r);
  ASSERT_TRUE(report.ok()) << report.status();
  std::map<std::pair<std::string, int>, Expected> expected;
  Expected total;
  for (const auto& g : data) {
    Count(expected[{g.service, g.priority}], g);
    Count(total, g);
  }
  ASSERT_EQ(report->rows_size(), static_cast<int>(expected.size()));
  for (const auto& row : report->rows()) {
    ExpectRow(row, expected[{row.service(), static_cast<int>(row.priority())}],
              row.service() + "/P" + std::to_string(row.priority()));
  }
  ExpectRow(report->total(), total, "total");
  EXPECT_EQ(report->clocks_known(), 20000);
}

TEST(ComplianceReport, ByPeriodInAZoneWithFiltersAndRange) {
  const auto data = Generate(20000, 11);
  TestProjection p;
  Load(p, data);
  const absl::TimeZone tz = [] {
    absl::TimeZone z;
    EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &z));
    return z;
  }();
  const absl::Time from = absl::FromCivil(absl::CivilDay(2026, 9, 10), tz);
  const absl::Time to = absl::FromCivil(absl::CivilDay(2026, 11, 20), tz);
  for (auto period : {v1::REPORT_PERIOD_DAY, v1::REPORT_PERIOD_WEEK, v1::REPORT_PERIOD_MONTH}) {
    v1::GetComplianceReportRequest r;
    r.add_group_by(v1::REPORT_DIMENSION_SLA_DEFINITION);
    r.add_group_by(v1::REPORT_DIMENSION_PERIOD);
    r.set_period(period);
    r.set_time_zone("America/New_York");
    r.set_service("vpn");
    *r.mutable_start_time() = base::ToProtoTimestamp(from);
    *r.mutable_end_time() = base::ToProtoTimestamp(to);
    auto report = p.Report(r);
    ASSERT_TRUE(report.ok()) << report.status();
    std::map<std::pair<std::string, std::string>, Expected> expected;
    for (const auto& g : data) {
      if (g.service != "vpn" || g.start < from || g.start >= to) continue;
      // Period start by formatting, not by the civil arithmetic the projection uses.
      std::string key;
      if (period == v1::REPORT_PERIOD_MONTH) {
        key = absl::FormatTime("%Y-%m-01", g.start, tz);
      } else if (period == v1::REPORT_PERIOD_DAY) {
        key = absl::FormatTime("%Y-%m-%d", g.start, tz);
      } else {
        absl::Time t = g.start;
        // Step back whole local days until the local weekday is Monday ("%u" == 1).
        while (absl::FormatTime("%u", t, tz) != "1") t -= absl::Hours(24);
        key = absl::FormatTime("%Y-%m-%d", t, tz);
        // A DST change inside the week can shift a day boundary by an hour: re-anchor at noon.
        ASSERT_EQ(absl::FormatTime("%u", t, tz), "1");
      }
      Count(expected[{g.definition, key}], g);
    }
    ASSERT_EQ(report->rows_size(), static_cast<int>(expected.size())) << period;
    for (const auto& row : report->rows()) {
      auto it = expected.find({row.sla_definition_id(), row.period_start()});
      ASSERT_NE(it, expected.end()) << row.sla_definition_id() << " " << row.period_start();
      ExpectRow(row, it->second, row.sla_definition_id() + " " + row.period_start());
    }
  }
}

TEST(ComplianceReport, RejectsBadArguments) {
  TestProjection p;
  v1::GetComplianceReportRequest r;
  r.set_time_zone("Nowhere/Land");
  EXPECT_EQ(p.Report(r).status().code(), absl::StatusCode::kInvalidArgument);
  r.clear_time_zone();
  r.add_group_by(static_cast<v1::ReportDimension>(42));
  EXPECT_EQ(p.Report(r).status().code(), absl::StatusCode::kInvalidArgument);
  r.clear_group_by();
  // A swapped range would answer "nothing met" instead of an error.
  r.mutable_start_time()->set_seconds(1'800'000'000);
  r.mutable_end_time()->set_seconds(1'700'000'000);
  EXPECT_EQ(p.Report(r).status().message(), "end_time: must be after start_time");
  r.clear_start_time();
  r.clear_end_time();
  // Unknown filter values match nothing.
  v1::GetComplianceReportRequest unknown;
  unknown.set_service("no-such-service");
  auto report = p.Report(unknown);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->total().met(), 0);
}

}  // namespace
}  // namespace itsm::sla
