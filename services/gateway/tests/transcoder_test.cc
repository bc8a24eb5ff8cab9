#include "services/gateway/src/transcoder.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"
#include "itsm/base/error_detail.h"
#include "itsm/incident/v1/incident.pb.h"
#include "services/gateway/src/error_answer.h"

namespace itsm::gateway {
namespace {

class TranscoderTest : public ::testing::Test {
 protected:
  TranscoderTest() : routes_(*RouteTable::Build(auth::LinkedServices("itsm."))) {}

  absl::StatusOr<TranscodedRequest> Transcode(absl::string_view method, absl::string_view path,
                                              HttpInput input) {
    RouteLookup found = routes_.Find(method, path);
    EXPECT_NE(found.route, nullptr) << method << " " << path;
    if (found.route == nullptr) return absl::NotFoundError("no route");
    return TranscodeRequest(*found.route, found.bindings, input);
  }

  RouteTable routes_;
};

void ExpectFieldError(const absl::Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(base::ErrorField(status).value_or("<none>"), field) << status;
}

TEST_F(TranscoderTest, BodyStarPathAndHeaders) {
  auto t = Transcode("POST", "/v1/incidents",
                     {.body = R"({"title":"Mail down","impact":1,
      "urgency":"2","majorIncident":true})",
                      .idempotency_key = "key-1"});
  ASSERT_TRUE(t.ok()) << t.status();
  const auto& r = dynamic_cast<const incident::v1::CreateIncidentRequest&>(*t->message);
  EXPECT_EQ(r.title(), "Mail down");
  EXPECT_EQ(r.urgency(), 2);
  EXPECT_TRUE(r.major_incident());
  EXPECT_EQ(r.idempotency_key(), "key-1");
}

TEST_F(TranscoderTest, IfMatchSetsTheRecordVersion) {
  auto t =
      Transcode("POST", "/v1/incidents/INC1:transition",
                {.body = R"({"targetState":"INCIDENT_STATE_IN_PROGRESS"})", .if_match = "\"4\""});
  ASSERT_TRUE(t.ok()) << t.status();
  const auto& r = dynamic_cast<const incident::v1::TransitionIncidentRequest&>(*t->message);
  EXPECT_EQ(r.id(), "INC1");
  EXPECT_EQ(r.version(), 4);
  EXPECT_TRUE(t->version_from_if_match);

  // Into the body field's version, for an update.
  t = Transcode("PATCH", "/v1/incidents/INC1",
                {.query = "update_mask=title", .body = R"({"title":"x"})", .if_match = "W/\"7\""});
  ASSERT_TRUE(t.ok()) << t.status();
  const auto& u = dynamic_cast<const incident::v1::UpdateIncidentRequest&>(*t->message);
  EXPECT_EQ(u.incident().id(), "INC1");
  EXPECT_EQ(u.incident().version(), 7);
  EXPECT_EQ(u.update_mask().paths(0), "title");
  // Masks in lowerCamelCase or snake_case only: protobuf folds capitals ("attributes.OS" became
  // "attributes.os", another key than the body's OS), found from outside.
  t = Transcode("PATCH", "/v1/incidents/INC1",
                {.query = "update_mask=assignmentGroup,hold_reason", .body = R"({"title":"x"})"});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(
      dynamic_cast<const incident::v1::UpdateIncidentRequest&>(*t->message).update_mask().paths(0),
      "assignment_group");
  for (const char* mask : {"TITLE", "title,Description", "attributes.OS", "a.CPU_COUNT", "x..y",
                           "title,", "_title", "ti-tle"}) {
    ExpectFieldError(
        Transcode("PATCH", "/v1/incidents/INC1",
                  {.query = absl::StrCat("update_mask=", mask), .body = R"({"title":"x"})"})
            .status(),
        "update_mask");
  }

  ExpectFieldError(Transcode("POST", "/v1/incidents/INC1:transition", {.if_match = "abc"}).status(),
                   "If-Match");
  // Tags are compared as given: "01" and "+1" are not the "1" this API gave.
  for (const char* other : {"\"01\"", "\"+1\"", "\" 1\"", "\"1 \""}) {
    ExpectFieldError(
        Transcode("POST", "/v1/incidents/INC1:transition", {.if_match = other}).status(),
        "If-Match");
  }
  ExpectFieldError(Transcode("POST", "/v1/incidents/INC1:transition",
                             {.body = R"({"version":"3"})", .if_match = "\"4\""})
                       .status(),
                   "version");
  auto no_version = Transcode("POST", "/v1/incidents", {.body = "{}", .if_match = "\"4\""});
  EXPECT_EQ(no_version.status().code(), absl::StatusCode::kInvalidArgument);
  // A read's condition is If-None-Match: If-Match there would be ignored, so it is refused.
  ExpectFieldError(Transcode("GET", "/v1/incidents/INC1", {.if_match = "\"4\""}).status(),
                   "If-Match");
}

