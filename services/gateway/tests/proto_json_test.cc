#include "services/gateway/src/proto_json.h"

#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"
#include "itsm/incident/v1/incident.pb.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/tests/random_message.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Reference(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json, options).ok());
  return json;
}

// The same JSON as the reference, read as JSON: every member, every value.
void ExpectSameJson(const std::string& ours, const std::string& reference,
                    const std::string& what) {
  google::protobuf::Struct a, b;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ours, &a).ok()) << what << "\n" << ours;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(reference, &b).ok()) << reference;
  std::string difference;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differ.Compare(a, b))
      << what << ": " << difference << "\nours:      " << ours << "\nreference: " << reference;
}

TEST(ProtoJsonTest, EveryRouteMessageMatchesProtobufsJson) {
  auto routes = RouteTable::Build(auth::LinkedServices("itsm."));
  ASSERT_TRUE(routes.ok()) << routes.status();
  std::set<const Descriptor*> types;
  for (const Route& route : routes->routes()) {
    types.insert(route.method->input_type());
    types.insert(route.method->output_type());
  }
  ASSERT_GT(types.size(), 20u);
  google::protobuf::DynamicMessageFactory factory;
  int direct = 0;
  for (const Descriptor* type : types) {
    if (ProtoJsonWritesDirectly(*type)) ++direct;
    for (uint32_t seed = 1; seed <= 40; ++seed) {
      std::unique_ptr<Message> message(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
      RandomFiller(seed).Fill(*message, 0);
      // As the gateway holds an answer: parsed from the wire (a map keeps one entry per key).
      ASSERT_TRUE(message->ParseFromString(message->SerializeAsString()));
      const std::string ours = ProtoJson(*message);
      ExpectSameJson(ours, Reference(*message),
                     type->full_name() + " seed " + std::to_string(seed));
      // And it reads back as the same message as protobuf's own JSON does.
      std::unique_ptr<Message> read(message->New()), read_reference(message->New());
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ours, read.get()).ok()) << ours;
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(Reference(*message), read_reference.get())
              .ok());
      std::string difference;
      google::protobuf::util::MessageDifferencer differ;
      differ.ReportDifferencesToString(&difference);
      EXPECT_TRUE(differ.Compare(*read, *read_reference))
          << type->full_name() << ": " << difference;
      if (HasFailure()) return;
    }
  }
  // Every message of the API is written directly today; a new well-known type would lower this.
  EXPECT_EQ(direct, static_cast<int>(types.size()));
}

// Strings of every kind of character — plain runs, quotes, backslashes, controls, '<' '>' DEL,
// the line separators, other UTF-8 — are escaped exactly as protobuf's printer escapes them.
TEST(ProtoJsonTest, EscapesStringsAsProtobufDoes) {
  const std::vector<std::string> pieces = {"a",
                                           "plain text ",
                                           "\"",
                                           "\\",
                                           "\n",
                                           "\t",
                                           "\r",
                                           "\b",
                                           "\f",
                                           std::string(1, '\0'),
                                           "\x01",
                                           "\x1f",
                                           "<",
                                           ">",
                                           "\x7f",
                                           "\xe2\x80\xa8",
                                           "\xe2\x80\xa9",
                                           "\xe2\x82\xac",
                                           "\xc3\xa9",
                                           "\xf0\x9f\x98\x80"};
  std::mt19937 random(20261205);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string title;
    const int n = static_cast<int>(random() % 12);
    for (int i = 0; i < n; ++i) title += pieces[random() % pieces.size()];
    incident::v1::Incident incident;
    incident.set_title(title);
    ASSERT_EQ(ProtoJson(incident), Reference(incident)) << absl::CEscape(title);
  }
}

TEST(ProtoJsonTest, WritesTheDocumentedForms) {
  incident::v1::Incident incident;
  incident.set_id("0190f1c2");
  incident.set_title("Mail <down> \"now\"\xe2\x80\xa8!");
  incident.set_version(9007199254740993);  // beyond a double's integers: a string
  incident.mutable_create_time()->set_seconds(1700000000);
  incident.mutable_create_time()->set_nanos(120000000);
  const std::string json = ProtoJson(incident);
  EXPECT_NE(json.find(R"("id":"0190f1c2")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("title":"Mail \u003cdown\u003e \"now\"\u2028!")"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("version":"9007199254740993")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("createTime":"2023-11-14T22:13:20.120Z")"), std::string::npos) << json;
  // Defaults are printed (scalars, lists), unset messages are not.
  EXPECT_NE(json.find(R"("assignee":"")"), std::string::npos) << json;
  EXPECT_EQ(json.find("resolveTime"), std::string::npos) << json;
  ExpectSameJson(json, Reference(incident), "incident");
  // Years before 1000 keep four digits (RFC 3339): "999-12-31" breaks strict parsers.
  incident.mutable_create_time()->set_seconds(-62135596800);  // 0001-01-01
  incident.mutable_create_time()->set_nanos(0);
  EXPECT_NE(ProtoJson(incident).find(R"("createTime":"0001-01-01T00:00:00Z")"), std::string::npos);
}

}  // namespace
}  // namespace itsm::gateway
