// What a delivery sends: the CloudEvents JSON envelope around the proto3 JSON of the event,
// from protobuf and from JSON events alike; events that can never be sent; and every topic's
// event types compiled into the binary.
#include "services/webhooks/src/webhook_payload.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/events/event_json.h"
#include "services/webhooks/src/delivery_recorder.h"

namespace itsm::webhooks {
namespace {

TEST(WebhookPayload, IsACloudEventInJsonWithTheEventAsData) {
  change::v1::ChangeCreated created;
  created.mutable_change()->set_id("chg-1");
  created.mutable_change()->set_title("Patch \"db\"\n");
  created.set_actor("alice");
  for (bool json : {false, true}) {
    const events::CloudEvent event = events::MakeCloudEvent(
        created, "itsm/change", "chg-1", absl::FromUnixSeconds(1767225600), json);
    absl::StatusOr<Payload> p = PayloadOf(event);
    ASSERT_TRUE(p.ok()) << p.status();
    // The body is valid JSON (parsed by protobuf's own parser into a Struct).
    google::protobuf::Struct parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(p->event.body, &parsed).ok())
        << p->event.body;
    const auto& f = parsed.fields();
    EXPECT_EQ(f.at("specversion").string_value(), "1.0");
    EXPECT_EQ(f.at("id").string_value(), event.id);
    EXPECT_EQ(f.at("type").string_value(), "itsm.change.v1.ChangeCreated");
    EXPECT_EQ(f.at("source").string_value(), "itsm/change");
    EXPECT_EQ(f.at("subject").string_value(), "chg-1");
    EXPECT_EQ(f.at("time").string_value(), "2026-01-01T00:00:00.000000Z");
    EXPECT_EQ(f.at("data")
                  .struct_value()
                  .fields()
                  .at("change")
                  .struct_value()
                  .fields()
                  .at("title")
                  .string_value(),
              "Patch \"db\"\n");
    EXPECT_EQ(p->facts.subject, "chg-1");
    EXPECT_NE(std::find(p->facts.record_keys.begin(), p->facts.record_keys.end(), "chg-1"),
              p->facts.record_keys.end());
  }
}

TEST(WebhookPayload, RefusesEventsThatCanNeverBeSent) {
  change::v1::ChangeCreated created;
  events::CloudEvent event = events::MakeCloudEvent(created, "itsm/change", "c", absl::Now());
  events::CloudEvent no_id = event;
  no_id.id.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(PayloadOf(no_id).status()));
  events::CloudEvent unknown = event;
  unknown.type = "itsm.nothing.v1.Unknown";
  EXPECT_TRUE(absl::IsInvalidArgument(PayloadOf(unknown).status()));
  events::CloudEvent garbage = event;
  garbage.data = "\xff\xff\xff";
  EXPECT_TRUE(absl::IsInvalidArgument(PayloadOf(garbage).status()));
}

TEST(WebhookPayload, EveryDefaultTopicsEventTypesAreCompiledIn) {
  EXPECT_TRUE(events::CheckEventTypesLinked(DefaultTopics()).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(events::CheckEventTypesLinked({"itsm.nothing.v1"})));
}

}  // namespace
}  // namespace itsm::webhooks