// A compressed (or so labelled) body is refused, not read as other bytes than a proxy reads.
TEST_F(TranscoderTest, ACompressedBodyIsRefused) {
  for (const char* coding : {"gzip", "br", "x-unknown-coding"}) {
    auto t = Transcode("POST", "/v1/incidents",
                       {.body = R"({"title":"x"})", .content_encoding = coding});
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << coding;
    EXPECT_NE(t.status().message().find("Content-Encoding"), std::string::npos) << t.status();
  }
  EXPECT_TRUE(Transcode("POST", "/v1/incidents",
                        {.body = R"({"title":"x"})", .content_encoding = "identity"})
                  .ok());
}

TEST_F(TranscoderTest, RefusesWhatItCannotMapNamingTheField) {
  ExpectFieldError(Transcode("POST", "/v1/incidents", {.body = R"({"titel":"x"})"}).status(),
                   "titel");
  ExpectFieldError(Transcode("POST", "/v1/incidents", {.body = R"({"impact":"high"})"}).status(),
                   "impact");
  ExpectFieldError(Transcode("PATCH", "/v1/incidents/INC1", {.body = R"({"bogus":1})"}).status(),
                   "incident.bogus");
  ExpectFieldError(Transcode("PATCH", "/v1/incidents/INC1", {.body = R"({"id":"INC2"})"}).status(),
                   "incident.id");
  // A list where a scalar belongs: named as the proto names it, however the body spelt it.
  ExpectFieldError(
      Transcode("POST", "/v1/incidents/INC1:transition", {.body = R"({"targetState":[1]})"})
          .status(),
      "target_state");
  ExpectFieldError(
      Transcode("PATCH", "/v1/incidents/INC1", {.body = R"({"resolutionCode":["x"]})"}).status(),
      "incident.resolution_code");
  // An object where a scalar belongs: protobuf's parser names the scalar after its parent.
  ExpectFieldError(Transcode("POST", "/v1/incidents", {.body = R"({"title":{}})"}).status(),
                   "title");
  ExpectFieldError(
      Transcode("POST", "/v1/incidents/INC1:transition", {.body = R"({"targetState":{}})"})
          .status(),
      "target_state");
  ExpectFieldError(Transcode("PATCH", "/v1/incidents/INC1", {.body = R"({"title":{}})"}).status(),
                   "incident.title");
  ExpectFieldError(Transcode("POST", "/v1/slaDefinitions",
                             {.body = R"({"definition":{"targets":[{"priority":{}}]}})"})
                       .status(),
                   "definition.targets[0].priority");
  ExpectFieldError(Transcode("POST", "/v1/slaDefinitions",
                             {.body = R"({"definition":{"coverage":{"services":[{}]}}})"})
                       .status(),
                   "definition.coverage.services[0]");
  ExpectFieldError(Transcode("GET", "/v1/incidents", {.query = "page.page_size=ten"}).status(),
                   "page.page_size");
  // Blanks around a number are not skipped ("+" is a space in a query).
  for (const char* padded : {"page.page_size=+5", "page.page_size=5%20", "page.page_size=%095"}) {
    ExpectFieldError(Transcode("GET", "/v1/incidents", {.query = padded}).status(),
                     "page.page_size");
  }
  ExpectFieldError(Transcode("GET", "/v1/incidents", {.query = "states=%201"}).status(), "states");
  ExpectFieldError(Transcode("GET", "/v1/incidents", {.query = "colour=red"}).status(), "colour");
  ExpectFieldError(Transcode("GET", "/v1/incidents", {.query = "assignee=a&assignee=b"}).status(),
                   "assignee");
  ExpectFieldError(Transcode("POST", "/v1/incidents", {.query = "title=x", .body = "{}"}).status(),
                   "title");
  ExpectFieldError(Transcode("GET", "/v1/incidents/INC1", {.query = "id=INC2"}).status(), "id");
  ExpectFieldError(
      Transcode("POST", "/v1/incidents/INC1/notes", {.body = "{}", .idempotency_key = "k"})
          .status(),
      "Idempotency-Key");
  ExpectFieldError(
      Transcode("POST", "/v1/incidents", {.body = "{}", .idempotency_key = "\xC3\x28"}).status(),
      "Idempotency-Key");

  // A value its field's type cannot hold is told as the query's values are: the enum's names,
  // the form a time or a duration is written in.
  auto bad_enum = Transcode("POST", "/v1/slaDefinitions",
                            {.body = R"({"definition":{"targets":[{"priority":"PRIORITY_P9"}]}})"});
  ExpectFieldError(bad_enum.status(), "definition.targets[0].priority");
  EXPECT_EQ(bad_enum.status().message(),
            "definition.targets[0].priority: \"PRIORITY_P9\" is not one of PRIORITY_UNSPECIFIED, "
            "PRIORITY_P1, PRIORITY_P2, "
            "PRIORITY_P3, PRIORITY_P4, PRIORITY_P5")
      << bad_enum.status();
  auto text_for_number = Transcode("POST", "/v1/incidents", {.body = R"({"impact":"high"})"});
  EXPECT_EQ(text_for_number.status().message(), "impact: \"high\" is not a 32-bit integer");
  auto number_for_text =
      Transcode("POST", "/v1/alertmanager:notify", {.body = R"({"alerts":[{"status":5}]})"});
  EXPECT_EQ(number_for_text.status().message(), "alerts[0].status: 5 is not a string");
  // Only the JSON literals are true or false: protobuf's parser would read "yes" as true.
  for (const char* given : {R"("yes")", R"("1")", R"("TRUE")", R"("no")", "0"}) {
    auto text_for_bool =
        Transcode("POST", "/v1/incidents",
                  {.body = absl::StrCat(R"({"title":"t","majorIncident":)", given, "}")});
    ExpectFieldError(text_for_bool.status(), "major_incident");
    EXPECT_TRUE(absl::StrContains(text_for_bool.status().message(), "is not true or false"))
        << given << ": " << text_for_bool.status();
  }
  auto long_text =
      Transcode("POST", "/v1/incidents",
                {.body = absl::StrCat(R"({"urgency":")", std::string(5000, 'x'), "\"}")});
  EXPECT_EQ(long_text.status().message(),
            absl::StrCat("urgency: \"", std::string(64, 'x'), "\"... is not a 32-bit integer"));
  // Inside a map, the entry is named by its key, not by its place in the object.
  auto map_value_number = Transcode("POST", "/v1/alertmanager:notify",
                                    {.body = R"({"alerts":[{"labels":{"zz":"ok","bb":1}}]})"});
  EXPECT_EQ(map_value_number.status().message(), "alerts[0].labels[\"bb\"]: 1 is not a string");
  auto map_value_object =
      Transcode("POST", "/v1/alertmanager:notify", {.body = R"({"commonLabels":{"team":{}}})"});
  ExpectFieldError(map_value_object.status(), "common_labels[\"team\"]");
  EXPECT_EQ(map_value_object.status().message(),
            "common_labels[\"team\"]: an object where a string is expected");
  auto map_value_list = Transcode("POST", "/v1/alertmanager:notify",
                                  {.body = R"({"alerts":[{}, {"annotations":{"a":[1]}}]})"});
  EXPECT_EQ(map_value_list.status().message(),
            "alerts[1].annotations[\"a\"]: a list where a string is expected");
  auto list_for_message =
      Transcode("POST", "/v1/alertmanager:notify", {.body = R"({"alerts":[["x"]]})"});
  EXPECT_EQ(list_for_message.status().message(), "alerts[0]: a list where an object is expected");
  auto single_for_body_field = Transcode("PUT", "/v1/changePolicy", {.body = "true"});
  EXPECT_EQ(single_for_body_field.status().message(),
            "policy: a single value where an object is expected");
  auto bad_duration =
      Transcode("POST", "/v1/slaDefinitions",
                {.body = R"({"definition":{"targets":[{"responseTarget":"4 hours"}]}})"});
  ExpectFieldError(bad_duration.status(), "definition.targets[0].response_target");
  EXPECT_EQ(bad_duration.status().message(),
            "definition.targets[0].response_target: must be a Duration (seconds ending "
            "in s, such as \"14400s\" or \"1.5s\")")
      << bad_duration.status();
  auto bad_time =
      Transcode("POST", "/v1/alertmanager:notify",
                {.body = R"({"alerts":[{"status":"firing"},{"startsAt":"yesterday"}]})"});
  ExpectFieldError(bad_time.status(), "alerts[1].starts_at");
  EXPECT_EQ(bad_time.status().message(),
            "alerts[1].starts_at: \"yesterday\" is not a Timestamp (RFC 3339, such as "
            "\"2024-05-01T09:30:00Z\")")
      << bad_time.status();
  auto bad_time_in_query = Transcode("GET", "/v1/incidents", {.query = "created_after=yesterday"});
  EXPECT_EQ(bad_time_in_query.status().message(),
            "created_after: \"yesterday\" is not a Timestamp (RFC 3339, such as "
            "\"2024-05-01T09:30:00Z\")");

  // Malformed JSON is told by its place in the body the client sent.
  auto malformed = Transcode("POST", "/v1/incidents", {.body = "{\"title\": \"x\",\n \"y\" 2}"});
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(base::ErrorField(malformed.status()).has_value());
  EXPECT_EQ(malformed.status().message(),
            "the request body is not valid JSON: expected ':' after the key at line 2, column 6 "
            "(byte 20)");
  auto not_an_object = Transcode("POST", "/v1/incidents", {.body = R"("title")"});
  EXPECT_EQ(not_an_object.status().message(),
            "the request body must be a JSON object ({...}), not a string");
  EXPECT_EQ(Transcode("POST", "/v1/incidents", {.body = " [1, 2]"}).status().message(),
            "the request body must be a JSON object ({...}), not an array");
  EXPECT_EQ(Transcode("POST", "/v1/incidents", {.body = "null"}).status().message(),
            "the request body must be a JSON object ({...}), not a single value");
  // A body that is one field of the request (PATCH's `incident`): the place is still in what
  // the client sent, not in the object the gateway wraps it in.
  auto one_field = Transcode("PATCH", "/v1/incidents/INC1",
                             {.query = "update_mask=title", .body = R"({"title": })"});
  EXPECT_EQ(one_field.status().message(),
            "the request body is not valid JSON: expected a value (an object, array, string, "
            "number, true, false or null) at line 1, column 11 (byte 10)");
  auto utf8 = Transcode("POST", "/v1/incidents", {.body = "{\"title\":\"\xff\"}"});
  EXPECT_EQ(utf8.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(utf8.status().message(),
            "the request body is not valid JSON: a byte that is not UTF-8 at line 1, column 11 "
            "(byte 10)");

  auto not_json =
      Transcode("POST", "/v1/incidents", {.body = "title=x", .content_type = "text/plain"});
  EXPECT_EQ(ExplicitHttpStatus(not_json.status()), 415);
  // Found from outside: a charset other than UTF-8 was read as UTF-8 (other text stored).
  for (const char* type :
       {"application/json; charset=iso-8859-1", "application/json;charset=utf-16",
        "application/json; Charset=\"latin1\"", "application/json; charset =latin1",
        "application/json; charset", "+json", "application/+json", "json"}) {
    auto other =
        Transcode("POST", "/v1/incidents", {.body = R"({"title":"x"})", .content_type = type});
    EXPECT_EQ(ExplicitHttpStatus(other.status()), 415) << type;
    EXPECT_NE(other.status().message().find("Content-Type"), std::string::npos) << type;
  }
  for (const char* type : {"application/json; charset=utf-8", "application/json;charset=\"UTF-8\"",
                           "application/merge-patch+json; charset=UTF8",
                           "application/json; foo=\"a;charset=latin1\""}) {
    EXPECT_TRUE(
        Transcode("POST", "/v1/incidents", {.body = R"({"title":"x"})", .content_type = type}).ok())
        << type;
  }
  // No Content-Type at all (a null view, as the gateway passes a missing header): JSON, as
  // before (found from outside: the charset check read past an empty split and crashed).
  EXPECT_TRUE(Transcode("POST", "/v1/incidents",
                        {.body = R"({"title":"x"})", .content_type = absl::string_view()})
                  .ok());
  EXPECT_TRUE(
      Transcode("POST", "/v1/incidents", {.body = R"({"title":"x"})", .content_type = ""}).ok());
  auto body_on_get = Transcode("GET", "/v1/incidents", {.body = "{}"});
  EXPECT_EQ(body_on_get.status().code(), absl::StatusCode::kInvalidArgument);
}

