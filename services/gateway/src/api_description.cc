#include "services/gateway/src/api_description.h"

#include <deque>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/auth/identity.h"
#include "itsm/common/v1/access.pb.h"
#include "services/gateway/src/event_streams.h"
#include "services/gateway/src/field_path.h"
#include "services/gateway/src/session_answer.h"
#include "services/gateway/src/transcoder.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

Value Str(absl::string_view s) {
  Value v;
  v.set_string_value(std::string(s));
  return v;
}
Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value Obj(std::initializer_list<std::pair<const char*, Value>> fields) {
  Value v;
  auto* s = v.mutable_struct_value()->mutable_fields();
  for (const auto& [k, val] : fields) (*s)[k] = val;
  return v;
}
Value List(const std::vector<Value>& items) {
  Value v;
  v.mutable_list_value();  // an empty list is [], not null
  for (const Value& item : items) *v.mutable_list_value()->add_values() = item;
  return v;
}
void Set(Value& object, const std::string& key, Value value) {
  (*object.mutable_struct_value()->mutable_fields())[key] = std::move(value);
}
Value Ref(absl::string_view full_name) {
  return Obj({{"$ref", Str(absl::StrCat("#/components/schemas/", full_name))}});
}

// Schemas of the messages and enums the routes use, added as they are first referenced.
class SchemaSet {
 public:
  Value ForField(const FieldDescriptor& field) {
    if (field.is_map()) {
      return Obj(
          {{"type", Str("object")},
           {"additionalProperties", ForSingle(*field.message_type()->FindFieldByName("value"))}});
    }
    Value single = ForSingle(field);
    if (field.is_repeated()) return Obj({{"type", Str("array")}, {"items", single}});
    return single;
  }

  Value ForMessage(const Descriptor& type) {
    if (Value wkt; WellKnown(type, &wkt)) return wkt;
    if (seen_.insert(type.full_name()).second) pending_messages_.push_back(&type);
    return Ref(type.full_name());
  }

  // The components.schemas object, once every route's schemas were asked for.
  Value Components() {
    Value schemas;
    schemas.mutable_struct_value();
    while (!pending_messages_.empty()) {
      const Descriptor* type = pending_messages_.front();
      pending_messages_.pop_front();
      Value properties;
      properties.mutable_struct_value();
      for (int i = 0; i < type->field_count(); ++i) {
        Set(properties, type->field(i)->json_name(), ForField(*type->field(i)));
      }
      Set(schemas, type->full_name(),
          Obj({{"type", Str("object")},
               {"properties", properties},
               {"additionalProperties", Bool(false)}}));
    }
    for (const auto& [name, type] : enums_) {
      std::vector<Value> names;
      for (int i = 0; i < type->value_count(); ++i) names.push_back(Str(type->value(i)->name()));
      Set(schemas, name, Obj({{"type", Str("string")}, {"enum", List(names)}}));
    }
    return schemas;
  }

 private:
  Value ForSingle(const FieldDescriptor& field) {
    switch (field.type()) {
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        return Obj({{"type", Str("integer")}, {"format", Str("int32")}});
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        return Obj({{"type", Str("integer")}, {"format", Str("uint32")}});
      // 64-bit integers are JSON strings in the proto3 mapping (numbers are accepted too).
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        return Obj({{"type", List({Str("string"), Str("integer")})}, {"format", Str("int64")}});
      case FieldDescriptor::TYPE_DOUBLE:
      case FieldDescriptor::TYPE_FLOAT:
        return Obj({{"type", Str("number")}});
      case FieldDescriptor::TYPE_BOOL:
        return Obj({{"type", Str("boolean")}});
      case FieldDescriptor::TYPE_STRING:
        return Obj({{"type", Str("string")}});
      case FieldDescriptor::TYPE_BYTES:
        return Obj({{"type", Str("string")}, {"contentEncoding", Str("base64")}});
      case FieldDescriptor::TYPE_ENUM:
        enums_.emplace(field.enum_type()->full_name(), field.enum_type());
        return Ref(field.enum_type()->full_name());
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        return ForMessage(*field.message_type());
    }
    return Obj({});
  }

