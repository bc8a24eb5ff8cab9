#include "services/webhooks/src/event_filter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "itsm/base/error_detail.h"

namespace itsm::webhooks {
namespace {

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

void AddString(const google::protobuf::Message& record, const char* name,
               std::vector<std::string>& out) {
  const auto* field = record.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) return;
  const auto* reflection = record.GetReflection();
  if (field->is_repeated()) {
    for (int i = 0; i < reflection->FieldSize(record, field); ++i) {
      out.push_back(reflection->GetRepeatedString(record, field, i));
    }
  } else if (std::string v = reflection->GetString(record, field); !v.empty()) {
    out.push_back(std::move(v));
  }
}

}  // namespace

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

bool TypeMatches(const std::string& pattern, const std::string& type) {
  if (pattern == "*") return true;
  if (absl::EndsWith(pattern, ".*")) {
    // The prefix keeps its dot: "itsm.incident.v1.*" does not match "itsm.incident.v10.X".
    return absl::StartsWith(type, absl::string_view(pattern).substr(0, pattern.size() - 1));
  }
  return pattern == type;
}

bool EventFilter::Matches(const EventFacts& event) const {
  const bool type_ok =
      std::any_of(type_patterns_.begin(), type_patterns_.end(),
                  [&](const std::string& p) { return TypeMatches(p, event.type); });
  if (!type_ok) return false;
  if (record_filter_.empty() || event.subject == record_filter_) return true;
  return std::find(event.record_keys.begin(), event.record_keys.end(), record_filter_) !=
         event.record_keys.end();
}

std::vector<std::string> RecordKeysOf(const google::protobuf::Message& event) {
  std::vector<std::string> keys;
  const auto* descriptor = event.GetDescriptor();
  const auto* reflection = event.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->is_repeated() ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        !reflection->HasField(event, field)) {
      continue;
    }
    const google::protobuf::Message& record = reflection->GetMessage(event, field);
    AddString(record, "id", keys);
    AddString(record, "number", keys);
    AddString(record, "service", keys);
    AddString(record, "services", keys);
  }
  return keys;
}

}  // namespace itsm::webhooks
