// GrpcDefinitionSource against an in-process SLA service: which refusals are permanent (the
// record's data) and which can heal (the service's state).
#include "services/sla-timer/src/definition_source.h"

#include <atomic>
#include <optional>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "itsm/base/clock.h"
#include "itsm/base/time_util.h"

namespace itsm::sla_timer {
namespace {

// Answers ResolveApplicableSla like the SLA service for a record without a service, and with
// `next_error` otherwise.
class FakeSla final : public sla::v1::SlaService::Service {
 public:
  // With `handover` set: "silver" before it, "gold" from it, each answer with its window.
  grpc::Status ResolveApplicableSla(grpc::ServerContext*,
                                    const sla::v1::ResolveApplicableSlaRequest* request,
                                    sla::v1::ResolveApplicableSlaResponse* response) override {
    ++resolve_calls;
    if (request->service().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "service: required");
    }
    if (handover) {
      const bool before = base::FromProtoTimestamp(request->at()) < *handover;
      response->add_applicable()->mutable_definition()->set_id(before ? "silver" : "gold");
      *(before ? response->mutable_valid_until() : response->mutable_valid_from()) =
          base::ToProtoTimestamp(*handover);
    }
    return next_error;
  }
  // The current version is `current`, retired from version 2 on; counts the calls.
  grpc::Status GetSlaDefinition(grpc::ServerContext*,
                                const sla::v1::GetSlaDefinitionRequest* request,
                                sla::v1::GetSlaDefinitionResponse* response) override {
    ++definition_calls;
    absl::SleepFor(absl::Milliseconds(delay_ms.load()));
    if (!next_error.ok()) return next_error;
    auto* d = response->mutable_definition();
    d->set_id(request->id());
    d->set_version(request->version() == 0 ? current.load() : request->version());
    d->set_retired(d->version() >= 2);
    return grpc::Status::OK;
  }
  // A calendar at the version asked, 1 for the current one.
  grpc::Status GetCalendar(grpc::ServerContext*, const sla::v1::GetCalendarRequest* request,
                           sla::v1::GetCalendarResponse* response) override {
    ++calendar_calls;
    if (!next_error.ok()) return next_error;
    response->mutable_calendar()->set_id(request->id());
    response->mutable_calendar()->set_version(request->version() == 0 ? 1 : request->version());
    return grpc::Status::OK;
  }
  grpc::Status next_error = grpc::Status::OK;
  std::atomic<int64_t> current = 1;
  std::atomic<int> delay_ms = 0;  // a hung service: longer than the deadline
  std::atomic<int> definition_calls = 0;
  std::atomic<int> calendar_calls = 0;
  int resolve_calls = 0;
  std::optional<absl::Time> handover;
};

// The fake on a loopback port, and a channel to it.
struct Served {
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
};
Served Serve(FakeSla& service) {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  Served served{builder.BuildAndStart(), nullptr};
  served.channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  return served;
}

TEST(GrpcDefinitionSource, RefusalsOfTheRecordArePermanentAndOutagesAreRetried) {
  FakeSla service;
  Served served = Serve(service);
  ASSERT_NE(served.server, nullptr);
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcDefinitionSource source(served.channel, clock, absl::ZeroDuration());
  RecordQuery query;
  query.priority = incident::v1::PRIORITY_P1;
  // Issue 12, finding 5: this was UNAVAILABLE, retried forever, holding up the partition.
  EXPECT_EQ(source.Resolve(query).status().code(), absl::StatusCode::kInvalidArgument);
  query.service = "vpn";
  service.next_error = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "bad calendar");
  EXPECT_EQ(source.Resolve(query).status().code(), absl::StatusCode::kFailedPrecondition);
  // (DEADLINE_EXCEEDED last: it silences the service for a while.)
  for (auto code : {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::RESOURCE_EXHAUSTED,
                    grpc::StatusCode::INTERNAL, grpc::StatusCode::ABORTED,
                    grpc::StatusCode::DEADLINE_EXCEEDED}) {
    service.next_error = grpc::Status(code, "not now");
    EXPECT_EQ(source.Resolve(query).status().code(), absl::StatusCode::kUnavailable) << code;
  }
  service.next_error = grpc::Status::OK;
  clock.Advance(absl::Seconds(10));  // DEADLINE_EXCEEDED silenced the service for a while
  EXPECT_TRUE(source.Resolve(query).ok());
  served.server->Shutdown();
}

