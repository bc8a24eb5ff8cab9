#include "services/gateway/src/transcoder.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/message_fingerprint.h"
#include "itsm/base/status_macros.h"
#include "services/gateway/src/body_shape.h"
#include "services/gateway/src/error_answer.h"
#include "services/gateway/src/field_path.h"
#include "services/gateway/src/json_duplicate_keys.h"
#include "services/gateway/src/json_syntax.h"
#include "services/gateway/src/proto_json.h"
#include "services/gateway/src/proto_json_reader.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// "<name>: <what>" with a field name (no spaces) before the colon: the field and what is wrong.
bool SplitNamed(absl::string_view text, std::string* name, std::string* description) {
  const size_t colon = text.find(": ");
  if (colon == absl::string_view::npos || colon == 0) return false;
  const absl::string_view candidate = text.substr(0, colon);
  if (absl::StrContains(candidate, ' ')) return false;
  *name = std::string(candidate);
  *description = std::string(text.substr(colon + 2));
  if (*description == "Cannot find field.") *description = "no such field";
  return true;
}

// "<value> for type TYPE_INT32" (after "invalid value "): a scalar field given a value of another
// kind, said as the query's are (`"high" is not a 32-bit integer`). The value is the JSON the
// client wrote, shown cut and escaped as the query's are. False for other messages.
bool ExplainTheInvalidScalar(absl::string_view text, std::string& description) {
  constexpr absl::string_view kForType = " for type TYPE_";
  const size_t for_type = text.rfind(kForType);
  if (for_type == absl::string_view::npos) return false;
  const absl::string_view type_name = text.substr(for_type + kForType.size());
  for (int t = 1; t <= FieldDescriptor::MAX_TYPE; ++t) {
    const auto type = static_cast<FieldDescriptor::Type>(t);
    if (!absl::EqualsIgnoreCase(type_name, FieldDescriptor::TypeName(type))) continue;
    description =
        absl::StrCat(ShownJsonValue(text.substr(0, for_type)), " is not ", ScalarKind(type));
    return true;
  }
  return false;
}

// "invalid value "PRIORITY_P9" for type type.googleapis.com/itsm.incident.v1.Priority", or
// "invalid value Field 'startsAt', Invalid time format: yesterday for type
// type.googleapis.com/google.protobuf.Timestamp": protobuf's words for a value its field's type
// cannot hold, said as a query parameter's are (the enum's names, a time's written form).
void ExplainTheInvalidValue(std::string& description) {
  constexpr absl::string_view kForType = " for type type.googleapis.com/";
  absl::string_view text = description;
  if (!absl::ConsumePrefix(&text, "invalid value ")) return;
  if (ExplainTheInvalidScalar(text, description)) return;
  const size_t for_type = text.rfind(kForType);
  if (for_type == absl::string_view::npos) return;
  const std::string type_name(text.substr(for_type + kForType.size()));
  absl::string_view value = text.substr(0, for_type);
  const google::protobuf::DescriptorPool& pool =
      *google::protobuf::DescriptorPool::generated_pool();
  if (const google::protobuf::EnumDescriptor* e = pool.FindEnumTypeByName(type_name)) {
    description = NotOneOf(*e, absl::StripSuffix(absl::StripPrefix(value, "\""), "\""));
  } else if (const Descriptor* m = pool.FindMessageTypeByName(type_name);
             m != nullptr && absl::StartsWith(m->full_name(), "google.protobuf.")) {
    // "Field 'startsAt', <reason>: <value>" when the parser kept the value, else no value.
    if (absl::ConsumePrefix(&value, "Field '")) {
      const size_t colon = value.find(": ");
      value = colon == absl::string_view::npos ? absl::string_view() : value.substr(colon + 2);
    }
    description = NotA(*m, value);
  }
}

