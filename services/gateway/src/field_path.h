// Request fields named by dotted paths, as path variables and query parameters name them
// ("page.page_size", or with JSON names "page.pageSize"), and set from text per the field's type.
//
//   ITSM_RETURN_IF_ERROR(SetFieldFromText(request, "states", "INCIDENT_STATE_NEW"));  // appends
//   ITSM_RETURN_IF_ERROR(SetFieldFromText(request, "created_after", "2024-05-01T00:00:00Z"));
#ifndef ITSM_SERVICES_GATEWAY_SRC_FIELD_PATH_H_
#define ITSM_SERVICES_GATEWAY_SRC_FIELD_PATH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace itsm::gateway {

struct ResolvedField {
  // The singular message fields leading to the leaf, then the leaf.
  std::vector<const google::protobuf::FieldDescriptor*> parents;
  const google::protobuf::FieldDescriptor* leaf = nullptr;
  // The path in proto names ("page.page_size"): how errors name the field.
  std::string proto_path;
};

// INVALID_ARGUMENT (a field error naming `path`) when a component names no field, or a
// component before the last is not a singular message.
absl::StatusOr<ResolvedField> ResolveFieldPath(const google::protobuf::Descriptor& type,
                                               absl::string_view path);

// The field of `type` named `name` by its proto name ("page_size") or its JSON name
// ("pageSize"); null when none is.
const google::protobuf::FieldDescriptor* FindFieldByEitherName(
    const google::protobuf::Descriptor& type, absl::string_view name);

// Whether `field` holds a value given as one JSON string (google.protobuf.Timestamp, Duration,
// FieldMask and the wrappers): such a message is a leaf, set from text like a scalar.
bool IsTextMessage(const google::protobuf::FieldDescriptor& field);

// Sets (appends, for a repeated field) the field at `path` from `text`: numbers in decimal,
// bools as true/false, enums by name or number, bytes in base64, strings as valid UTF-8,
// Timestamp/Duration/FieldMask/wrappers in their JSON form. A field error naming the field when
// the text does not fit its type, or when the field cannot be set from text (a map or a message).
absl::Status SetFieldFromText(google::protobuf::Message& message, absl::string_view path,
                              absl::string_view text);

// How errors name what a field of `type` holds: "a 32-bit integer", "a number", "true or false",
// "a string"...
const char* ScalarKind(google::protobuf::FieldDescriptor::Type type);

// A value as the client wrote it in JSON (`"high"`, `5`, `true`), for an error message as the
// query's values are shown: escaped, cut after 64 characters, text in quotes.
std::string ShownJsonValue(absl::string_view json_literal);

// What a field error says of a value its field's type cannot hold, in the same words whether
// the value came in the query or in the body: `"P9" is not one of PRIORITY_P1, ...` for an
// enum; `"yesterday" is not a Timestamp (RFC 3339, such as ...)` for a message written as one
// JSON string (IsTextMessage). An empty `given` (the parser did not say what it read) makes the
// second `must be a Duration (...)`.
std::string NotOneOf(const google::protobuf::EnumDescriptor& type, absl::string_view given);
std::string NotA(const google::protobuf::Descriptor& text_message, absl::string_view given);

// The scalar value at `path` rendered as text ("" when unset or not a scalar), to compare a
// path variable with the same field given in the body.
std::string ScalarFieldText(const google::protobuf::Message& message, const ResolvedField& field);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_FIELD_PATH_H_