// A timer restarted while the SLA service is down goes on with what the one before it read (kept
// in the archive, Redis in the service): the pinned versions of its clocks and the current
// definition as read last. What was never read stays UNAVAILABLE, and so does the current
// calendar (a clock starting would pin it for good); the service is asked again once it answers.
TEST(GrpcDefinitionSource, WhatWasReadOutlivesARestartWhileTheServiceIsDown) {
  FakeSla service;
  Served served = Serve(service);
  ASSERT_NE(served.server, nullptr);
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  MemoryDefinitionArchive archive;
  {
    GrpcDefinitionSource before(served.channel, clock, absl::Seconds(30));
    before.KeepIn(&archive);
    EXPECT_EQ((*before.Definition("gold", 0))->version(), 1);
    EXPECT_EQ((*before.Definition("gold", 3))->version(), 3);
    EXPECT_EQ((*before.Calendar("office", 0))->version(), 1);
    EXPECT_EQ((*before.Calendar("office", 4))->version(), 4);
  }
  service.next_error = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  GrpcDefinitionSource after(served.channel, clock, absl::Seconds(30));
  after.KeepIn(&archive);
  for (int64_t version : {0, 1, 3}) {
    auto d = after.Definition("gold", version);
    ASSERT_TRUE(d.ok()) << version << ": " << d.status();
    EXPECT_EQ((*d)->version(), version == 0 ? 1 : version);
  }
  EXPECT_EQ((*after.Calendar("office", 4))->version(), 4);
  EXPECT_EQ(after.Calendar("office", 0).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(after.Definition("gold", 2).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(after.Calendar("home", 0).status().code(), absl::StatusCode::kUnavailable);
  // Back: the current version is the service's again.
  service.next_error = grpc::Status::OK;
  service.current = 2;
  EXPECT_EQ((*after.Definition("gold", 0))->version(), 2);
  served.server->Shutdown();
}

// The timer learns of a retirement from the current version: read again a second after, and
// while the SLA service cannot answer, the version read last (clocks keep firing).
// A P1 record of the service "vpn" raised at `at`.
RecordQuery VpnP1RaisedAt(absl::Time at) {
  RecordQuery query;
  query.service = "vpn";
  query.priority = incident::v1::PRIORITY_P1;
  query.create_time = at;
  return query;
}

TEST(GrpcDefinitionSource, TheCurrentDefinitionIsReadAgainASecondAfter) {
  FakeSla service;
  Served served = Serve(service);
  ASSERT_NE(served.server, nullptr);
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcDefinitionSource source(served.channel, clock, absl::Seconds(30));
  EXPECT_FALSE((*source.Definition("gold", 0))->retired());
  service.current = 2;  // retired meanwhile
  clock.Advance(absl::Milliseconds(999));
  EXPECT_FALSE((*source.Definition("gold", 0))->retired());  // cached
  EXPECT_EQ(service.definition_calls, 1);
  // Seen within a second, whatever the 30 s of the applicability answers.
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE((*source.Definition("gold", 0))->retired());
  EXPECT_EQ(service.definition_calls, 2);
  // Pinned versions are read once, ever (version 1 was kept when it was the current one).
  EXPECT_FALSE((*source.Definition("gold", 1))->retired());
  EXPECT_TRUE((*source.Definition("gold", 2))->retired());
  EXPECT_EQ(service.definition_calls, 2);
  service.next_error = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  clock.Advance(absl::Minutes(5));
  auto stale = source.Definition("gold", 0);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ((*stale)->version(), 2);
  EXPECT_EQ(source.Definition("other", 0).status().code(), absl::StatusCode::kUnavailable);
  served.server->Shutdown();
}

// A hung SLA service (calls time out rather than fail) is asked once per quiet period, not once
// per clock about to fire: the firing thread waits one deadline, then uses what it read last.
TEST(GrpcDefinitionSource, AServiceLeavingACallUnansweredIsNotAskedAgainForAWhile) {
  FakeSla service;
  Served served = Serve(service);
  ASSERT_NE(served.server, nullptr);
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcDefinitionSource source(served.channel, clock, absl::Seconds(30),
                              /*deadline=*/absl::Milliseconds(200), /*quiet=*/absl::Seconds(10));
  EXPECT_EQ((*source.Definition("gold", 0))->version(), 1);
  service.delay_ms = 600;
  clock.Advance(absl::Seconds(31));
  auto stale = source.Definition("gold", 0);  // waits for the deadline
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ((*stale)->version(), 1);
  EXPECT_EQ(service.definition_calls, 2);
  // Silenced: answered at once, without a call, from what was read (or UNAVAILABLE).
  const absl::Time before = absl::Now();
  for (int i = 0; i < 20; ++i) EXPECT_EQ((*source.Definition("gold", 0))->version(), 1);
  EXPECT_EQ(source.Definition("other", 0).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(source.Calendar("office", 0).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - before, absl::Milliseconds(150));
  EXPECT_EQ(service.definition_calls, 2);
  // Asked again once the quiet period is over, and the service answers again.
  service.delay_ms = 0;
  service.current = 2;
  clock.Advance(absl::Seconds(10));
  EXPECT_TRUE((*source.Definition("gold", 0))->retired());
  EXPECT_EQ(service.definition_calls, 3);
  served.server->Shutdown();
}

// Answers are cached for records created close together, but only within the window the SLA
// service gave: a definition taking over between two creations is not hidden by the cache.
TEST(GrpcDefinitionSource, ACachedAnswerServesOnlyTheCreationsItsWindowCovers) {
  FakeSla service;
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);  // a multiple of the 30 s TTL
  service.handover = t0 + absl::Seconds(10);
  Served served = Serve(service);
  ASSERT_NE(served.server, nullptr);
  base::ManualClock clock(t0 + absl::Minutes(1));
  GrpcDefinitionSource source(served.channel, clock, absl::Seconds(30));
  const auto resolve = [&](absl::Duration created_after_t0) {
    auto found = source.Resolve(VpnP1RaisedAt(t0 + created_after_t0));
    EXPECT_TRUE(found.ok()) << found.status();
    return found.ok() && found->size() == 1 ? (*found)[0]->id() : "<none>";
  };
  EXPECT_EQ(resolve(absl::Seconds(5)), "silver");
  EXPECT_EQ(resolve(absl::Seconds(20)), "gold");  // the same 30 s bucket: asked again
  EXPECT_EQ(service.resolve_calls, 2);
  EXPECT_EQ(resolve(absl::Seconds(25)), "gold");  // inside the cached window
  EXPECT_EQ(service.resolve_calls, 2);
  EXPECT_EQ(resolve(absl::Seconds(7)), "silver");
  EXPECT_EQ(service.resolve_calls, 3);
  // A second later the answer is read again (a definition saved meanwhile applies to records
  // raised after it).
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(resolve(absl::Seconds(25)), "gold");
  EXPECT_EQ(service.resolve_calls, 4);
  served.server->Shutdown();
}

// Found from outside: records raised within a second after a definition or calendar was saved
// kept the version before it for life (one breached on a holiday saved 0.2 s before it was
// raised). An answer serves the records raised before it was read, never one raised after.
TEST(GrpcDefinitionSource, AnAnswerReadBeforeARecordWasRaisedIsNotUsedForIt) {
  FakeSla service;
  Served served = Serve(service);
  ASSERT_NE(served.server, nullptr);
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  base::ManualClock clock(t0);
  GrpcDefinitionSource source(served.channel, clock, absl::Seconds(30));
  const auto resolve = [&](absl::Duration raised_after_t0) {
    EXPECT_TRUE(source.Resolve(VpnP1RaisedAt(t0 + raised_after_t0)).ok());
  };
  resolve(-absl::Milliseconds(100));
  EXPECT_EQ(service.resolve_calls, 1);
  clock.Advance(absl::Milliseconds(300));
  resolve(-absl::Milliseconds(50));  // raised before the answer was read: served from it
  EXPECT_EQ(service.resolve_calls, 1);
  resolve(absl::Milliseconds(200));  // raised after: read again
  EXPECT_EQ(service.resolve_calls, 2);
  resolve(absl::Milliseconds(250));  // raised before that second read
  EXPECT_EQ(service.resolve_calls, 2);

  ASSERT_TRUE(source.CurrentCalendar("office", t0 - absl::Milliseconds(10)).ok());
  EXPECT_EQ(service.calendar_calls, 1);
  ASSERT_TRUE(source.CurrentCalendar("office", t0).ok());  // a clock started before the read
  EXPECT_EQ(service.calendar_calls, 1);
  ASSERT_TRUE(source.CurrentCalendar("office", t0 + absl::Milliseconds(400)).ok());
  EXPECT_EQ(service.calendar_calls, 2);
  served.server->Shutdown();
}

// An outside tester saved a definition's new target (or a calendar's new hours), stopped the SLA
// service three seconds later, and the records raised meanwhile kept the old version for life:
// false breaches. While the service cannot answer, which definitions apply and the current
// calendar are UNAVAILABLE (the event waits with its record), however recently they were read;
// pinned versions and the current definition (whether it is retired) are still served.
TEST(GrpcDefinitionSource, WhatARecordWouldKeepForLifeIsNotGuessedDuringAnOutage) {
  FakeSla service;
  Served served = Serve(service);
  ASSERT_NE(served.server, nullptr);
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcDefinitionSource source(served.channel, clock, absl::Seconds(30));
  RecordQuery query;
  query.service = "vpn";
  query.priority = incident::v1::PRIORITY_P1;
  query.create_time = clock.Now();
  ASSERT_TRUE(source.Resolve(query).ok());
  EXPECT_EQ((*source.Calendar("office", 0))->version(), 1);
  EXPECT_EQ((*source.Calendar("office", 1))->version(), 1);
  EXPECT_EQ((*source.Definition("gold", 0))->version(), 1);
  service.next_error = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  clock.Advance(absl::Seconds(3));
  query.create_time = clock.Now();
  EXPECT_EQ(source.Resolve(query).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(source.Calendar("office", 0).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*source.Calendar("office", 1))->version(), 1);
  EXPECT_EQ((*source.Definition("gold", 0))->version(), 1);
  // Answered again: the service's answers, asked anew.
  service.next_error = grpc::Status::OK;
  const int resolve_calls = service.resolve_calls;
  EXPECT_TRUE(source.Resolve(query).ok());
  EXPECT_EQ(service.resolve_calls, resolve_calls + 1);
  EXPECT_TRUE(source.Calendar("office", 0).ok());
  served.server->Shutdown();
}

}  // namespace
}  // namespace itsm::sla_timer