// Why protobuf's parser refused a body that is valid JSON and of the right shape
// (FindShapeMismatch found nothing): the parser's own error, as a field error when it names a
// field. Its forms:
//   "bogus: Cannot find field."               (a field of the top message)
//   "(incident) bogus: Cannot find field."    (a field inside `incident`)
//   "(impact): invalid value "x" for type TYPE_INT32"
// Anything else names no field.
absl::Status BodyError(const std::string& parser_message) {
  absl::string_view message = parser_message;
  message = message.substr(0, message.find('\n'));
  std::string field;
  std::string description;
  if (absl::ConsumePrefix(&message, "(")) {
    const size_t close = message.find(')');
    if (close != absl::string_view::npos) {
      const std::string parent(message.substr(0, close));
      absl::string_view rest = message.substr(close + 1);
      if (absl::ConsumePrefix(&rest, ": ")) {
        field = parent;
        description = std::string(rest);
      } else if (absl::ConsumePrefix(&rest, " ") && SplitNamed(rest, &field, &description)) {
        field = absl::StrCat(parent, ".", field);
      }
    }
  } else if (!SplitNamed(message, &field, &description)) {
    absl::ConsumePrefix(&message, ": ");  // the path of the top message, which is empty
    description = std::string(message);
  }
  ExplainTheInvalidValue(description);
  if (!field.empty() && !description.empty()) return base::FieldError(field, description);
  return absl::InvalidArgumentError(
      absl::StrCat("the request body is not valid JSON for this operation: ", message));
}

// The media type and its parameters, split on the ';' outside quoted strings (RFC 9110 5.6.6).
std::vector<absl::string_view> MediaTypeParts(absl::string_view content_type) {
  std::vector<absl::string_view> parts;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < content_type.size(); ++i) {
    const char c = content_type[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ';' && !quoted) {
      parts.push_back(content_type.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(content_type.substr(start));
  return parts;
}

bool IsJsonMediaType(absl::string_view content_type) {
  const std::vector<absl::string_view> parts = MediaTypeParts(content_type);
  const absl::string_view type = absl::StripAsciiWhitespace(parts[0]);
  if (!type.empty()) {
    // application/json, or a type/subtype+json with a subtype name before the suffix.
    const size_t slash = type.find('/');
    if (slash == absl::string_view::npos || slash == 0) return false;
    const absl::string_view subtype = type.substr(slash + 1);
    if (!absl::EqualsIgnoreCase(type, "application/json") &&
        !(subtype.size() > 5 && absl::EndsWithIgnoreCase(subtype, "+json"))) {
      return false;
    }
  }
  // JSON between systems is UTF-8 (RFC 8259 8.1), and the body is read as UTF-8: one labelled
  // in another charset would be stored as other text than the client meant.
  for (size_t i = 1; i < parts.size(); ++i) {
    const absl::string_view param = parts[i];
    const size_t equals = param.find('=');
    const absl::string_view name = absl::StripAsciiWhitespace(param.substr(0, equals));
    if (!absl::EqualsIgnoreCase(name, "charset")) continue;
    if (equals == absl::string_view::npos) return false;
    absl::string_view value = absl::StripAsciiWhitespace(param.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!absl::EqualsIgnoreCase(value, "utf-8") && !absl::EqualsIgnoreCase(value, "utf8")) {
      return false;
    }
  }
  return true;
}

// Whether a body meant as one field's value could reach past it once wrapped as
// {"field": <body>}: a comma or a closing bracket outside the body's own brackets and strings
// would add members to the wrapping object (`{"title":"x"}, "updateMask":"title"`). Strings
// in single quotes count as strings too: protobuf's parser reads them.
bool ReachesPastOneValue(absl::string_view body) {
  int depth = 0;
  char quote = 0;  // the quote of the string being read, or 0
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) return true;
    } else if (c == ',' && depth == 0) {
      return true;
    }
  }
  return false;
}

