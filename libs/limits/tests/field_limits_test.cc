// The one validator of declared field limits, on the suite's real request messages.
#include "itsm/limits/field_limits.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "itsm/config/v1/config.pb.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::limits {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

void ExpectRefused(const google::protobuf::Message& m, const std::string& message_prefix) {
  absl::Status s = CheckFieldLimits(m);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << message_prefix;
  EXPECT_EQ(std::string(s.message()).rfind(message_prefix, 0), 0u) << s.message();
}

TEST(CheckFieldLimits, DeclaredLengthIsInCharactersAndOneMoreIsRefused) {
  incident::v1::CreateIncidentRequest r;
  r.set_title("Mail down");
  r.set_description(Repeat("é", 20000));  // 40,000 bytes, 20,000 characters
  EXPECT_TRUE(CheckFieldLimits(r).ok()) << CheckFieldLimits(r);
  r.set_description(Repeat("é", 20001));
  ExpectRefused(r, "description: at most 20000 characters, got 20001");
}

TEST(CheckFieldLimits, UndeclaredStringsGetTheDefault) {
  incident::v1::CreateIncidentRequest r;
  r.set_title(std::string(kDefaultMaxLength, 't'));
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.set_title(std::string(kDefaultMaxLength + 1, 't'));
  ExpectRefused(r, "title: at most 200 characters");
}

TEST(CheckFieldLimits, ControlCharactersAreRefusedLineBreaksOnlyInMultiLineFields) {
  incident::v1::CreateIncidentRequest r;
  r.set_title("Mail down");
  r.set_description("line one\r\nline two\tindented");
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.set_title("retitle \x1b]0;owned\x07");
  ExpectRefused(r, "title: control character U+001B not allowed (a single-line field");
  r.set_title("two\nlines");
  ExpectRefused(r, "title: control character U+000A");
  r.set_title(
      "csi \xc2\x9b"
      "31m");
  ExpectRefused(r, "title: control character U+009B");
  // Unicode's line and paragraph separators break lines too (found from outside).
  r.set_title("two\u2028lines");
  ExpectRefused(r, "title: line separator U+2028 not allowed (a single-line field");
  r.set_title("two\u2029paragraphs");
  ExpectRefused(r, "title: line separator U+2029");
  r.set_title("Mail down \u2026 again");  // U+2026, the same first two bytes: allowed
  r.set_description("a\u2028b");
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.set_title("Mail down");
  r.set_description(std::string("nul \0 inside", 12));
  ExpectRefused(r, "description: control character U+0000");
}

// A name or a title must read in the order it is stored: "r1 \u202etxt.exe" shows as
// "r1 exe.txt" (found from outside). Noncharacters are not text in any field.
TEST(CheckFieldLimits, BidirectionalControlsAndNoncharactersAreRefused) {
  incident::v1::CreateIncidentRequest r;
  r.set_title("Mail down");
  r.set_description("\u05e9\u05dc\u05d5\u05dd \u2067mail\u2069 \u202bnote\u202c");  // RTL text
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.set_title("r1 \u202etxt.exe");
  ExpectRefused(r, "title: bidirectional control U+202E not allowed");
  r.set_title("a \u202a b");
  ExpectRefused(r, "title: bidirectional control U+202A");
  r.set_title("a \u2066 b");
  ExpectRefused(r, "title: bidirectional control U+2066");
  r.set_title("a \u2069 b");
  ExpectRefused(r, "title: bidirectional control U+2069");
  r.set_title("\u05e9\u05dc\u05d5\u05dd \u200f\u2065");  // RLM and U+2065 (unassigned) pass
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.set_title("r1 \uffff");
  ExpectRefused(r, "title: noncharacter U+FFFF not allowed");
  r.set_title("Mail down");
  r.set_description("x \ufdd0");
  ExpectRefused(r, "description: noncharacter U+FDD0");
  r.set_description("x \U0010fffe");
  ExpectRefused(r, "description: noncharacter U+10FFFE");
  r.set_description("x \U0001f600 \ufdef");
  ExpectRefused(r, "description: noncharacter U+FDEF");
  r.set_description("x \U0001f600 \ufdf0 \ufffd");  // emoji, the next character, U+FFFD pass
  EXPECT_TRUE(CheckFieldLimits(r).ok());
}

TEST(CheckFieldLimits, ListsAndNestedFieldsAreNamedByTheirPath) {
  incident::v1::UpdateIncidentRequest r;
  for (int i = 0; i < 100; ++i) r.mutable_incident()->add_configuration_item_ids("ci");
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.mutable_incident()->add_configuration_item_ids("ci");
  ExpectRefused(r, "incident.configuration_item_ids: at most 100 entries, got 101");
  r.mutable_incident()->mutable_configuration_item_ids()->RemoveLast();
  r.mutable_incident()->set_configuration_item_ids(3, std::string(201, 'c'));
  ExpectRefused(r, "incident.configuration_item_ids[3]: at most 200 characters");
}

