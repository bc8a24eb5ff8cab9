// The JSON rendering's pieces every client outside Kafka shares (the whole envelope is tested
// through webhook payloads and the gateway's event streams): escaping and type patterns.
#include "itsm/events/event_json.h"

#include "gtest/gtest.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/incident/v1/events.pb.h"

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

TEST(EventJson, APatternMustMatchATypeOfTheTopics) {
  // The topics' event files are in the descriptor pool once their messages are linked.
  ASSERT_NE(incident::v1::IncidentCreated::descriptor(), nullptr);
  ASSERT_NE(change::v1::ChangeCreated::descriptor(), nullptr);
  const std::vector<std::string> topics = {"itsm.incident.v1", "itsm.change.v1"};
  for (const char* known :
       {"*", "itsm.*", "itsm.incident.v1.*", "itsm.incident.v1.IncidentCreated", "itsm.change.*"}) {
    EXPECT_TRUE(CheckEventTypePatternOf("f", known, topics).ok()) << known;
  }
  for (const char* unknown : {"itsm.incident.v1.IncidentCreatd", "nonexistent", "itsm.incident.v1",
                              "itsm.supplier.v1.*", "itsm.incident.v1.Incident"}) {
    const absl::Status s = CheckEventTypePatternOf("f", unknown, topics);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << unknown;
    EXPECT_NE(s.message().find("matches no event type"), absl::string_view::npos) << s;
  }
}

}  // namespace
}  // namespace itsm::events
