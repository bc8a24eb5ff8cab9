#include "itsm/events/cloud_event.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/time_util.h"

namespace itsm::events {
namespace {

// Far above any attribute the suite writes (UUIDs, type names, record ids), far below what a
// database index entry holds.
constexpr size_t kMaxAttributeBytes = 512;

}  // namespace

CloudEvent MakeCloudEvent(const google::protobuf::Message& message, std::string source,
                          std::string subject, absl::Time time, bool json) {
  CloudEvent e;
  e.id = base::NewUuid();
  e.source = std::move(source);
  e.type = message.GetDescriptor()->full_name();
  e.time = time;
  e.subject = std::move(subject);
  if (json) {
    e.content_type = kJsonContentType;
    (void)google::protobuf::util::MessageToJsonString(message, &e.data);
  } else {
    e.content_type = kProtobufContentType;
    message.SerializeToString(&e.data);
  }
  return e;
}

Headers ToKafkaHeaders(const CloudEvent& event) {
  return {{"ce_specversion", "1.0"},
          {"ce_id", event.id},
          {"ce_source", event.source},
          {"ce_type", event.type},
          {"ce_time", base::FormatRfc3339(event.time)},
          {"ce_subject", event.subject},
          {"content-type", event.content_type}};
}

absl::StatusOr<CloudEvent> FromKafkaMessage(const Headers& headers, std::string value) {
  auto find = [&](const char* name) -> const std::string* {
    for (const auto& [k, v] : headers) {
      if (k == name) return &v;
    }
    return nullptr;
  };
  const std::string* spec = find("ce_specversion");
  if (!spec || *spec != "1.0") {
    return absl::InvalidArgumentError("ce_specversion: expected \"1.0\"");
  }
  CloudEvent e;
  for (auto [name, field] : {std::pair{"ce_id", &e.id}, std::pair{"ce_source", &e.source},
                             std::pair{"ce_type", &e.type}}) {
    const std::string* v = find(name);
    if (!v || v->empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": missing"));
    *field = *v;
  }
  if (const std::string* subject = find("ce_subject")) e.subject = *subject;
  if (const std::string* ct = find("content-type")) e.content_type = *ct;
  // The attributes end up in consumers' tables and indexes (a PostgreSQL text column refuses
  // invalid UTF-8, an index entry over ~2.7 KB): a message whose attributes cannot be stored is
  // refused here, once, rather than failing its consumer's transaction for ever.
  for (auto [name, value] :
       {std::pair{"ce_id", &e.id}, std::pair{"ce_source", &e.source}, std::pair{"ce_type", &e.type},
        std::pair{"ce_subject", &e.subject}, std::pair{"content-type", &e.content_type}}) {
    if (value->size() > kMaxAttributeBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": longer than ", kMaxAttributeBytes, " bytes"));
    }
    if (!google::protobuf::internal::IsStructurallyValidUTF8(value->data(),
                                                             static_cast<int>(value->size())) ||
        std::any_of(value->begin(), value->end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": not UTF-8 text without control characters"));
    }
  }
  e.time = absl::InfinitePast();
  if (const std::string* t = find("ce_time")) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, *t, &e.time, &err)) {
      return absl::InvalidArgumentError(absl::StrCat("ce_time: ", err));
    }
  }
  e.data = std::move(value);
  return e;
}

absl::StatusOr<CloudEvent> AsJsonEvent(const CloudEvent& event) {
  if (event.content_type == kJsonContentType) return event;
  const google::protobuf::Descriptor* type =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(event.type);
  if (type == nullptr) {
    return absl::NotFoundError(absl::StrCat("ce_type ", event.type, ": not a type of this binary"));
  }
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  if (!message->ParseFromString(event.data)) {
    return absl::InvalidArgumentError(absl::StrCat("data: not a valid ", event.type));
  }
  CloudEvent json = event;
  json.data.clear();
  auto status = google::protobuf::util::MessageToJsonString(*message, &json.data);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("data: ", status.message().as_string()));
  }
  json.content_type = kJsonContentType;
  return json;
}

absl::Status UnpackCloudEvent(const CloudEvent& event, google::protobuf::Message* message) {
  if (event.type != message->GetDescriptor()->full_name()) {
    return absl::InvalidArgumentError(absl::StrCat("ce_type is ", event.type, ", expected ",
                                                   message->GetDescriptor()->full_name()));
  }
  if (event.content_type == kJsonContentType) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;  // newer producers may add fields
    auto status = google::protobuf::util::JsonStringToMessage(event.data, message, options);
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("data: ", status.message().as_string()));
    }
    return absl::OkStatus();
  }
  if (!message->ParseFromString(event.data)) {
    return absl::InvalidArgumentError(absl::StrCat("data: not a valid ", event.type));
  }
  return absl::OkStatus();
}

absl::StatusOr<CloudEvent> FromKafkaMessage(const rd_kafka_message_t& message) {
  Headers headers;
  rd_kafka_headers_t* hdrs = nullptr;
  // librdkafka's accessor takes a non-const message; it only reads (parses headers lazily).
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(&message), &hdrs) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0;
         rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : "");
    }
  }
  return FromKafkaMessage(
      headers,
      message.payload ? std::string(static_cast<const char*>(message.payload), message.len) : "");
}

absl::Status RefusedEvent(const CloudEvent& event, const absl::Status& cause) {
  return base::PrivateError(
      absl::StatusCode::kInvalidArgument,
      absl::StrCat(event.type, " ", event.id, ": the database refused it: ",
                   absl::StatusCodeToString(cause.code()), ": ", cause.message()));
}

}  // namespace itsm::events
