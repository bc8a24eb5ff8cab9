// The CloudEvents 1.0 envelope in Kafka binary mode: attributes travel as ce_* headers, the
// value is the event message itself (protobuf by default, proto3 JSON where configured).
//
//   CloudEvent e = MakeCloudEvent(created, "itsm/incident", incident.id());
//   // e.type == "itsm.incident.v1.IncidentCreated", e.subject == the incident id
#ifndef ITSM_EVENTS_CLOUD_EVENT_H_
#define ITSM_EVENTS_CLOUD_EVENT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

struct rd_kafka_message_s;  // librdkafka's rd_kafka_message_t

namespace itsm::events {

inline constexpr char kProtobufContentType[] = "application/protobuf";
inline constexpr char kJsonContentType[] = "application/json";

struct CloudEvent {
  std::string id;       // ce_id: unique per event; consumers de-duplicate by it
  std::string source;   // ce_source: e.g. "itsm/incident"
  std::string type;     // ce_type: the protobuf full name, e.g. "itsm.incident.v1.IncidentCreated"
  absl::Time time;      // ce_time: when the change happened
  std::string subject;  // ce_subject: the aggregate id (also the Kafka key)
  std::string content_type = kProtobufContentType;
  std::string data;  // the serialised event message
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// A new event (fresh UUID id) carrying `message`, serialised as protobuf or, with json = true,
// in the proto3 JSON mapping.
CloudEvent MakeCloudEvent(const google::protobuf::Message& message, std::string source,
                          std::string subject, absl::Time time, bool json = false);

// `event` with its protobuf data re-encoded in the proto3 JSON mapping (content-type
// application/json), the message type found by ce_type among the binary's compiled types.
// An event already in JSON is returned as it is. NOT_FOUND for a type this binary does not know,
// INVALID_ARGUMENT for data that does not parse.
absl::StatusOr<CloudEvent> AsJsonEvent(const CloudEvent& event);

// The Kafka headers of binary mode: ce_specversion, ce_id, ce_source, ce_type, ce_time,
// ce_subject, content-type.
Headers ToKafkaHeaders(const CloudEvent& event);

// Reads the envelope back. INVALID_ARGUMENT names the missing or malformed header; a message
// that is not a CloudEvent 1.0 cannot be processed and is rejected, not guessed at.
absl::StatusOr<CloudEvent> FromKafkaMessage(const Headers& headers, std::string value);

// The same, from a message librdkafka fetched (its headers and value).
absl::StatusOr<CloudEvent> FromKafkaMessage(const rd_kafka_message_s& message);

// Parses event.data into `message` by content type. INVALID_ARGUMENT when the type differs from
// the message's full name or the bytes do not parse.
absl::Status UnpackCloudEvent(const CloudEvent& event, google::protobuf::Message* message);

// What a consumer's handler answers for an event whose write its database refused on its own
// (storage::IsRefusal): INVALID_ARGUMENT, so that the consumer skips and logs it rather than
// retry it for ever, naming the event and the database's words (private, as every storage
// error's: logged, never sent to a caller).
absl::Status RefusedEvent(const CloudEvent& event, const absl::Status& cause);

}  // namespace itsm::events

#endif  // ITSM_EVENTS_CLOUD_EVENT_H_