// A body that is one field of the request is that field's value and nothing more: text after
// the value that would reach the request's other fields is refused, however it is written.
TEST_F(TranscoderTest, ABodyThatIsOneFieldCannotReachTheOthers) {
  for (const char* body :
       {R"({"title":"x"},"updateMask":"title")",
        R"({"title":"x"}, "update_mask": {"paths": ["title"]})",
        R"({"title":"x"},"incident":{"title":"y"})", R"({"title":'"'},"updateMask":"title")"}) {
    auto smuggled = Transcode("PATCH", "/v1/incidents/INC1", {.body = body});
    EXPECT_EQ(smuggled.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
  auto fine = Transcode("PATCH", "/v1/incidents/INC1",
                        {.query = "update_mask=title", .body = R"({"title":"x"})"});
  ASSERT_TRUE(fine.ok()) << fine.status();
}

// A key given twice in one object means two things to two readers (protobuf keeps the last, a
// proxy or an audit log in front may keep the first): refused, naming it, however escaped.
TEST_F(TranscoderTest, AKeyGivenTwiceInOneObjectIsRefused) {
  ExpectFieldError(
      Transcode("POST", "/v1/incidents", {.body = R"({"title":"a","impact":1,"title":"b"})"})
          .status(),
      "title");
  ExpectFieldError(
      Transcode("POST", "/v1/incidents", {.body = R"({"title":"a","title":"b"})"}).status(),
      "title");
  ExpectFieldError(Transcode("PATCH", "/v1/incidents/INC1",
                             {.query = "update_mask=title", .body = R"({"title":"x","title":"y"})"})
                       .status(),
                   "incident.title");
  ExpectFieldError(Transcode("POST", "/v1/incidents",
                             {.body = R"({"title":"a","plannedWindow":{"start":"x","start":"y"}})"})
                       .status(),
                   "plannedWindow.start");
  // The same key in different objects, keys spelt inside values, arrays of strings: all fine.
  auto fine = Transcode("POST", "/v1/incidents",
                        {.body = R"({"title":"\"title\":1, \"title\"","description":"title",
                          "configurationItemIds":["title","title"]})"});
  ASSERT_TRUE(fine.ok()) << fine.status();
  const auto& r = dynamic_cast<const incident::v1::CreateIncidentRequest&>(*fine->message);
  EXPECT_EQ(r.title(), "\"title\":1, \"title\"");
  EXPECT_EQ(r.configuration_item_ids_size(), 2);
}

// What protobuf's lenient parser would read differently from a strict reader in front of the
// gateway is refused, naming the place or the field; nothing is read into the request.
TEST_F(TranscoderTest, BodiesAStrictReaderWouldReadOtherwiseAreRefused) {
  const auto refused = [&](const std::string& body) {
    return Transcode("POST", "/v1/incidents", {.body = body}).status();
  };
  const auto expect_syntax = [&](const std::string& body, const std::string& words) {
    const absl::Status status = refused(body);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_TRUE(absl::StrContains(status.message(), words)) << body << ": " << status;
  };
  expect_syntax(R"({"title":"\x41","impact":3,"urgency":3})", "an escape JSON does not have");
  expect_syntax("\v{\"title\":\"a\"}", "expected a value");
  expect_syntax(R"({'title':'a'})", "expected a key");
  expect_syntax(absl::StrCat(R"({"title":"a","configurationItemIds":)", std::string(5000, '['),
                             std::string(5000, ']'), "}"),
                "the request body is refused: objects and lists nested more than 64 deep");

  const absl::Status scalar_for_list =
      refused(R"({"title":"a","impact":3,"urgency":3,"configurationItemIds":"solo"})");
  ExpectFieldError(scalar_for_list, "configuration_item_ids");
  EXPECT_EQ(scalar_for_list.message(),
            "configuration_item_ids: a single value where a list is expected");
  ExpectFieldError(
      refused(R"({"title":"a","impact":3,"urgency":3,"configurationItemIds":[["n1"],"n2"]})"),
      "configuration_item_ids[0]");
  const absl::Status null_in_list =
      refused(R"({"title":"a","impact":3,"urgency":3,"configurationItemIds":[null,"z"]})");
  ExpectFieldError(null_in_list, "configuration_item_ids[0]");
  EXPECT_EQ(null_in_list.message(),
            "configuration_item_ids[0]: null in a list (leave the element out)");
  const absl::Status both_names = refused(
      R"({"title":"a","impact":3,"urgency":3,"major_incident":false,"majorIncident":true})");
  ExpectFieldError(both_names, "major_incident");
  EXPECT_EQ(both_names.message(),
            R"(major_incident: given twice, as "majorIncident" and as "major_incident")");

  // null still stands for a field's default, and a quoted integer is still an integer.
  auto fine = Transcode("POST", "/v1/incidents",
                        {.body = R"({"title":"a","impact":3,"urgency":"3","description":null})"});
  ASSERT_TRUE(fine.ok()) << fine.status();
}

TEST_F(TranscoderTest, ResponsesCarryEveryFieldAndTheirRecordVersion) {
  incident::v1::GetIncidentResponse response;
  response.mutable_incident()->set_id("x");
  response.mutable_incident()->set_version(3);
  const std::string json = ResponseJson(response);
  EXPECT_NE(json.find(R"("majorIncident":false)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("version":"3")"), std::string::npos) << json;
  EXPECT_EQ(AnswerETagOf(response, true), "\"3\"");
  EXPECT_EQ(AnswerETagOf(incident::v1::ListIncidentsResponse(), false), "");
  EXPECT_EQ(AnswerETagOf(incident::v1::ListIncidentsResponse(), true).substr(0, 2), "\"c");
}

// An answer with more than its record (what was worked out from other records) has an ETag of
// its version and its content: If-None-Match sees the linked incident added, If-Match the version.
TEST_F(TranscoderTest, AnAnswerWithMoreThanItsRecordIsTaggedByItsContentToo) {
  incident::v1::GetProblemResponse response;
  response.mutable_problem()->set_version(5);
  const std::string alone = AnswerETagOf(response, true);
  EXPECT_EQ(alone, "\"5\"");
  response.add_linked_incident_ids("i-1");
  const std::string one = AnswerETagOf(response, true);
  response.add_linked_incident_ids("i-2");
  const std::string two = AnswerETagOf(response, true);
  EXPECT_EQ(one.substr(0, 4), "\"5.c") << one;
  EXPECT_NE(one, two);
  // Either tag is version 5 for If-Match; a forged content part is not a tag this API gave.
  for (const std::string& tag : {one, "W/" + two}) {
    auto t = Transcode("POST", "/v1/incidents/INC1:transition", {.if_match = tag});
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(dynamic_cast<const incident::v1::TransitionIncidentRequest&>(*t->message).version(),
              5);
  }
  ExpectFieldError(
      Transcode("POST", "/v1/incidents/INC1:transition", {.if_match = "\"5.cxyz\""}).status(),
      "If-Match");
  // Compared as given: the hash in upper case is not the tag this API gave.
  std::string upper = one;
  for (char& c : upper) c = absl::ascii_toupper(static_cast<unsigned char>(c));
  upper[3] = 'c';      // the ".c" marker itself stays
  if (upper != one) {  // a hash of digits only has no case
    ExpectFieldError(
        Transcode("POST", "/v1/incidents/INC1:transition", {.if_match = upper}).status(),
        "If-Match");
  }
}

}  // namespace
}  // namespace itsm::gateway
