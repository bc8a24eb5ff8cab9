#include "services/gateway/src/field_path.h"

#include <cmath>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/logging.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The value a client sent, for an error message: escaped, cut when long, quoted when text.
std::string Shown(absl::string_view text, bool quoted) {
  constexpr size_t kShown = 64;
  const char* quote = quoted ? "\"" : "";
  return absl::StrCat(quote, absl::CHexEscape(text.substr(0, kShown)), quote,
                      text.size() > kShown ? "..." : "");
}

std::string Quoted(absl::string_view text) { return Shown(text, /*quoted=*/true); }

template <typename T>
absl::StatusOr<T> ParseNumber(absl::string_view text, const std::string& path,
                              absl::string_view type_name) {
  T value{};
  bool ok = false;
  // absl's parsers skip surrounding blanks; a query's " 5" is as wrong as the body's " 5".
  if (text != absl::StripAsciiWhitespace(text)) {
    return base::FieldError(path, absl::StrCat(Quoted(text), " is not ", type_name));
  }
  if constexpr (std::is_same_v<T, double>) {
    ok = absl::SimpleAtod(text, &value) && std::isfinite(value);
  } else if constexpr (std::is_same_v<T, float>) {
    ok = absl::SimpleAtof(text, &value) && std::isfinite(value);
  } else {
    ok = absl::SimpleAtoi(text, &value);
  }
  if (!ok) {
    return base::FieldError(path, absl::StrCat(Quoted(text), " is not ", type_name));
  }
  return value;
}

// Parses `text` as a T and sets (or, for a repeated field, appends) it with `set` or `add`.
template <typename T>
absl::Status SetNumber(Message& target, const FieldDescriptor& field, absl::string_view text,
                       const std::string& path, absl::string_view type_name,
                       void (Reflection::*set)(Message*, const FieldDescriptor*, T) const,
                       void (Reflection::*add)(Message*, const FieldDescriptor*, T) const) {
  absl::StatusOr<T> value = ParseNumber<T>(text, path, type_name);
  if (!value.ok()) return value.status();
  (target.GetReflection()->*(field.is_repeated() ? add : set))(&target, &field, *value);
  return absl::OkStatus();
}

// The field's value as the JSON of one message: a string literal, whatever the type (the
// proto3 JSON parser takes numbers and bools quoted too).
std::string AsJsonString(absl::string_view text) {
  std::string json;
  runtime::log::AppendJsonString(&json, text);
  return json;
}

