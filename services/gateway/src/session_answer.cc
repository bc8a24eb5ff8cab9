#include "services/gateway/src/session_answer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/common/v1/access.pb.h"

namespace itsm::gateway {

namespace {

std::string JsonOf(const google::protobuf::Value& value) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

std::string JsonString(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  return JsonOf(value);
}

}  // namespace

// Written field by field rather than as a Struct, whose map prints its keys in no set order:
// the same session reads the same on every call.
std::string SessionJson(const auth::Identity& identity) {
  google::protobuf::Value roles;
  for (auth::Role role : identity.roles.Roles()) {
    roles.mutable_list_value()->add_values()->set_string_value(common::v1::Role_Name(role));
  }
  if (!roles.has_list_value()) roles.mutable_list_value();
  std::string json = absl::StrCat(
      "{\"subject\":", JsonString(identity.subject), ",\"roles\":", JsonOf(roles),
      ",\"tenant\":", JsonString(identity.tenant), ",\"issuer\":", JsonString(identity.issuer));
  if (identity.expires != absl::InfiniteFuture()) {
    absl::StrAppend(&json, ",\"expireTime\":",
                    JsonString(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", identity.expires,
                                                absl::UTCTimeZone())));
  }
  return json + "}";
}

std::string SessionOpenApiPathItem() {
  return R"json({"get": {
  "operationId": "Gateway_GetSession",
  "summary": "GetSession",
  "description": "Who the presented credential is, as the gateway verified it: the subject the services are told (and the audit trail names), its roles, tenant and issuer, and expireTime when the proof expires. Never the credential itself. Any valid credential may ask; answered with Cache-Control: no-store. See docs/api.md, \"Who am I\".",
  "tags": ["Gateway"],
  "parameters": [
    {"name": "X-Request-Id", "in": "header", "required": false,
     "description": "Echoed in the answer.", "schema": {"type": "string"}}
  ],
  "responses": {
    "200": {"description": "The session.",
            "content": {"application/json": {"schema": {"type": "object",
              "properties": {
                "subject": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string"}},
                "tenant": {"type": "string"},
                "issuer": {"type": "string"},
                "expireTime": {"type": "string", "format": "date-time"}},
              "required": ["subject", "roles", "tenant", "issuer"]}}}},
    "default": {"$ref": "#/components/responses/Error"}
  }
}})json";
}

}  // namespace itsm::gateway