  // The proto3 JSON forms of the well-known types, inline.
  static bool WellKnown(const Descriptor& type, Value* out) {
    const std::string& name = type.full_name();
    if (name == "google.protobuf.Timestamp") {
      *out = Obj({{"type", Str("string")}, {"format", Str("date-time")}});
    } else if (name == "google.protobuf.Duration") {
      *out = Obj({{"type", Str("string")},
                  {"pattern", Str("^-?[0-9]+(\\.[0-9]{1,9})?s$")},
                  {"description", Str("Seconds with an s suffix, e.g. \"3600s\".")}});
    } else if (name == "google.protobuf.FieldMask") {
      *out = Obj({{"type", Str("string")},
                  {"description", Str("Comma-separated field paths in lowerCamelCase.")}});
    } else if (name == "google.protobuf.Struct") {
      *out = Obj({{"type", Str("object")}});
    } else if (name == "google.protobuf.Value") {
      *out = Obj({});
    } else if (name == "google.protobuf.ListValue") {
      *out = Obj({{"type", Str("array")}});
    } else if (name == "google.protobuf.Empty") {
      *out = Obj({{"type", Str("object")}});
    } else if (name == "google.protobuf.Any") {
      *out = Obj({{"type", Str("object")},
                  {"properties", Obj({{"@type", Obj({{"type", Str("string")}})}})},
                  {"additionalProperties", Bool(true)}});
    } else if (absl::StartsWith(name, "google.protobuf.") && absl::EndsWith(name, "Value")) {
      SchemaSet scratch;
      *out = scratch.ForSingle(*type.FindFieldByName("value"));
    } else {
      return false;
    }
    return true;
  }

  std::set<std::string> seen_;
  std::deque<const Descriptor*> pending_messages_;
  std::map<std::string, const EnumDescriptor*> enums_;
};

void CollectQueryPaths(const Descriptor& type, const std::string& prefix,
                       const std::set<std::string>& excluded, std::set<std::string>& visiting,
                       std::vector<std::string>& out) {
  if (!visiting.insert(type.full_name()).second) return;  // recursive types end here
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const std::string path = absl::StrCat(prefix, field.name());
    if (excluded.count(path) > 0 || field.is_map()) continue;
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsTextMessage(field)) {
      if (!field.is_repeated()) {
        CollectQueryPaths(*field.message_type(), path + ".", excluded, visiting, out);
      }
      continue;
    }
    out.push_back(path);
  }
  visiting.erase(type.full_name());
}

std::string RolesText(const google::protobuf::MethodDescriptor& method) {
  if (!method.options().HasExtension(common::v1::access)) return "nobody (undeclared)";
  const common::v1::Access& access = method.options().GetExtension(common::v1::access);
  if (access.anonymous()) return "anyone, without credentials";
  std::vector<std::string> roles = {"admin"};
  for (int r : access.roles()) roles.push_back(auth::RoleName(static_cast<auth::Role>(r)));
  for (int r : access.own_records_roles()) {
    roles.push_back(absl::StrCat(auth::RoleName(static_cast<auth::Role>(r)), " (own records)"));
  }
  return absl::StrJoin(roles, ", ");
}

std::string BodyFieldType(const FieldDescriptor& field) {
  if (field.message_type() != nullptr) return field.message_type()->full_name();
  return field.type_name();
}

Value HeaderParameter(absl::string_view name, absl::string_view description) {
  return Obj({{"name", Str(name)},
              {"in", Str("header")},
              {"required", Bool(false)},
              {"description", Str(description)},
              {"schema", Obj({{"type", Str("string")}})}});
}

Value JsonContent(Value schema) {
  return Obj({{"application/json", Obj({{"schema", std::move(schema)}})}});
}

}  // namespace

std::vector<std::string> QueryParameterPaths(const Route& route) {
  std::vector<std::string> out;
  if (route.body == "*") return out;
  std::set<std::string> excluded;
  const Descriptor& type = *route.method->input_type();
  for (const std::string& variable : route.path.VariableFieldPaths()) {
    absl::StatusOr<ResolvedField> field = ResolveFieldPath(type, variable);
    if (field.ok()) excluded.insert(field->proto_path);
  }
  if (!route.body.empty()) excluded.insert(route.body);
  std::set<std::string> visiting;
  CollectQueryPaths(type, "", excluded, visiting, out);
  return out;
}

