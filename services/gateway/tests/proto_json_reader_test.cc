#include "services/gateway/src/proto_json_reader.h"

#include <memory>
#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/incident/v1/incident.pb.h"
#include "services/gateway/src/proto_json.h"
#include "services/gateway/src/route_table.h"
#include "services/gateway/tests/random_message.h"

namespace itsm::gateway {
namespace {

std::unique_ptr<Message> NewOf(const Descriptor& type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type)->New());
}

// What protobuf's parser makes of `json` (as the gateway calls it), or null when it refuses it.
std::unique_ptr<Message> ProtobufReads(const Descriptor& type, const std::string& json) {
  std::unique_ptr<Message> message = NewOf(type);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!google::protobuf::util::JsonStringToMessage(json, message.get(), options).ok()) {
    return nullptr;
  }
  return message;
}

// The reader may decline any text; what it reads must be what protobuf's parser reads.
// Returns whether it read the text.
bool ExpectReadsAsProtobuf(const Descriptor& type, const std::string& json) {
  std::unique_ptr<Message> ours = NewOf(type);
  if (!ReadProtoJson(json, *ours)) return false;
  std::unique_ptr<Message> reference = ProtobufReads(type, json);
  EXPECT_NE(reference, nullptr) << type.full_name() << ": read what protobuf refuses: " << json;
  if (reference == nullptr) return true;
  std::string difference;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differ.Compare(*ours, *reference)) << type.full_name() << ": " << difference << "\n"
                                                 << json;
  return true;
}

std::set<const Descriptor*> RequestTypes() {
  auto routes = RouteTable::Build(auth::LinkedServices("itsm."));
  EXPECT_TRUE(routes.ok()) << routes.status();
  std::set<const Descriptor*> types;
  for (const Route& route : routes->routes()) types.insert(route.method->input_type());
  return types;
}

std::string ProtobufJson(const Message& message, bool proto_names) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = proto_names;
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json, options).ok());
  return json;
}

// Every request type of the API, filled at random and written by protobuf (JSON names and
// proto names) and by the gateway's own writer: what the reader reads equals protobuf's reading.
TEST(ProtoJsonReaderTest, ReadsEveryRequestTypeAsProtobufDoes) {
  const std::set<const Descriptor*> types = RequestTypes();
  ASSERT_GT(types.size(), 20u);
  int texts = 0;
  int read = 0;
  for (const Descriptor* type : types) {
    for (uint32_t seed = 1; seed <= 30; ++seed) {
      std::unique_ptr<Message> message = NewOf(*type);
      RandomFiller(seed).Fill(*message, 0);
      ASSERT_TRUE(message->ParseFromString(message->SerializeAsString()));
      for (const std::string& json :
           {ProtobufJson(*message, false), ProtobufJson(*message, true), ProtoJson(*message)}) {
        ++texts;
        if (ExpectReadsAsProtobuf(*type, json)) ++read;
        if (HasFailure()) return;
      }
    }
  }
  // Random messages hold the forms it declines (enum numbers, "NaN", bytes, maps) now and then;
  // most texts are still read directly (8,359 of 10,260 when written).
  EXPECT_GT(read, texts / 2) << read << " of " << texts;
}

// Mutated texts (a character dropped, changed or doubled; a token inserted): whatever the reader
// accepts, protobuf's parser accepts as the same message.
TEST(ProtoJsonReaderTest, NeverReadsWhatProtobufWouldReadOtherwise) {
  const char* const kInserts[] = {"\"",    "\\",      "{",       "}",       "[",           "]",
                                  ",",     ":",       "null",    "-",       "0",           ".5",
                                  "e9",    "\\u0000", "\\ud800", "\xff",    "\xc3",        " ",
                                  "1e400", "\"x\":1", "true",    "\\u00e9", "99999999999", "\t"};
  std::mt19937 rng(7);
  int mutants = 0;
  int read = 0;
  for (const Descriptor* type : RequestTypes()) {
    for (uint32_t seed = 1; seed <= 6; ++seed) {
      std::unique_ptr<Message> message = NewOf(*type);
      RandomFiller(seed).Fill(*message, 0);
      const std::string json = ProtoJson(*message);
      for (int m = 0; m < 40; ++m) {
        std::string mutant = json;
        const size_t at = std::uniform_int_distribution<size_t>(0, mutant.size() - 1)(rng);
        switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
          case 0:
            mutant.erase(at, 1);
            break;
          case 1:
            mutant[at] = static_cast<char>(std::uniform_int_distribution<int>(0x20, 0x7e)(rng));
            break;
          case 2:
            mutant.insert(at, 1, mutant[at]);
            break;
          default:
            mutant.insert(
                at,
                kInserts[std::uniform_int_distribution<size_t>(0, std::size(kInserts) - 1)(rng)]);
        }
        ++mutants;
        if (ExpectReadsAsProtobuf(*type, mutant)) ++read;
        if (HasFailure()) return;
      }
    }
  }
  EXPECT_GT(read, 0) << "of " << mutants;
}