// A field mask's names as lowerCamelCase or snake_case only. Protobuf's JSON reading turns any
// capital into "_" and a lower-case letter and folds a run of capitals ("attributes.OS" becomes
// "attributes.os", "NAME" becomes "name"), so a map key spelt in capitals named another key
// than the body's, and a CI update removed the attribute it meant to set (found from outside).
absl::Status CheckMaskSpelling(const std::string& field, absl::string_view text) {
  for (absl::string_view path : absl::StrSplit(text, ',')) {
    for (absl::string_view name : absl::StrSplit(path, '.')) {
      const bool lower_start = !name.empty() && absl::ascii_islower(name[0]);
      const bool snake = absl::c_all_of(name, [](char c) {
        return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
      });
      const bool camel = absl::c_all_of(name, [](char c) { return absl::ascii_isalnum(c); });
      if (!lower_start || !(snake || camel)) {
        return base::FieldError(
            field, absl::StrCat("\"", path,
                                "\": write each name in lowerCamelCase or snake_case, as the API "
                                "reference spells it"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ResolvedField> ResolveFieldPath(const Descriptor& type, absl::string_view path) {
  ResolvedField resolved;
  const Descriptor* current = &type;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        current == nullptr ? nullptr : FindFieldByEitherName(*current, parts[i]);
    if (field == nullptr) {
      return base::FieldError(
          absl::StrCat(resolved.proto_path, resolved.proto_path.empty() ? "" : ".", parts[i]),
          absl::StrCat("no such field in ", current->full_name()));
    }
    if (!resolved.proto_path.empty()) resolved.proto_path += ".";
    resolved.proto_path += field->name();
    if (i + 1 == parts.size()) {
      resolved.leaf = field;
      break;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated() ||
        IsTextMessage(*field)) {
      return base::FieldError(resolved.proto_path, "has no fields to name");
    }
    resolved.parents.push_back(field);
    current = field->message_type();
  }
  return resolved;
}

const FieldDescriptor* FindFieldByEitherName(const Descriptor& type, absl::string_view name) {
  if (const FieldDescriptor* f = type.FindFieldByName(std::string(name))) return f;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) return type.field(i);
  }
  return nullptr;
}

bool IsTextMessage(const FieldDescriptor& field) {
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field.is_map()) return false;
  const std::string& name = field.message_type()->full_name();
  return name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" ||
         (absl::StartsWith(name, "google.protobuf.") && absl::EndsWith(name, "Value") &&
          name != "google.protobuf.Value" && name != "google.protobuf.ListValue");
}

absl::Status SetFieldFromText(Message& message, absl::string_view path, absl::string_view text) {
  absl::StatusOr<ResolvedField> resolved = ResolveFieldPath(*message.GetDescriptor(), path);
  if (!resolved.ok()) return resolved.status();
  const std::string& name = resolved->proto_path;
  Message* target = &message;
  for (const FieldDescriptor* parent : resolved->parents) {
    target = target->GetReflection()->MutableMessage(target, parent);
  }
  const FieldDescriptor* field = resolved->leaf;
  const Reflection* r = target->GetReflection();
  const bool repeated = field->is_repeated();
  if (field->is_map()) return base::FieldError(name, "a map cannot be set from the query string");
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        if (!absl::WebSafeBase64Unescape(text, &value) && !absl::Base64Unescape(text, &value)) {
          return base::FieldError(name, "is not base64");
        }
      } else {
        if (!google::protobuf::internal::IsStructurallyValidUTF8(text.data(),
                                                                 static_cast<int>(text.size()))) {
          return base::FieldError(name, "is not valid UTF-8");
        }
        value = std::string(text);
      }
      repeated ? r->AddString(target, field, std::move(value))
               : r->SetString(target, field, std::move(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return SetNumber<int32_t>(*target, *field, text, name, ScalarKind(field->type()),
                                &Reflection::SetInt32, &Reflection::AddInt32);
    case FieldDescriptor::CPPTYPE_INT64:
      return SetNumber<int64_t>(*target, *field, text, name, ScalarKind(field->type()),
                                &Reflection::SetInt64, &Reflection::AddInt64);
    case FieldDescriptor::CPPTYPE_UINT32:
      return SetNumber<uint32_t>(*target, *field, text, name, ScalarKind(field->type()),
                                 &Reflection::SetUInt32, &Reflection::AddUInt32);
    case FieldDescriptor::CPPTYPE_UINT64:
      return SetNumber<uint64_t>(*target, *field, text, name, ScalarKind(field->type()),
                                 &Reflection::SetUInt64, &Reflection::AddUInt64);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return SetNumber<double>(*target, *field, text, name, ScalarKind(field->type()),
                               &Reflection::SetDouble, &Reflection::AddDouble);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return SetNumber<float>(*target, *field, text, name, ScalarKind(field->type()),
                              &Reflection::SetFloat, &Reflection::AddFloat);
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (text == "true" || text == "1") {
        v = true;
      } else if (text != "false" && text != "0") {
        return base::FieldError(name,
                                absl::StrCat(Quoted(text), " is not ", ScalarKind(field->type())));
      }
      repeated ? r->AddBool(target, field, v) : r->SetBool(target, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = field->enum_type()->FindValueByName(std::string(text));
      int number = 0;
      if (value == nullptr && text == absl::StripAsciiWhitespace(text) &&
          absl::SimpleAtoi(text, &number)) {
        value = field->enum_type()->FindValueByNumber(number);
      }
      if (value == nullptr) return base::FieldError(name, NotOneOf(*field->enum_type(), text));
      repeated ? r->AddEnum(target, field, value) : r->SetEnum(target, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!IsTextMessage(*field)) {
        return base::FieldError(name,
                                "is a message: name one of its fields (e.g. " + name + ".<field>)");
      }
      if (!google::protobuf::internal::IsStructurallyValidUTF8(text.data(),
                                                               static_cast<int>(text.size()))) {
        return base::FieldError(name, "is not valid UTF-8");
      }
      if (field->message_type()->full_name() == "google.protobuf.FieldMask") {
        ITSM_RETURN_IF_ERROR(CheckMaskSpelling(name, text));
      }
      Message* value = repeated ? r->AddMessage(target, field) : r->MutableMessage(target, field);
      const auto parsed = google::protobuf::util::JsonStringToMessage(AsJsonString(text), value);
      if (!parsed.ok()) {
        return base::FieldError(name, NotA(*field->message_type(), text));
      }
      return absl::OkStatus();
    }
  }
  return base::FieldError(name, "cannot be set from text");
}

const char* ScalarKind(FieldDescriptor::Type type) {
  switch (type) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT:
      return "a number";
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      return "a 64-bit integer";
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return "an unsigned 64-bit integer";
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return "a 32-bit integer";
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return "an unsigned 32-bit integer";
    case FieldDescriptor::TYPE_BOOL:
      return "true or false";
    case FieldDescriptor::TYPE_STRING:
      return "a string";
    case FieldDescriptor::TYPE_BYTES:
      return "bytes in base64";
    case FieldDescriptor::TYPE_ENUM:
      return "one of the enum's names";
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return "an object";
  }
  return "a value of another type";
}

std::string ShownJsonValue(absl::string_view json_literal) {
  const bool quoted =
      json_literal.size() >= 2 && json_literal.front() == '"' && json_literal.back() == '"';
  return quoted ? Quoted(json_literal.substr(1, json_literal.size() - 2))
                : Shown(json_literal, /*quoted=*/false);
}

std::string NotOneOf(const google::protobuf::EnumDescriptor& type, absl::string_view given) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) names.push_back(type.value(i)->name());
  return absl::StrCat(given.empty() ? "" : Quoted(given) + " ", "is not one of ",
                      absl::StrJoin(names, ", "));
}