std::string OpenApiJson(const RouteTable& routes) {
  SchemaSet schemas;
  Value paths;
  paths.mutable_struct_value();
  std::map<std::string, int> operation_ids;
  for (const Route& route : routes.routes()) {
    const auto& method = *route.method;
    const Descriptor& input = *method.input_type();
    std::vector<Value> parameters;
    for (const std::string& variable : route.path.VariableFieldPaths()) {
      absl::StatusOr<ResolvedField> field = ResolveFieldPath(input, variable);
      parameters.push_back(Obj({{"name", Str(variable)},
                                {"in", Str("path")},
                                {"required", Bool(true)},
                                {"schema", schemas.ForField(*field->leaf)}}));
    }
    for (const std::string& query : QueryParameterPaths(route)) {
      absl::StatusOr<ResolvedField> field = ResolveFieldPath(input, query);
      Value parameter = Obj({{"name", Str(query)},
                             {"in", Str("query")},
                             {"required", Bool(false)},
                             {"schema", schemas.ForField(*field->leaf)}});
      if (field->leaf->is_repeated()) {
        Set(parameter, "style", Str("form"));
        Set(parameter, "explode", Bool(true));
      }
      parameters.push_back(std::move(parameter));
    }
    parameters.push_back(
        HeaderParameter("X-Request-Id",
                        "Echoed in the answer and passed to the services' logs; one is generated "
                        "when absent (1..128 of A-Z a-z 0-9 . _ : -)."));
    const bool conditional_write = route.http_method != "GET" && !VersionFieldPath(route).empty();
    if (conditional_write) {
      parameters.push_back(HeaderParameter(
          "If-Match",
          "An ETag this API returned (\"<version>\"): the change applies only to that "
          "version of the record, else 412."));
    }
    if (route.http_method == "GET") {
      parameters.push_back(HeaderParameter(
          "If-None-Match",
          "ETags this API returned for this read (or *): 304 without a body when the answer "
          "would carry one of them."));
    }
    if (const auto* key = input.FindFieldByName("idempotency_key");
        key != nullptr && key->type() == FieldDescriptor::TYPE_STRING) {
      parameters.push_back(HeaderParameter(
          "Idempotency-Key", "The same key returns what the first call with it created."));
    }
    Value ok = Obj({{"description", Str("OK")},
                    {"content", JsonContent(schemas.ForMessage(*method.output_type()))}});
    bool has_etag = false;
    for (int i = 0; i < method.output_type()->field_count(); ++i) {
      const FieldDescriptor* f = method.output_type()->field(i);
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() &&
          f->message_type()->FindFieldByName("version") != nullptr) {
        has_etag = true;
        break;
      }
    }
    if (has_etag) {
      Set(ok, "headers",
          Obj({{"ETag", Obj({{"description", Str("The record's version, for If-Match.")},
                             {"schema", Obj({{"type", Str("string")}})}})}}));
    }
    std::string operation_id = absl::StrCat(method.service()->name(), "_", method.name());
    if (const int n = ++operation_ids[operation_id]; n > 1) absl::StrAppend(&operation_id, "_", n);
    Value responses =
        Obj({{"200", ok}, {"default", Obj({{"$ref", Str("#/components/responses/Error")}})}});
    if (route.http_method == "GET") {
      Set(responses, "304",
          Obj({{"description",
                Str("Not modified: the answer carries an ETag of If-None-Match.")}}));
    }
    if (conditional_write) {
      Set(responses, "412", Obj({{"$ref", Str("#/components/responses/Error")}}));
    }
    Value operation =
        Obj({{"operationId", Str(operation_id)},
             {"summary", Str(method.name())},
             {"description",
              Str(absl::StrCat("gRPC ", method.full_name(), ". Roles: ", RolesText(method), "."))},
             {"tags", List({Str(method.service()->name())})},
             {"parameters", List(parameters)},
             {"responses", responses}});
    if (!route.body.empty()) {
      Value body_schema = route.body == "*" ? schemas.ForMessage(input)
                                            : schemas.ForField(*input.FindFieldByName(route.body));
      Set(operation, "requestBody",
          Obj({{"required", Bool(true)}, {"content", JsonContent(body_schema)}}));
    }
    const std::string path = route.path.OpenApiPath();
    auto* path_item =
        (*paths.mutable_struct_value()->mutable_fields())[path].mutable_struct_value();
    (*path_item->mutable_fields())[absl::AsciiStrToLower(route.http_method)] = operation;
  }
  // The routes that are no RPC, each described by its own text: the event stream
  // (event_streams.h) and who the caller is (session_answer.h).
  Value events;
  (void)google::protobuf::util::JsonStringToMessage(EventStreamsOpenApiPathItem(), &events);
  (*paths.mutable_struct_value()->mutable_fields())[kEventsPath] = events;
  Value session;
  (void)google::protobuf::util::JsonStringToMessage(SessionOpenApiPathItem(), &session);
  (*paths.mutable_struct_value()->mutable_fields())[kSessionPath] = session;
  Value error_schema =
      schemas.ForMessage(*google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
          "google.rpc.Status"));
  Value document = Obj(
      {{"openapi", Str("3.1.0")},
       {"info", Obj({{"title", Str("itsm API")},
                     {"version", Str("v1")},
                     {"description",
                      Str("REST/JSON for the itsm services, transcoded by itsm-gateway from the "
                          "services' gRPC APIs (docs/api.md). Errors are google.rpc.Status.")}})},
       {"servers", List({Obj({{"url", Str("/")}})})},
       // Either credential: a bearer token (an API key or a JWT) or the X-API-Key header.
       {"security", List({Obj({{"bearer", List({})}}), Obj({{"apiKey", List({})}})})},
       {"paths", paths},
       {"components",
        Obj({{"securitySchemes",
              Obj({{"bearer", Obj({{"type", Str("http")},
                                   {"scheme", Str("bearer")},
                                   {"description", Str("An API key, or an OIDC access token "
                                                       "(JWT) of a configured issuer.")}})},
                   {"apiKey", Obj({{"type", Str("apiKey")},
                                   {"in", Str("header")},
                                   {"name", Str("X-API-Key")},
                                   {"description", Str("An API key.")}})}})},
             {"responses",
              Obj({{"Error", Obj({{"description", Str("An error: google.rpc.Status, with "
                                                      "field violations when a field is at "
                                                      "fault.")},
                                  {"content", JsonContent(error_schema)}})}})},
             {"schemas", schemas.Components()}})}});
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(document, &json, print);
  return json;
}