absl::Status ParseBody(const Route& route, const HttpInput& input, Message& request) {
  // A body is read as sent: one labelled compressed (gzip, br) would be read by this gateway as
  // other bytes than a proxy honouring the label reads, so it is refused, whatever it holds.
  if (const absl::string_view coding = absl::StripAsciiWhitespace(input.content_encoding);
      !coding.empty() && !absl::EqualsIgnoreCase(coding, "identity")) {
    return WithHttpStatus(
        absl::InvalidArgumentError(absl::StrCat("Content-Encoding \"", coding,
                                                "\" is not supported: send the body as is")),
        415);
  }
  const bool blank = absl::StripAsciiWhitespace(input.body).empty();
  if (route.body.empty()) {
    if (blank) return absl::OkStatus();
    return WithHttpStatus(
        absl::InvalidArgumentError(absl::StrCat(route.http_method, " ", route.path.text(),
                                                " takes no body: give its fields in the query")),
        400);
  }
  if (blank) return absl::OkStatus();
  if (!IsJsonMediaType(input.content_type)) {
    return WithHttpStatus(
        absl::InvalidArgumentError(absl::StrCat("Content-Type \"", input.content_type,
                                                "\" is not supported: send application/json"
                                                " (UTF-8)")),
        415);
  }
  if (route.body != "*" && ReachesPastOneValue(input.body)) {
    return base::FieldError(route.body, "the body must be one JSON value, this field's");
  }
  // A body that is one field is read as that field of the request, so that errors name it.
  const std::string one_field =
      route.body == "*"
          ? std::string()
          : absl::StrCat("{\"", request.GetDescriptor()->FindFieldByName(route.body)->json_name(),
                         "\":", input.body, "}");
  const absl::string_view json = route.body == "*" ? absl::string_view(input.body) : one_field;
  // The direct reader is strict and declines an object naming a field twice; what it declines
  // (rare forms, and every error) protobuf's parser reads.
  if (ReadProtoJson(json, request)) return absl::OkStatus();
  request.Clear();
  // Protobuf's parser is lenient where a proxy, a WAF or an audit log in front of the gateway
  // would not be: it reads "\x41" as "x41", a vertical tab as a space, a single value as a
  // list of one, nested lists as one list, drops null from lists and keeps the last of a field
  // given by both its names. Such a body would mean one thing to them and another to the
  // service, so it is refused before protobuf reads it, as malformed JSON is: by its place in
  // what the client sent, or naming the field.
  if (std::optional<JsonSyntaxError> syntax = FindJsonSyntaxError(input.body)) {
    return absl::InvalidArgumentError(absl::StrCat(syntax->beyond_limit
                                                       ? "the request body is refused: "
                                                       : "the request body is not valid JSON: ",
                                                   syntax->ToString()));
  }
  ITSM_RETURN_IF_ERROR(
      CheckNoDuplicateKeys(input.body, route.body == "*" ? "" : absl::string_view(route.body)));
  if (std::optional<ShapeMismatch> mismatch = FindShapeMismatch(json, *request.GetDescriptor())) {
    return base::FieldError(mismatch->field, mismatch->description);
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field is an error, never silently dropped
  const google::protobuf::util::Status parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &request, options);
  if (parsed.ok()) return absl::OkStatus();
  if (route.body == "*") {
    const absl::string_view value = absl::StripLeadingAsciiWhitespace(input.body);
    if (!value.empty() && value.front() != '{') {
      // Protobuf's "Root element must be a message." names neither what came nor what is due.
      return absl::InvalidArgumentError(absl::StrCat(
          "the request body must be a JSON object ({...}), not ", value.front() == '[' ? "an array"
                                                                  : value.front() == '"'
                                                                      ? "a string"
                                                                      : "a single value"));
    }
  }
  return BodyError(parsed.message().ToString());
}

// The path variables, set over what the body said; a body that gave the same field another
// value is refused rather than silently overridden.
absl::Status BindPath(const std::vector<PathBinding>& bindings, Message& request) {
  for (const PathBinding& binding : bindings) {
    absl::StatusOr<ResolvedField> field =
        ResolveFieldPath(*request.GetDescriptor(), binding.field_path);
    if (!field.ok()) return field.status();
    const std::string in_body = ScalarFieldText(request, *field);
    if (!in_body.empty() && in_body != binding.value) {
      return base::FieldError(field->proto_path,
                              absl::StrCat("the body says \"", in_body, "\" but the path says \"",
                                           binding.value, "\""));
    }
    if (absl::Status set = SetFieldFromText(request, binding.field_path, binding.value);
        !set.ok()) {
      return set;
    }
  }
  return absl::OkStatus();
}

