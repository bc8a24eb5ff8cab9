#include "services/webhooks/src/event_filter.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "itsm/base/error_detail.h"

namespace itsm::webhooks {
namespace {

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
    AddString(record, "record_number", keys);  // an SLA clock's record
    AddString(record, "service", keys);
    AddString(record, "services", keys);
  }
  return keys;
}

}  // namespace itsm::webhooks
