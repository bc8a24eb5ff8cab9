// The JSON rendering's pieces every client outside Kafka shares (the whole envelope is tested
// through webhook payloads and the gateway's event streams): escaping and type patterns.
#include "itsm/events/event_json.h"

#include "gtest/gtest.h"

namespace itsm::events {
namespace {

TEST(EventJson, JsonQuoteEscapesControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
}

TEST(EventJson, UnknownTypesAndMissingIdsAreRefused) {
  CloudEvent event;
  event.type = "itsm.nothing.v1.Unknown";
  EXPECT_TRUE(absl::IsInvalidArgument(RenderCloudEventJson(event).status()));
  event.id = "e1";
  EXPECT_TRUE(absl::IsInvalidArgument(RenderCloudEventJson(event).status()));
}

TEST(EventJson, TypePatterns) {
  EXPECT_TRUE(TypeMatches("itsm.incident.v1.*", "itsm.incident.v1.IncidentClosed"));
  EXPECT_FALSE(TypeMatches("itsm.incident.v1.*", "itsm.incident.v10.IncidentClosed"));
  EXPECT_TRUE(TypeMatches("*", "anything"));
  EXPECT_TRUE(CheckEventTypePattern("f", "itsm.incident.v1.*").ok());
  EXPECT_FALSE(CheckEventTypePattern("f", "itsm..x").ok());
}

}  // namespace
}  // namespace itsm::events