// "a.b=1&c=x&c=y": each parameter names a field (dotted path); a repeated field takes every
// value given. A field bound by the path or inside the body is not a query parameter.
absl::Status BindQuery(const Route& route, const std::vector<PathBinding>& bindings,
                       absl::string_view query, Message& request) {
  if (query.empty()) return absl::OkStatus();
  std::set<std::string> given;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::string value(eq == absl::string_view::npos ? "" : pair.substr(eq + 1));
    std::replace(key.begin(), key.end(), '+', ' ');
    std::replace(value.begin(), value.end(), '+', ' ');
    std::optional<std::string> name = PercentDecode(key);
    std::optional<std::string> text = PercentDecode(value);
    if (!name || !text) {
      return base::FieldError(name.value_or(key), "malformed percent-encoding in the query");
    }
    if (route.body == "*") {
      return base::FieldError(*name, absl::StrCat(route.http_method, " ", route.path.text(),
                                                  " takes its fields in the body, not the query"));
    }
    absl::StatusOr<ResolvedField> field = ResolveFieldPath(*request.GetDescriptor(), *name);
    if (!field.ok()) return field.status();
    const std::string& path = field->proto_path;
    for (const PathBinding& b : bindings) {
      absl::StatusOr<ResolvedField> bound =
          ResolveFieldPath(*request.GetDescriptor(), b.field_path);
      if (bound.ok() && bound->proto_path == path) {
        return base::FieldError(path, "is given by the path, not the query");
      }
    }
    if (!route.body.empty() && (path == route.body || absl::StartsWith(path, route.body + "."))) {
      return base::FieldError(path, "is given by the body, not the query");
    }
    if (!field->leaf->is_repeated() && !given.insert(path).second) {
      return base::FieldError(path, "is given more than once");
    }
    if (absl::Status set = SetFieldFromText(request, *name, *text); !set.ok()) return set;
  }
  return absl::OkStatus();
}

// If-Match: "<n>" (or W/"<n>"; "*" asks for nothing) onto the request's record version. If-Match
// on a read, which the gateway would not apply, is refused rather than ignored.
absl::Status BindIfMatch(const Route& route, absl::string_view if_match, Message& request,
                         bool* bound) {
  *bound = false;
  if (if_match.empty()) return absl::OkStatus();
  if (route.http_method == "GET") {
    return base::FieldError("If-Match",
                            "a read takes If-None-Match (If-Match is a write's condition)");
  }
  absl::string_view tag = absl::StripAsciiWhitespace(if_match);
  if (tag == "*") return absl::OkStatus();
  const std::string path = VersionFieldPath(route);
  if (path.empty()) {
    return WithHttpStatus(
        absl::InvalidArgumentError(absl::StrCat("If-Match: ", route.http_method, " ",
                                                route.path.text(), " has no record version")),
        400);
  }
  // The record's version is the tag, up to the content hash of an answer that held more than
  // the record: a proxy that compresses answers marks the ETag weak (nginx does), and the client
  // sends it back so; the version still says which record it saw.
  absl::ConsumePrefix(&tag, "W/");
  int64_t version = 0;
  const bool quoted = absl::ConsumePrefix(&tag, "\"") && absl::ConsumeSuffix(&tag, "\"");
  absl::string_view number = tag;
  bool hash_ok = true;
  if (const size_t dot = tag.find(".c"); dot != absl::string_view::npos) {
    const absl::string_view hash = tag.substr(dot + 2);
    // Lower-case hex, as this API writes it: a tag is compared as given.
    hash_ok = hash.size() == 16 && std::all_of(hash.begin(), hash.end(), [](char c) {
                return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
              });
    number = tag.substr(0, dot);
  }
  // Exactly as given ("3"): "03" or "+3" is another tag (strong comparison, RFC 9110 8.8.3.2).
  if (!quoted || !hash_ok || !absl::SimpleAtoi(number, &version) || version < 0 ||
      number != absl::StrCat(version)) {
    return base::FieldError("If-Match", "must be one ETag this API gave, e.g. \"3\"");
  }
  absl::StatusOr<ResolvedField> field = ResolveFieldPath(*request.GetDescriptor(), path);
  if (!field.ok()) return field.status();
  const std::string in_body = ScalarFieldText(request, *field);
  if (!in_body.empty() && in_body != absl::StrCat(version)) {
    return base::FieldError(
        path, absl::StrCat("the body says ", in_body, " but If-Match says ", version));
  }
  *bound = true;
  return SetFieldFromText(request, path, absl::StrCat(version));
}

