#include "itsm/events/event_json.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::events {
namespace {

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

}  // namespace

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

namespace {

// itsm/<domain>/v1/events.proto for itsm.<domain>.v1, when compiled into this binary.
const google::protobuf::FileDescriptor* EventsFileOf(const std::string& topic) {
  return google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
      absl::StrCat(absl::StrReplaceAll(topic, {{".", "/"}}), "/events.proto"));
}

}  // namespace

absl::Status CheckEventTypesLinked(const std::vector<std::string>& topics) {
  for (const std::string& topic : topics) {
    if (EventsFileOf(topic) == nullptr) {
      const std::string file =
          absl::StrCat(absl::StrReplaceAll(topic, {{".", "/"}}), "/events.proto");
      return absl::FailedPreconditionError(
          absl::StrCat("topic ", topic, ": ", file, " is not compiled into this binary"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RenderedEvent> RenderCloudEventJson(const CloudEvent& event) {
  if (event.id.empty()) return absl::InvalidArgumentError("ce_id: required");
  const google::protobuf::Descriptor* type =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(event.type);
  if (type == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("ce_type ", event.type, ": not an event type this binary knows"));
  }
  RenderedEvent r;
  r.message.reset(google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  ITSM_RETURN_IF_ERROR(UnpackCloudEvent(event, r.message.get()));
  std::string data;
  if (auto s = google::protobuf::util::MessageToJsonString(*r.message, &data); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("data: ", s.message().as_string()));
  }
  r.json = absl::StrCat(R"({"specversion":"1.0","id":)", JsonQuote(event.id), R"(,"source":)",
                        JsonQuote(event.source), R"(,"type":)", JsonQuote(event.type),
                        R"(,"subject":)", JsonQuote(event.subject), R"(,"time":)",
                        JsonQuote(base::FormatRfc3339(event.time)),
                        R"(,"datacontenttype":"application/json","data":)", data, "}");
  return r;
}

absl::Status CheckEventTypePattern(const std::string& field, const std::string& pattern) {
  if (pattern == "*") return absl::OkStatus();
  absl::string_view name = pattern;
  absl::ConsumeSuffix(&name, ".*");
  if (name.empty() || name.front() == '.' || name.back() == '.' ||
      !std::all_of(name.begin(), name.end(), IsNameChar) || absl::StrContains(name, "..")) {
    return base::FieldError(field,
                            "not an event type (itsm.incident.v1.IncidentCreated), a prefix "
                            "(itsm.incident.v1.*) or *");
  }
  return absl::OkStatus();
}

absl::Status CheckEventTypePatternOf(const std::string& field, const std::string& pattern,
                                     const std::vector<std::string>& topics) {
  ITSM_RETURN_IF_ERROR(CheckEventTypePattern(field, pattern));
  for (const std::string& topic : topics) {
    const google::protobuf::FileDescriptor* file = EventsFileOf(topic);
    if (file == nullptr) continue;
    for (int i = 0; i < file->message_type_count(); ++i) {
      if (TypeMatches(pattern, file->message_type(i)->full_name())) return absl::OkStatus();
    }
  }
  return base::FieldError(
      field, absl::StrCat("\"", pattern,
                          "\" matches no event type of the topics delivered "
                          "here (",
                          absl::StrJoin(topics, ", "), "); docs/events.md lists them"));
}

bool TypeMatches(const std::string& pattern, const std::string& type) {
  if (pattern == "*") return true;
  if (absl::EndsWith(pattern, ".*")) {
    return absl::StartsWith(type, absl::string_view(pattern).substr(0, pattern.size() - 1));
  }
  return pattern == type;
}

}  // namespace itsm::events