// Bytes a field of this build does not hold would be stored and published unseen by any limit
// or audit entry: refused, at any depth, naming the message that carries them.
TEST(CheckFieldLimits, FieldsThisBuildDoesNotKnowAreRefused) {
  incident::v1::UpdateIncidentRequest r;
  r.mutable_incident()->set_title("Mail down");
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.mutable_incident()
      ->GetReflection()
      ->MutableUnknownFields(r.mutable_incident())
      ->AddLengthDelimited(1999, "hidden");
  ExpectRefused(r, "incident: field number 1999 is not a field of itsm.incident.v1.Incident");
  r.mutable_incident()->GetReflection()->MutableUnknownFields(r.mutable_incident())->Clear();
  r.GetReflection()->MutableUnknownFields(&r)->AddVarint(77, 1);
  ExpectRefused(
      r, "request: field number 77 is not a field of itsm.incident.v1.UpdateIncidentRequest");
  r.GetReflection()->MutableUnknownFields(&r)->Clear();
  // Inside a well-known type too: a Timestamp carries nothing but its seconds and nanos.
  google::protobuf::Timestamp* when = r.mutable_incident()->mutable_create_time();
  when->set_seconds(1'700'000'000);
  when->GetReflection()->MutableUnknownFields(when)->AddLengthDelimited(9, "hidden");
  ExpectRefused(r,
                "incident.create_time: field number 9 is not a field of google.protobuf.Timestamp");
  r.mutable_incident()->clear_create_time();
  // A known field sent as another wire type (a number for the title) is named as itself.
  const int title = incident::v1::Incident::descriptor()->FindFieldByName("title")->number();
  r.mutable_incident()
      ->GetReflection()
      ->MutableUnknownFields(r.mutable_incident())
      ->AddVarint(title, 7);
  ExpectRefused(r, absl::StrCat("incident.title: field number ", title,
                                " was sent encoded as another type than its own (string)"));
}

TEST(CheckFieldLimits, MapsBoundTheirEntriesKeysAndValues) {
  config::v1::CreateConfigurationItemRequest r;
  (*r.mutable_attributes())["os"] = std::string(2000, 'v');
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  (*r.mutable_attributes())["os"] = std::string(2001, 'v');
  ExpectRefused(r, "attributes[\"os\"]: at most 2000 characters");
  r.clear_attributes();
  for (int i = 0; i < 201; ++i) (*r.mutable_attributes())["a" + std::to_string(i)] = "v";
  ExpectRefused(r, "attributes: at most 200 entries");
}

TEST(CheckFieldLimits, TimesOutsideTheProtobufRangeAreRefused) {
  incident::v1::ListIncidentsRequest r;
  r.mutable_created_after()->set_seconds(253'402'300'799);  // 9999-12-31T23:59:59Z
  EXPECT_TRUE(CheckFieldLimits(r).ok());
  r.mutable_created_after()->set_seconds(int64_t{1} << 62);
  ExpectRefused(r, "created_after: not a valid time");
  r.mutable_created_after()->set_seconds(0);
  r.mutable_created_after()->set_nanos(-1);
  ExpectRefused(r, "created_after: not a valid time");
}

TEST(CheckFieldLimits, ARecordsWholeEncodingIsBounded) {
  // Each holiday within its limits, but together past the calendar's 256 KiB.
  sla::v1::CreateCalendarRequest r;
  for (int i = 0; i < 3000; ++i) {
    auto* h = r.mutable_calendar()->add_holidays();
    h->set_name(std::string(150, 'h'));
  }
  ExpectRefused(r, "calendar: at most 262144 bytes encoded");
  r.mutable_calendar()->mutable_holidays()->DeleteSubrange(100, 2900);
  EXPECT_TRUE(CheckFieldLimits(r).ok());
}

TEST(CheckFieldLimits, AFieldOverItsLimitIsNamedHoweverFarOverItIs) {
  // Past the calendar's 256 KiB by itself: still the name's own limit that is refused.
  sla::v1::CreateCalendarRequest r;
  r.mutable_calendar()->set_name(std::string(300'000, 'n'));
  ExpectRefused(r, "calendar.name: at most");
  r.mutable_calendar()->set_name("office");
  for (int i = 0; i < 20'000; ++i) r.mutable_calendar()->add_holidays()->set_name("h");
  ExpectRefused(r, "calendar.holidays: at most");
}

TEST(MaxEncodedSize, CountsFourBytesACharacterAndTheTags) {
  // value: tag 1 byte + length varint 2 bytes + 200 characters x 4 bytes.
  EXPECT_EQ(MaxEncodedSize(google::protobuf::StringValue::descriptor()), 1u + 2u + 800u);
  // A message cap bounds its record whatever its fields add up to.
  EXPECT_LE(MaxEncodedSize(sla::v1::Calendar::descriptor()), 262144u);
}

}  // namespace
}  // namespace itsm::limits