absl::Status BindIdempotencyKey(const Route& route, absl::string_view key, Message& request) {
  if (key.empty()) return absl::OkStatus();
  const FieldDescriptor* field = request.GetDescriptor()->FindFieldByName("idempotency_key");
  if (field == nullptr || field->type() != FieldDescriptor::TYPE_STRING) {
    return base::FieldError(
        "Idempotency-Key",
        absl::StrCat(route.http_method, " ", route.path.text(), " takes no idempotency key"));
  }
  // HTTP allows any byte above 0x7F in a header; a proto string must be UTF-8, or the service
  // cannot even parse the call.
  if (!google::protobuf::internal::IsStructurallyValidUTF8(key.data(),
                                                           static_cast<int>(key.size()))) {
    return base::FieldError("Idempotency-Key", "is not valid UTF-8");
  }
  const std::string& in_body = request.GetReflection()->GetString(request, field);
  if (!in_body.empty() && in_body != key) {
    return base::FieldError("idempotency_key", "the body and the Idempotency-Key header differ");
  }
  request.GetReflection()->SetString(&request, field, std::string(key));
  return absl::OkStatus();
}

const FieldDescriptor* Int64Version(const Descriptor& type) {
  const FieldDescriptor* f = type.FindFieldByName("version");
  return f != nullptr && f->type() == FieldDescriptor::TYPE_INT64 && !f->is_repeated() ? f
                                                                                       : nullptr;
}

}  // namespace

absl::StatusOr<TranscodedRequest> TranscodeRequest(const Route& route,
                                                   const std::vector<PathBinding>& bindings,
                                                   const HttpInput& input) {
  TranscodedRequest out;
  out.message.reset(google::protobuf::MessageFactory::generated_factory()
                        ->GetPrototype(route.method->input_type())
                        ->New());
  Message& request = *out.message;
  if (absl::Status s = ParseBody(route, input, request); !s.ok()) return s;
  if (absl::Status s = BindPath(bindings, request); !s.ok()) return s;
  if (absl::Status s = BindQuery(route, bindings, input.query, request); !s.ok()) return s;
  if (absl::Status s = BindIfMatch(route, input.if_match, request, &out.version_from_if_match);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = BindIdempotencyKey(route, input.idempotency_key, request); !s.ok()) {
    return s;
  }
  return out;
}

std::string ResponseJson(const Message& response) { return ProtoJson(response); }

std::string AnswerETagOf(const Message& response, bool is_read) {
  const Descriptor& type = *response.GetDescriptor();
  const Reflection& reflection = *response.GetReflection();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) continue;
    const FieldDescriptor* version = Int64Version(*field->message_type());
    if (version == nullptr) continue;
    if (!reflection.HasField(response, field)) break;
    const Message& record = reflection.GetMessage(response, field);
    const int64_t v = record.GetReflection()->GetInt64(record, version);
    std::vector<const FieldDescriptor*> set;
    reflection.ListFields(response, &set);
    if (v > 0 && set.size() == 1) return absl::StrCat("\"", v, "\"");
    return absl::StrCat("\"", v, ".c", base::MessageFingerprint(response), "\"");
  }
  return is_read ? ContentETagOf(response) : "";
}

std::string VersionFieldPath(const Route& route) {
  const Descriptor& type = *route.method->input_type();
  if (Int64Version(type) != nullptr) return "version";
  if (!route.body.empty() && route.body != "*") {
    const FieldDescriptor* body = type.FindFieldByName(route.body);
    if (body->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        Int64Version(*body->message_type()) != nullptr) {
      return absl::StrCat(route.body, ".version");
    }
  }
  return "";
}

std::string ContentETagOf(const Message& response) {
  return absl::StrCat("\"c", base::MessageFingerprint(response), "\"");
}

}  // namespace itsm::gateway