std::string NotA(const Descriptor& text_message, absl::string_view given) {
  const std::string& type = text_message.full_name();
  const char* form = "";
  if (type == "google.protobuf.Timestamp") {
    form = " (RFC 3339, such as \"2024-05-01T09:30:00Z\")";
  } else if (type == "google.protobuf.Duration") {
    form = " (seconds ending in s, such as \"14400s\" or \"1.5s\")";
  } else if (type == "google.protobuf.FieldMask") {
    form = " (field names separated by commas, such as \"title,priority\")";
  }
  return absl::StrCat(given.empty() ? "must be a " : Quoted(given) + " is not a ",
                      text_message.name(), form);
}

std::string ScalarFieldText(const Message& message, const ResolvedField& field) {
  const Message* current = &message;
  for (const FieldDescriptor* parent : field.parents) {
    if (!current->GetReflection()->HasField(*current, parent)) return "";
    current = &current->GetReflection()->GetMessage(*current, parent);
  }
  const FieldDescriptor* leaf = field.leaf;
  const Reflection* r = current->GetReflection();
  if (leaf->is_repeated()) return "";
  switch (leaf->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return r->GetString(*current, leaf);
    case FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(*current, leaf) == 0 ? "" : absl::StrCat(r->GetInt32(*current, leaf));
    case FieldDescriptor::CPPTYPE_INT64:
      return r->GetInt64(*current, leaf) == 0 ? "" : absl::StrCat(r->GetInt64(*current, leaf));
    case FieldDescriptor::CPPTYPE_UINT32:
      return r->GetUInt32(*current, leaf) == 0 ? "" : absl::StrCat(r->GetUInt32(*current, leaf));
    case FieldDescriptor::CPPTYPE_UINT64:
      return r->GetUInt64(*current, leaf) == 0 ? "" : absl::StrCat(r->GetUInt64(*current, leaf));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(*current, leaf) ? "true" : "";
    case FieldDescriptor::CPPTYPE_ENUM:
      return r->GetEnumValue(*current, leaf) == 0 ? "" : r->GetEnum(*current, leaf)->name();
    default:
      return "";
  }
}

}  // namespace itsm::gateway
