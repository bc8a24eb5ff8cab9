#include "services/gateway/src/rest_request.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "services/gateway/src/field_path.h"
#include "services/gateway/src/path_template.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Message;
using google::protobuf::Reflection;

void ClearField(Message& message, const ResolvedField& field) {
  Message* holder = &message;
  for (const auto* parent : field.parents) {
    const Reflection* reflection = holder->GetReflection();
    if (!reflection->HasField(*holder, parent)) return;
    holder = reflection->MutableMessage(holder, parent);
  }
  holder->GetReflection()->ClearField(holder, field.leaf);
}

absl::StatusOr<std::string> JsonOf(const Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;  // JSON names, defaults left out
  auto printed = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!printed.ok()) return absl::InvalidArgumentError(std::string(printed.message()));
  return json;
}

// JSON numbers are doubles here; 64-bit integers come as strings, so what is left is exact.
std::string NumberText(double number) {
  if (std::trunc(number) == number && std::fabs(number) < 9007199254740992.0) {
    return absl::StrCat(static_cast<int64_t>(number));
  }
  return absl::StrFormat("%.17g", number);
}

// The JSON of the message's remaining fields, flattened into name=value pairs: nested objects
// by dotted names, arrays as repeated pairs. Well-known types (timestamps, durations) are JSON
// strings already, as the query string wants them.
absl::Status Flatten(const google::protobuf::Value& value, const std::string& name,
                     std::vector<std::pair<std::string, std::string>>& out) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kStringValue:
      out.emplace_back(name, value.string_value());
      return absl::OkStatus();
    case google::protobuf::Value::kNumberValue:
      out.emplace_back(name, NumberText(value.number_value()));
      return absl::OkStatus();
    case google::protobuf::Value::kBoolValue:
      out.emplace_back(name, value.bool_value() ? "true" : "false");
      return absl::OkStatus();
    case google::protobuf::Value::kStructValue:
      for (const auto& [key, inner] : value.struct_value().fields()) {
        ITSM_RETURN_IF_ERROR(
            Flatten(inner, name.empty() ? key : absl::StrCat(name, ".", key), out));
      }
      return absl::OkStatus();
    case google::protobuf::Value::kListValue:
      for (const auto& element : value.list_value().values()) {
        if (element.has_struct_value() || element.has_list_value()) {
          return base::FieldError(name, "a list of objects cannot be sent in the query string");
        }
        ITSM_RETURN_IF_ERROR(Flatten(element, name, out));
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<RestRequest> RestRequestFor(const Route& route, const Message& request) {
  std::unique_ptr<Message> rest(request.New());
  rest->CopyFrom(request);
  std::map<std::string, std::string> variables;
  for (const std::string& path : route.path.VariableFieldPaths()) {
    ITSM_ASSIGN_OR_RETURN(ResolvedField field, ResolveFieldPath(*request.GetDescriptor(), path));
    variables[path] = ScalarFieldText(request, field);
    ClearField(*rest, field);
  }
  RestRequest out{.http_method = route.http_method, .target = "", .body = ""};
  ITSM_ASSIGN_OR_RETURN(out.target, route.path.Expand(variables));

  if (route.body == "*") {
    ITSM_ASSIGN_OR_RETURN(out.body, JsonOf(*rest));
    return out;
  }
  if (!route.body.empty()) {
    ITSM_ASSIGN_OR_RETURN(ResolvedField field,
                          ResolveFieldPath(*request.GetDescriptor(), route.body));
    const Reflection* reflection = rest->GetReflection();
    ITSM_ASSIGN_OR_RETURN(out.body, JsonOf(reflection->GetMessage(*rest, field.leaf)));
    ClearField(*rest, field);
  }
  ITSM_ASSIGN_OR_RETURN(std::string remaining, JsonOf(*rest));
  google::protobuf::Value fields;
  if (!google::protobuf::util::JsonStringToMessage(remaining, &fields).ok()) {
    return absl::InternalError("the request's JSON could not be read back");
  }
  std::vector<std::pair<std::string, std::string>> query;
  ITSM_RETURN_IF_ERROR(Flatten(fields, "", query));
  std::vector<std::string> pairs;
  for (const auto& [name, value] : query) {
    pairs.push_back(absl::StrCat(PercentEncode(name), "=", PercentEncode(value)));
  }
  if (!pairs.empty()) absl::StrAppend(&out.target, "?", absl::StrJoin(pairs, "&"));
  return out;
}

}  // namespace itsm::gateway