TEST(ProtoJsonReaderTest, ReadsABodyAsClientsWriteIt) {
  incident::v1::CreateIncidentRequest request;
  ASSERT_TRUE(ReadProtoJson(R"( {"title": "Checkout down \u00e9\ud83d\udd25",
      "description":"line\nnext", "impact": 1, "urgency": "2", "service": "checkout",
      "configuration_item_ids": ["ci-1", "ci-2"]} )",
                            request));
  EXPECT_EQ(request.title(), "Checkout down \xc3\xa9\xf0\x9f\x94\xa5");
  EXPECT_EQ(request.description(), "line\nnext");
  EXPECT_EQ(request.impact(), 1);
  EXPECT_EQ(request.urgency(), 2);
  EXPECT_EQ(request.configuration_item_ids_size(), 2);

  const Descriptor& change = *change::v1::CreateChangeRequest::descriptor();
  for (const char* json : {
           R"({"title":"Patch","plannedStartTime":"2024-02-29T23:59:59.5Z",
               "planned_end_time":"2024-03-01T00:00:00Z"})",
           R"({"plannedStartTime":"0001-01-01T00:00:00Z"})",
           R"({"plannedStartTime":"9999-12-31T23:59:59.999999999Z"})",
       }) {
    EXPECT_TRUE(ExpectReadsAsProtobuf(change, json)) << json;
  }
}

// The forms left to protobuf's parser: it reads some (offsets, enum numbers, null) and refuses
// the rest with its own error, which the gateway turns into a field error.
TEST(ProtoJsonReaderTest, DeclinesWhatItLeavesToProtobuf) {
  const Descriptor& incident = *incident::v1::CreateIncidentRequest::descriptor();
  const Descriptor& change = *change::v1::CreateChangeRequest::descriptor();
  for (const char* json : {
           "",
           "[]",
           R"("title")",
           R"({"title":"x"} x)",
           R"({"title":"x",})",
           R"({"title":null})",
           R"({"bogus":1})",
           // A key given twice, however spelt: the gateway skips its duplicate-key check for a
           // body the reader read.
           R"({"title":"a","title":"b"})",
           R"({"title":"a","\u0074itle":"b"})",
           R"({"configurationItemIds":["a"],"configurationItemIds":["b"]})",
           R"({"title":'x'})",
           R"({title:"x"})",
           R"({"title":"\ud800"})",
           R"({"title":"\udc00"})",
           "{\"title\":\"\xff\"}",
           "{\"title\":\"\xc0\xaf\"}",
           "{\"title\":\"\xed\xa0\x80\"}",
           "{\"title\":\"tab\there\"}",
           R"({"title":"\u0000"})",
           R"({"title":"\x"})",
           R"({"impact":1.0})",
           R"({"impact":1e0})",
           R"({"impact":01})",
           R"({"impact":-})",
           R"({"impact":2147483648})",
           R"({"impact":" 1"})",
           R"({"impact":"+1"})",
           R"({"impact":true})",
       }) {
    std::unique_ptr<Message> ours = NewOf(incident);
    EXPECT_FALSE(ReadProtoJson(json, *ours)) << json;
  }
  for (const char* json : {
           R"({"plannedStartTime":"2024-02-29T10:00:00+01:00"})",
           R"({"plannedStartTime":"2023-02-29T10:00:00Z"})",
           R"({"plannedStartTime":"2024-01-01t10:00:00z"})",
           R"({"plannedStartTime":"2024-01-01T24:00:00Z"})",
           R"({"plannedStartTime":"2024-01-01T10:00:60Z"})",
           R"({"plannedStartTime":"2024-01-01T10:00:00.Z"})",
           R"({"plannedStartTime":"2024-01-01T10:00:00.1234567891Z"})",
           R"({"plannedStartTime":"0000-01-01T00:00:00Z"})",
           R"({"plannedStartTime":null})",
           R"({"plannedStartTime":1})",
       }) {
    std::unique_ptr<Message> ours = NewOf(change);
    EXPECT_FALSE(ReadProtoJson(json, *ours)) << json;
  }
}

// Objects nest 33 deep at most (the root and 32 below it); a deeper body goes to protobuf's
// parser, which keeps its own limit. No message of the API nests that deep; a message that holds
// itself shows the edge.
TEST(ProtoJsonReaderTest, DeclinesObjectsNestedDeeperThanItsLimit) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("nested_node.proto");
  file.set_package("itsm.test");
  file.set_syntax("proto3");
  google::protobuf::DescriptorProto& node = *file.add_message_type();
  node.set_name("Node");
  google::protobuf::FieldDescriptorProto& child = *node.add_field();
  child.set_name("child");
  child.set_number(1);
  child.set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  child.set_type(google::protobuf::FieldDescriptorProto::TYPE_MESSAGE);
  child.set_type_name(".itsm.test.Node");
  google::protobuf::DescriptorPool pool;
  ASSERT_NE(pool.BuildFile(file), nullptr);
  google::protobuf::DynamicMessageFactory factory(&pool);
  const Message& prototype = *factory.GetPrototype(pool.FindMessageTypeByName("itsm.test.Node"));
  auto nested = [](int objects) {
    std::string json;
    for (int i = 1; i < objects; ++i) json += "{\"child\":";
    json += "{}";
    for (int i = 1; i < objects; ++i) json += "}";
    return json;
  };
  std::unique_ptr<Message> at_limit(prototype.New());
  EXPECT_TRUE(ReadProtoJson(nested(33), *at_limit));
  std::unique_ptr<Message> past_limit(prototype.New());
  EXPECT_FALSE(ReadProtoJson(nested(34), *past_limit));
}

}  // namespace
}  // namespace itsm::gateway
