// Last-Event-ID: every cursor round-trips; anything this gateway did not write is refused
// naming the header.
#include "services/gateway/src/event_cursor.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace itsm::gateway {
namespace {

const std::vector<std::string> kTopics = {"itsm.incident.v1", "itsm.change.v1", "itsm.sla.v1"};

TEST(EventCursor, RoundTripsWithAndWithoutTheCeId) {
  EventCursor cursor{.next = {{"itsm.incident.v1", {0, 12, 1LL << 40}},
                              {"itsm.change.v1", {}},
                              {"itsm.sla.v1", {7}}}};
  const std::string encoded = EncodeCursor(cursor);
  EXPECT_LT(encoded.size(), 60u);
  for (const std::string ce_id : {"", "0b9d7c1e-2f4a-4c1b-9d7e-1f2a3b4c5d6e"}) {
    absl::StatusOr<LastEventId> back = ParseLastEventId(EventId(encoded, ce_id), kTopics);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->cursor, cursor);
    EXPECT_EQ(back->ce_id, ce_id);
  }
}

TEST(EventCursor, CarriesTheBrokersClusterAndReadsIdsOfVersion1WithoutIt) {
  const EventCursor cursor{.cluster = ClusterHash("mockCluster55d1"),
                           .next = {{"itsm.incident.v1", {5}}}};
  absl::StatusOr<LastEventId> back = ParseLastEventId(EncodeCursor(cursor), kTopics);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->cursor.cluster, ClusterHash("mockCluster55d1"));
  EXPECT_NE(ClusterHash("mockCluster55d1"), ClusterHash("mockCluster55d2"));

  // Version 1: 1, one topic, its name's FNV-1a (ClusterHash is the same function), one
  // partition at offset 5, the checksum.
  std::string v1;
  v1 += '\x01';
  v1 += '\x01';
  const auto fixed32 = [](uint32_t v, std::string& out) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  fixed32(ClusterHash("itsm.incident.v1"), v1);
  v1 += '\x01';
  v1 += '\x05';
  fixed32(ClusterHash(v1), v1);
  back = ParseLastEventId(absl::WebSafeBase64Escape(v1), kTopics);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->cursor.cluster, 0u);
  EXPECT_EQ(back->cursor.next.at("itsm.incident.v1"), std::vector<int64_t>{5});
}

TEST(EventCursor, ForeignOrDamagedIdsAreRefusedNamingTheHeader) {
  const std::string good = EncodeCursor({.next = {{"itsm.incident.v1", {3, 4}}}});
  std::string flipped = good;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  const std::string other_topic = EncodeCursor({.next = {{"acme.orders.v1", {3}}}});
  for (const std::string& bad : {std::string(""), std::string("nonsense"), flipped, other_topic,
                                 good + ".", good + ".a b", std::string(5000, 'A')}) {
    absl::StatusOr<LastEventId> parsed = ParseLastEventId(bad, kTopics);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status()));
    EXPECT_TRUE(absl::StrContains(parsed.status().message(), "Last-Event-ID") ||
                absl::StrContains(parsed.status().ToString(), "Last-Event-ID"))
        << parsed.status();
  }
}

}  // namespace
}  // namespace itsm::gateway