std::string ApiReferenceHtml(const RouteTable& routes) {
  auto escape = [](absl::string_view s) {
    return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
  };
  std::string html = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>itsm API reference</title>
<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
code{font-size:90%}th{background:#f4f4f4}</style></head><body>
<h1>itsm API reference</h1>
<p>REST/JSON over the suite's gRPC services. Machine-readable: <a href="/openapi.json">/openapi.json</a>
(OpenAPI 3.1). Bodies and answers use the proto3 JSON mapping; errors are <code>google.rpc.Status</code>.
Send <code>Authorization: Bearer &lt;token&gt;</code>; <code>If-Match</code> takes an <code>ETag</code>
the API returned; <code>Idempotency-Key</code> makes a create safe to retry.</p>
)";
  for (const auto* service : routes.services()) {
    absl::StrAppend(&html, "<h2>", escape(service->name()),
                    "</h2>\n<table><tr><th>Method</th>"
                    "<th>Path</th><th>RPC</th><th>Roles</th><th>Body</th><th>Query</th></tr>\n");
    for (const Route& route : routes.routes()) {
      if (route.method->service() != service) continue;
      std::string body =
          route.body.empty() ? ""
          : route.body == "*"
              ? route.method->input_type()->full_name()
              : absl::StrCat(
                    route.body, " (",
                    BodyFieldType(*route.method->input_type()->FindFieldByName(route.body)), ")");
      absl::StrAppend(&html, "<tr><td>", route.http_method, "</td><td><code>",
                      escape(route.path.OpenApiPath()), "</code></td><td>",
                      escape(route.method->name()), " &rarr; ",
                      escape(route.method->output_type()->full_name()), "</td><td>",
                      escape(RolesText(*route.method)), "</td><td>", escape(body), "</td><td>",
                      escape(absl::StrJoin(QueryParameterPaths(route), ", ")), "</td></tr>\n");
    }
    html += "</table>\n";
  }
  absl::StrAppend(&html, "<h2>Events</h2>\n<p><code>GET ", kEventsPath,
                  "?types=&hellip;</code>: the domain events as Server-Sent Events "
                  "(<code>text/event-stream</code>), resumable with <code>Last-Event-ID</code>, "
                  "filtered by the caller's roles (docs/api.md).</p>\n");
  absl::StrAppend(&html, "<h2>Session</h2>\n<p><code>GET ", kSessionPath,
                  "</code>: who the presented credential is, as the gateway verified it "
                  "(subject, roles, tenant, issuer, expireTime; docs/api.md).</p>\n");
  html += "</body></html>\n";
  return html;
}

}  // namespace itsm::gateway
