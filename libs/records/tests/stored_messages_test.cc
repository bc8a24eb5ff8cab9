#include "itsm/records/stored_messages.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::records {
namespace {

using incident::v1::Incident;
using incident::v1::ListIncidentsResponse;

Incident Sample(int n) {
  Incident incident;
  incident.set_id("id-" + std::to_string(n));
  incident.set_number("INC" + std::to_string(n));
  incident.set_title("disk full on host " + std::to_string(n));
  incident.add_configuration_item_ids("ci-" + std::to_string(n));
  return incident;
}

TEST(AppendStoredMessages, TheRecordsArriveAsTheListsElementsInOrder) {
  ListIncidentsResponse expected;
  std::vector<std::string> stored;
  for (int n = 1; n <= 3; ++n) {
    *expected.add_incidents() = Sample(n);
    stored.push_back(Sample(n).SerializeAsString());
  }
  // A record written by a newer version keeps the field this one does not know.
  Incident newer = Sample(4);
  newer.GetReflection()->MutableUnknownFields(&newer)->AddVarint(999, 7);
  *expected.add_incidents() = newer;
  stored.push_back(newer.SerializeAsString());
  expected.set_next_page_token("next");

  ListIncidentsResponse answer;
  answer.set_next_page_token("next");
  ASSERT_TRUE(
      AppendStoredMessages(ListIncidentsResponse::kIncidentsFieldNumber, std::move(stored), answer)
          .ok());
  EXPECT_EQ(answer.incidents_size(), 0);  // in the process, the records are not parsed

  ListIncidentsResponse received;
  ASSERT_TRUE(received.ParseFromString(answer.SerializeAsString()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(received, expected))
      << received.DebugString();
  EXPECT_EQ(
      received.incidents(3).GetReflection()->GetUnknownFields(received.incidents(3)).field_count(),
      1);
}

TEST(AppendStoredMessages, AnEmptyPageAddsNothing) {
  ListIncidentsResponse answer;
  ASSERT_TRUE(AppendStoredMessages(ListIncidentsResponse::kIncidentsFieldNumber, {}, answer).ok());
  EXPECT_EQ(answer.ByteSizeLong(), 0u);
}

TEST(AppendStoredMessages, RefusesAFieldThatIsNotARepeatedMessage) {
  ListIncidentsResponse answer;
  std::vector<std::string> stored = {Sample(1).SerializeAsString()};
  // next_page_token is a string; 99 does not exist.
  for (int number : {static_cast<int>(ListIncidentsResponse::kNextPageTokenFieldNumber), 99}) {
    const absl::Status status = AppendStoredMessages(number, stored, answer);
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << number;
    EXPECT_NE(status.message().find("ListIncidentsResponse"), std::string::npos) << status;
  }
  EXPECT_EQ(answer.ByteSizeLong(), 0u);
}

// A damaged record refuses the whole page, names its place, and appends nothing.
TEST(AppendStoredMessages, ADamagedRecordIsDataLossAndAddsNothing) {
  const std::string whole = Sample(2).SerializeAsString();
  for (const std::string& damaged :
       {whole.substr(0, whole.size() - 3),     // cut off inside a field
        std::string("\x0a\x7f", 2) + "short",  // a length past the record's end
        std::string("\xff\xff\xff", 3),        // not a tag
        std::string("\x0b\x0c", 2)}) {         // a group: no proto3 message has one
    ListIncidentsResponse answer;
    const absl::Status status =
        AppendStoredMessages(ListIncidentsResponse::kIncidentsFieldNumber,
                             {Sample(1).SerializeAsString(), damaged}, answer);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_NE(status.message().find("stored record 2 of 2"), std::string::npos) << status;
    EXPECT_EQ(answer.ByteSizeLong(), 0u);
  }
}

TEST(SetStoredMessage, TheRecordArrivesAsTheAnswersField) {
  Incident newer = Sample(5);
  newer.GetReflection()->MutableUnknownFields(&newer)->AddVarint(999, 7);
  incident::v1::GetIncidentResponse answer;
  ASSERT_TRUE(SetStoredMessage(incident::v1::GetIncidentResponse::kIncidentFieldNumber,
                               newer.SerializeAsString(), answer)
                  .ok());
  EXPECT_FALSE(answer.has_incident());  // in the process, the record is not parsed
  incident::v1::GetIncidentResponse received;
  ASSERT_TRUE(received.ParseFromString(answer.SerializeAsString()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(received.incident(), newer))
      << received.DebugString();
}

TEST(SetStoredMessage, RefusesAFieldThatIsNotASingleMessageOrIsSet) {
  const std::string stored = Sample(1).SerializeAsString();
  ListIncidentsResponse list;  // incidents is repeated, next_page_token a string
  for (int number : {static_cast<int>(ListIncidentsResponse::kIncidentsFieldNumber),
                     static_cast<int>(ListIncidentsResponse::kNextPageTokenFieldNumber), 99}) {
    EXPECT_EQ(SetStoredMessage(number, stored, list).code(), absl::StatusCode::kInternal) << number;
  }
  EXPECT_EQ(list.ByteSizeLong(), 0u);
  incident::v1::GetIncidentResponse answer;
  *answer.mutable_incident() = Sample(2);
  EXPECT_EQ(
      SetStoredMessage(incident::v1::GetIncidentResponse::kIncidentFieldNumber, stored, answer)
          .code(),
      absl::StatusCode::kInternal);
  EXPECT_EQ(answer.incident().id(), "id-2");
}

TEST(SetStoredMessage, ADamagedRecordIsDataLossAndSetsNothing) {
  const std::string whole = Sample(2).SerializeAsString();
  incident::v1::GetIncidentResponse answer;
  const absl::Status status =
      SetStoredMessage(incident::v1::GetIncidentResponse::kIncidentFieldNumber,
                       whole.substr(0, whole.size() - 3), answer);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_EQ(answer.ByteSizeLong(), 0u);
}

}  // namespace
}  // namespace itsm::records
