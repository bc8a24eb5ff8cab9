#include "services/webhooks/src/webhook_payload.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::webhooks {

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through as it is
        }
    }
  }
  out += '"';
  return out;
}

absl::Status CheckEventTypesLinked(const std::vector<std::string>& topics) {
  for (const std::string& topic : topics) {
    const std::string file =
        absl::StrCat(absl::StrReplaceAll(topic, {{".", "/"}}), "/events.proto");
    if (google::protobuf::DescriptorPool::generated_pool()->FindFileByName(file) == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("topic ", topic, ": ", file, " is not compiled into this binary"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Payload> PayloadOf(const events::CloudEvent& event) {
  if (event.id.empty()) return absl::InvalidArgumentError("ce_id: required");
  const google::protobuf::Descriptor* type =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(event.type);
  if (type == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("ce_type ", event.type, ": not an event type this service knows"));
  }
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, message.get()));
  std::string data;
  if (auto s = google::protobuf::util::MessageToJsonString(*message, &data); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("data: ", s.message().as_string()));
  }
  Payload p;
  p.event.id = event.id;
  p.event.type = event.type;
  p.event.source = event.source;
  p.event.subject = event.subject;
  p.event.time = event.time;
  p.event.body = absl::StrCat(R"({"specversion":"1.0","id":)", JsonQuote(event.id), R"(,"source":)",
                              JsonQuote(event.source), R"(,"type":)", JsonQuote(event.type),
                              R"(,"subject":)", JsonQuote(event.subject), R"(,"time":)",
                              JsonQuote(base::FormatRfc3339(event.time)),
                              R"(,"datacontenttype":"application/json","data":)", data, "}");
  p.facts = {event.type, event.subject, RecordKeysOf(*message)};
  return p;
}

}  // namespace itsm::webhooks
