// GrpcConfigurationItems against an in-process configuration service stand-in: classes, location
// zones, NOT_FOUND for a missing CI, UNAVAILABLE when the service cannot be reached, and the cache.
#include "itsm/configitems/configuration_items.h"

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "itsm/testing/grpc_server.h"

namespace itsm::configitems {
namespace {

class FakeConfiguration final : public config::v1::ConfigurationService::Service {
 public:
  grpc::Status GetConfigurationItem(grpc::ServerContext*,
                                    const config::v1::GetConfigurationItemRequest* request,
                                    config::v1::GetConfigurationItemResponse* response) override {
    ++calls;
    if (delay_ms > 0) absl::SleepFor(absl::Milliseconds(delay_ms.load()));
    if (request->id().size() > 400) {  // as the configuration service answers
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id: at most 400 characters");
    }
    auto it = items.find(request->id());
    if (it == items.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such CI");
    *response->mutable_configuration_item() = it->second;
    return grpc::Status::OK;
  }
  std::map<std::string, config::v1::ConfigurationItem> items;
  std::atomic<int> calls{0};
  std::atomic<int> delay_ms{0};
};

config::v1::ConfigurationItem Item(const std::string& id, const std::string& cls,
                                   std::map<std::string, std::string> attributes = {}) {
  config::v1::ConfigurationItem i;
  i.set_id(id);
  i.set_class_name(cls);
  for (auto& [k, v] : attributes) (*i.mutable_attributes())[k] = v;
  return i;
}

TEST(GrpcConfigurationItems, ClassesZonesAndMissingItems) {
  FakeConfiguration fake;
  fake.items["r1"] = Item("r1", "router", {{"location", "ist"}});
  fake.items["ist"] = Item("ist", "location", {{"time_zone", "Europe/Istanbul"}});
  fake.items["r2"] = Item("r2", "router", {{"location", "gone"}});
  // A free-text location the CMDB refuses as an id: no zone, not an outage to wait out.
  fake.items["r3"] = Item("r3", "custom", {{"location", std::string(500, 'x')}});
  testing::GrpcTestServer server({&fake});
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcConfigurationItems cis(server.Channel(), clock, {.cache_ttl = absl::Minutes(1)});
  EXPECT_EQ(*cis.ClassOf("r1"), "router");
  EXPECT_EQ(*cis.LocationZoneOf("r1"), "Europe/Istanbul");
  EXPECT_EQ(*cis.LocationZoneOf("ist"), "Europe/Istanbul");
  EXPECT_EQ(*cis.LocationZoneOf("r2"), "");  // a dangling location: no zone
  auto free_text = cis.LocationZoneOf("r3");
  ASSERT_TRUE(free_text.ok()) << free_text.status();
  EXPECT_EQ(*free_text, "");
  EXPECT_EQ(cis.ClassOf("nope").status().code(), absl::StatusCode::kNotFound);
  // Cached: asked again within the TTL, the service is not called.
  const int calls = fake.calls;
  EXPECT_EQ(*cis.ClassOf("r1"), "router");
  EXPECT_EQ(fake.calls, calls);
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ(*cis.ClassOf("r1"), "router");
  EXPECT_EQ(fake.calls, calls + 1);
}

TEST(GrpcConfigurationItems, AnUnreachableServiceIsUnavailable) {
  FakeConfiguration fake;
  testing::GrpcTestServer server({&fake});
  auto channel = server.Channel();
  server.Shutdown();
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcConfigurationItems cis(channel, clock, {.deadline = absl::Milliseconds(500)});
  EXPECT_EQ(cis.ClassOf("r1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cis.LocationZoneOf("r1").status().code(), absl::StatusCode::kUnavailable);
}

// A hung configuration service (calls time out rather than fail) is asked once per quiet
// period, not once per record: the SLA timer's threads wait one deadline, then go on with what
// was read before or UNAVAILABLE at once.
TEST(GrpcConfigurationItems, AServiceLeavingACallUnansweredIsNotAskedAgainForAWhile) {
  FakeConfiguration fake;
  fake.items["r1"] = Item("r1", "router");
  fake.items["s1"] = Item("s1", "server");
  testing::GrpcTestServer server({&fake});
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcConfigurationItems cis(server.Channel(), clock,
                             {.cache_ttl = absl::Minutes(1),
                              .deadline = absl::Milliseconds(200),
                              .quiet = absl::Seconds(10)});
  EXPECT_EQ(*cis.ClassOf("r1"), "router");
  fake.delay_ms = 600;
  clock.Advance(absl::Minutes(2));  // r1's entry is past its TTL
  auto stale = cis.ClassOf("r1");   // waits for the deadline, then reuses what it read
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(*stale, "router");
  const int calls = fake.calls;
  const absl::Time before = absl::Now();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(*cis.ClassOf("r1"), "router");
    EXPECT_EQ(cis.ClassOf("s1").status().code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_LT(absl::Now() - before, absl::Milliseconds(150));
  EXPECT_EQ(fake.calls, calls);
  fake.delay_ms = 0;
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(*cis.ClassOf("s1"), "server");
}

// A process restarted while the configuration service cannot answer reads what an earlier one
// kept of the items (class, location, zone; nothing else), so that records on items the timer
// knew still start their clocks (found from outside: a timer restarted during a CMDB hang
// parked them all).
TEST(GrpcConfigurationItems, WhatWasReadIsKeptAndReadBackWhenTheServiceCannotAnswer) {
  FakeConfiguration fake;
  fake.items["r1"] = Item("r1", "router", {{"location", "ist"}, {"owner", "net-team"}});
  fake.items["ist"] = Item("ist", "location", {{"time_zone", "Europe/Istanbul"}});
  fake.items["s1"] = Item("s1", "server");
  testing::GrpcTestServer server({&fake});
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  std::map<std::string, std::string> store;
  GrpcConfigurationItems::Options options{
      .deadline = absl::Milliseconds(500),
      .keep = [&store](const std::string& key, const std::string& bytes) { store[key] = bytes; },
      .find = [&store](const std::string& key) -> std::optional<std::string> {
        auto it = store.find(key);
        if (it == store.end()) return std::nullopt;
        return it->second;
      }};
  {
    GrpcConfigurationItems first(server.Channel(), clock, options);
    EXPECT_EQ(*first.LocationZoneOf("r1"), "Europe/Istanbul");
  }
  config::v1::ConfigurationItem kept;
  ASSERT_TRUE(kept.ParseFromString(store["i:r1"]));
  EXPECT_EQ(kept.class_name(), "router");
  EXPECT_FALSE(kept.attributes().contains("owner"));  // only what the clocks read
  auto channel = server.Channel();
  server.Shutdown();
  GrpcConfigurationItems restarted(channel, clock, options);
  EXPECT_EQ(*restarted.ClassOf("r1"), "router");
  EXPECT_EQ(*restarted.LocationZoneOf("r1"), "Europe/Istanbul");
  EXPECT_EQ(restarted.ClassOf("s1").status().code(), absl::StatusCode::kUnavailable);
  store.clear();
  EXPECT_EQ(*restarted.ClassOf("r1"), "router");  // held in memory once read back
}

// While one call is overdue (a hang that has not reached its deadline yet), the other threads
// do not start theirs: each would wait out a deadline of its own, one after another on the
// firing thread, before the first has silenced the service. A call that is slow but answered
// silences nothing.
TEST(GrpcConfigurationItems, OtherThreadsDoNotAskWhileACallIsOverdue) {
  FakeConfiguration fake;
  fake.items["r1"] = Item("r1", "router");
  fake.items["s1"] = Item("s1", "server");
  testing::GrpcTestServer server({&fake});
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcConfigurationItems cis(server.Channel(), clock, {.deadline = absl::Seconds(3)});
  fake.delay_ms = 1200;
  std::thread slow([&] { EXPECT_EQ(*cis.ClassOf("r1"), "router"); });
  absl::SleepFor(absl::Milliseconds(500));  // the first call is past 250 ms under way
  const absl::Time before = absl::Now();
  auto refused = cis.ClassOf("s1");
  EXPECT_LT(absl::Now() - before, absl::Milliseconds(100));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("unanswered"), std::string::npos) << refused.status();
  EXPECT_EQ(fake.calls, 1);
  slow.join();
  fake.delay_ms = 0;
  EXPECT_EQ(*cis.ClassOf("s1"), "server");  // answered late, not silenced
  EXPECT_EQ(fake.calls, 2);
}

}  // namespace
}  // namespace itsm::configitems
