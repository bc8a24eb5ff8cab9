#include "services/gateway/src/body_shape.h"

#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/src/field_path.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Struct;
using google::protobuf::Value;

// Deeper than the gateway's own reader goes; past it, nothing more is looked at.
constexpr int kMaxDepth = 64;

enum class Shape { kObject, kList, kSingle, kNull, kAny };

Shape ShapeOfJson(const Value& v) {
  switch (v.kind_case()) {
    case Value::kStructValue:
      return Shape::kObject;
    case Value::kListValue:
      return Shape::kList;
    case Value::kNullValue:
    case Value::KIND_NOT_SET:
      return Shape::kNull;
    default:
      return Shape::kSingle;
  }
}

// How one value of `field` is written: the whole field, or one element of a list.
Shape ShapeOfField(const FieldDescriptor& field, bool element) {
  if (!element && field.is_map()) return Shape::kObject;
  if (!element && field.is_repeated()) return Shape::kList;
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || IsTextMessage(field)) {
    return Shape::kSingle;
  }
  // Struct, Value, ListValue, Any: JSON of any shape.
  if (absl::StartsWith(field.message_type()->full_name(), "google.protobuf.")) return Shape::kAny;
  return Shape::kObject;
}

const char* Named(Shape shape) {
  switch (shape) {
    case Shape::kObject:
      return "an object";
    case Shape::kList:
      return "a list";
    default:
      return "a single value";
  }
}

std::string Expected(const FieldDescriptor& field, Shape shape) {
  if (shape != Shape::kSingle) return Named(shape);
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return absl::StrCat("a ", field.message_type()->name());
  }
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    return absl::StrCat("a value of ", field.enum_type()->name());
  }
  return ScalarKind(field.type());
}

std::vector<std::string> SortedKeys(const Struct& object) {
  std::vector<std::string> keys;
  keys.reserve(object.fields().size());
  for (const auto& [key, value] : object.fields()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::optional<ShapeMismatch> CheckObject(const Struct& object, const Descriptor& type,
                                         const std::string& path, int depth);

std::optional<ShapeMismatch> CheckValue(const Value& value, const FieldDescriptor& field,
                                        bool element, const std::string& path, int depth) {
  if (depth > kMaxDepth) return std::nullopt;
  const Shape want = ShapeOfField(field, element);
  const Shape got = ShapeOfJson(value);
  if (want == Shape::kAny) return std::nullopt;
  // null stands for a field's default; protobuf's parser also drops it from lists, where it
  // stands for nothing a client could mean.
  if (got == Shape::kNull) {
    if (!element || !field.is_repeated() || field.is_map()) return std::nullopt;
    return ShapeMismatch{path, "null in a list (leave the element out)"};
  }
  if (got != want) {
    return ShapeMismatch{
        path, absl::StrCat(Named(got), " where ", Expected(field, want), " is expected")};
  }
  switch (want) {
    case Shape::kList: {
      const auto& items = value.list_value().values();
      for (int i = 0; i < items.size(); ++i) {
        if (auto m = CheckValue(items[i], field, /*element=*/true, absl::StrCat(path, "[", i, "]"),
                                depth + 1)) {
          return m;
        }
      }
      return std::nullopt;
    }
    case Shape::kObject: {
      if (!field.is_map() || element) {
        return CheckObject(value.struct_value(), *field.message_type(), path, depth + 1);
      }
      const FieldDescriptor& map_value = *field.message_type()->map_value();
      const Struct& entries = value.struct_value();
      for (const std::string& key : SortedKeys(entries)) {
        if (auto m =
                CheckValue(entries.fields().at(key), map_value, /*element=*/false,
                           absl::StrCat(path, "[\"", absl::CHexEscape(key), "\"]"), depth + 1)) {
          return m;
        }
      }
      return std::nullopt;
    }
    default:
      // A number or true/false where text belongs; other wrong values protobuf's parser names.
      if (field.type() == FieldDescriptor::TYPE_STRING &&
          value.kind_case() != Value::kStringValue) {
        const std::string given = value.kind_case() == Value::kBoolValue
                                      ? (value.bool_value() ? "true" : "false")
                                      : absl::StrCat(value.number_value());
        return ShapeMismatch{path, absl::StrCat(given, " is not a string")};
      }
      // Protobuf's parser reads "yes", "1" or "TRUE" as true; a proxy or a log reading the body
      // sees a string. Only the JSON literals are true or false.
      if (field.type() == FieldDescriptor::TYPE_BOOL && value.kind_case() != Value::kBoolValue &&
          value.kind_case() != Value::kNullValue) {
        const std::string given =
            value.kind_case() == Value::kStringValue
                ? absl::StrCat("\"", absl::CHexEscape(value.string_value()), "\"")
                : absl::StrCat(value.number_value());
        return ShapeMismatch{path, absl::StrCat(given, " is not true or false")};
      }
      return std::nullopt;
  }
}

std::optional<ShapeMismatch> CheckObject(const Struct& object, const Descriptor& type,
                                         const std::string& path, int depth) {
  // The key that gave each field: protobuf's parser would keep the last of a field given by both
  // its names ("major_incident" and "majorIncident"), where another reader keeps the first.
  absl::flat_hash_map<const FieldDescriptor*, std::string> given_as;
  for (const std::string& key : SortedKeys(object)) {
    const FieldDescriptor* field = FindFieldByEitherName(type, key);
    const std::string field_path = path.empty()
                                       ? (field ? field->name() : key)
                                       : absl::StrCat(path, ".", field ? field->name() : key);
    if (field == nullptr) return ShapeMismatch{field_path, "no such field"};
    if (auto [it, first] = given_as.try_emplace(field, key); !first) {
      return ShapeMismatch{
          field_path, absl::StrCat("given twice, as \"", it->second, "\" and as \"", key, "\"")};
    }
    if (auto m =
            CheckValue(object.fields().at(key), *field, /*element=*/false, field_path, depth)) {
      return m;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ShapeMismatch> FindShapeMismatch(absl::string_view json, const Descriptor& type) {
  Value root;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(json.data(), json.size()), &root)
           .ok() ||
      root.kind_case() != Value::kStructValue) {
    return std::nullopt;
  }
  return CheckObject(root.struct_value(), type, "", 0);
}

}  // namespace itsm::gateway
