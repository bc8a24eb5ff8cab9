#include "itsm/records/record_diff.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/time_util.h"

namespace itsm::records {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string SingularText(const Message& m, const FieldDescriptor* f) {
  const auto* r = m.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return r->GetString(m, f);
    case FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(m, f) == 0 ? "" : absl::StrCat(r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return r->GetInt64(m, f) == 0 ? "" : absl::StrCat(r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrCat(r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(m, f) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return r->GetEnumValue(m, f) == 0 ? "" : r->GetEnum(m, f)->name();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!r->HasField(m, f)) return "";
      const Message& sub = r->GetMessage(m, f);
      if (sub.GetDescriptor() == google::protobuf::Timestamp::descriptor()) {
        return base::FormatRfc3339(
            base::FromProtoTimestamp(static_cast<const google::protobuf::Timestamp&>(sub)));
      }
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(sub, &json);
      return json;
    }
  }
  return "";
}

std::string RepeatedText(const Message& m, const FieldDescriptor* f) {
  const auto* r = m.GetReflection();
  const int n = r->FieldSize(m, f);
  if (n == 0) return "";
  std::vector<std::string> items;
  for (int i = 0; i < n; ++i) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      items.push_back(JsonString(r->GetRepeatedString(m, f, i)));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      items.push_back(JsonString(r->GetRepeatedEnum(m, f, i)->name()));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
      items.push_back(absl::StrCat(r->GetRepeatedInt32(m, f, i)));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
      items.push_back(absl::StrCat(r->GetRepeatedInt64(m, f, i)));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      // Lists of records inside a record (a change's tasks, votes, conflicts): an edit inside
      // one element is a change of the list, so each element is rendered whole.
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(r->GetRepeatedMessage(m, f, i), &json);
      items.push_back(json);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
      items.push_back(absl::StrCat(r->GetRepeatedDouble(m, f, i)));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      items.push_back(r->GetRepeatedBool(m, f, i) ? "true" : "false");
    } else {
      items.push_back("?");
    }
  }
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

std::string FieldText(const Message& m, const FieldDescriptor* f) {
  return f->is_repeated() ? RepeatedText(m, f) : SingularText(m, f);
}

}  // namespace

std::vector<common::v1::FieldChange> DiffFields(const Message& before, const Message& after) {
  std::vector<common::v1::FieldChange> out;
  const auto* d = after.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->name() == "version" || f->name() == "update_time") continue;
    std::string old_value = FieldText(before, f);
    std::string new_value = FieldText(after, f);
    // A bool false and an unset bool both read "false"; only a difference counts.
    if (old_value == new_value) continue;
    common::v1::FieldChange change;
    change.set_field(f->name());
    change.set_old_value(std::move(old_value));
    change.set_new_value(std::move(new_value));
    out.push_back(std::move(change));
  }
  return out;
}

std::vector<std::string> FieldNames(const std::vector<common::v1::FieldChange>& changes) {
  std::vector<std::string> out;
  out.reserve(changes.size());
  for (const auto& c : changes) out.push_back(c.field());
  return out;
}

}  // namespace itsm::records
