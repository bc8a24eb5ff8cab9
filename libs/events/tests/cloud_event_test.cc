#include "itsm/events/cloud_event.h"

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "itsm/base/ids.h"

namespace itsm::events {
namespace {

google::protobuf::Timestamp Sample() {
  google::protobuf::Timestamp ts;
  ts.set_seconds(1700000000);
  ts.set_nanos(5000);
  return ts;
}

TEST(CloudEvent, BinaryModeHeadersRoundTrip) {
  const absl::Time when = absl::FromUnixMicros(1'700'000'000'123'456);
  CloudEvent e = MakeCloudEvent(Sample(), "itsm/test", "subject-1", when);
  EXPECT_TRUE(base::IsUuid(e.id));
  EXPECT_EQ(e.type, "google.protobuf.Timestamp");
  const Headers headers = ToKafkaHeaders(e);
  ASSERT_EQ(headers.size(), 7u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"ce_specversion", "1.0"}));
  EXPECT_EQ(headers[4].second, "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(headers[6],
            (std::pair<std::string, std::string>{"content-type", "application/protobuf"}));

  auto back = FromKafkaMessage(headers, e.data);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->source, "itsm/test");
  EXPECT_EQ(back->subject, "subject-1");
  EXPECT_EQ(back->time, when);
  google::protobuf::Timestamp decoded;
  ASSERT_TRUE(UnpackCloudEvent(*back, &decoded).ok());
  EXPECT_EQ(decoded.seconds(), 1700000000);
  EXPECT_EQ(decoded.nanos(), 5000);
}

TEST(CloudEvent, JsonContentRoundTrips) {
  CloudEvent e = MakeCloudEvent(Sample(), "itsm/test", "s", absl::Now(), /*json=*/true);
  EXPECT_EQ(e.content_type, "application/json");
  EXPECT_EQ(e.data, "\"2023-11-14T22:13:20.000005Z\"");
  google::protobuf::Timestamp decoded;
  ASSERT_TRUE(UnpackCloudEvent(e, &decoded).ok());
  EXPECT_EQ(decoded.nanos(), 5000);
}

TEST(CloudEvent, MissingOrWrongHeadersAreNamed) {
  CloudEvent e = MakeCloudEvent(Sample(), "itsm/test", "s", absl::Now());
  Headers headers = ToKafkaHeaders(e);
  Headers no_id;
  for (const auto& h : headers) {
    if (h.first != "ce_id") no_id.push_back(h);
  }
  auto missing = FromKafkaMessage(no_id, "");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("ce_id"), std::string::npos);

  Headers old_spec = headers;
  old_spec[0].second = "0.3";
  EXPECT_NE(FromKafkaMessage(old_spec, "").status().message().find("ce_specversion"),
            std::string::npos);

  Headers bad_time = headers;
  bad_time[4].second = "yesterday";
  EXPECT_NE(FromKafkaMessage(bad_time, "").status().message().find("ce_time"), std::string::npos);

  // Attributes a consumer could not store (not UTF-8, control characters, kilobytes long) are
  // refused, naming the attribute.
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"ce_id", "\xC3\x28"}, {"ce_subject", "a\nb"}, {"ce_source", std::string(3000, 's')}}) {
    Headers spoilt = headers;
    for (auto& h : spoilt) {
      if (h.first == name) h.second = value;
    }
    auto refused = FromKafkaMessage(spoilt, "");
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(refused.status().message().rfind(name + ":", 0), 0u) << refused.status();
  }
}

TEST(CloudEvent, UnpackRefusesAnotherType) {
  CloudEvent e = MakeCloudEvent(Sample(), "itsm/test", "s", absl::Now());
  google::protobuf::Duration other;
  EXPECT_EQ(UnpackCloudEvent(e, &other).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::events
