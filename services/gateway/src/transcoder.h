// HTTP request -> gRPC request message and gRPC response message -> HTTP answer, for one
// route, from descriptors only. A request is refused (INVALID_ARGUMENT naming the field, or an
// explicit HTTP status — error_answer.h) before anything is forwarded when its body is not JSON
// of the request type (unknown fields and wrong types included), a query parameter names no
// field or does not fit its type, a path variable and the body disagree, or a header does not
// fit the field it maps to.
//
// Headers mapped onto fields:
//   If-Match: "<n>"      -> the request's record version (its `version`, or `<body>.version`)
//   Idempotency-Key: k   -> the request's `idempotency_key`
#ifndef ITSM_SERVICES_GATEWAY_SRC_TRANSCODER_H_
#define ITSM_SERVICES_GATEWAY_SRC_TRANSCODER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "services/gateway/src/route_table.h"

namespace itsm::gateway {

// What of the HTTP request transcoding reads ("" for an absent header).
struct HttpInput {
  absl::string_view query = "";  // the raw query string, after '?'
  absl::string_view body = "";
  absl::string_view content_type = "";
  absl::string_view content_encoding = "";
  absl::string_view if_match = "";
  absl::string_view idempotency_key = "";
};

struct TranscodedRequest {
  std::unique_ptr<google::protobuf::Message> message;
  // The record version was given by If-Match (a stale one is then answered 412, not 409).
  bool version_from_if_match = false;
};

absl::StatusOr<TranscodedRequest> TranscodeRequest(const Route& route,
                                                   const std::vector<PathBinding>& bindings,
                                                   const HttpInput& input);

// The response in the proto3 JSON mapping (lowerCamelCase names, enums by name, every field
// present even when it has its default, so that clients see a stable shape).
std::string ResponseJson(const google::protobuf::Message& response);

// The ETag of an answer (docs/api.md, "Versions"): "\"<n>\"" for one record at version n and
// nothing else; "\"<n>.c<16 hex digits>\"" for a record with what was worked out from others (a
// release's readiness, a problem's linked incidents, a due time) or never written (version 0) —
// its version for If-Match, its content for If-None-Match; ContentETagOf for a read's answer
// without a record; "" for a write's (nothing a client could send back). The record is the
// first singular message field whose type has an int64 `version`.
std::string AnswerETagOf(const google::protobuf::Message& response, bool is_read);
// The field path of a request's record version ("version" or "<body field>.version"), "" when it
// has none: where If-Match goes.
std::string VersionFieldPath(const Route& route);
// The ETag of an answer without a record version (a list, a report): "\"c<16 hex digits>\"" of
// its content, the same from every gateway replica, so that If-None-Match on a list is honoured.
std::string ContentETagOf(const google::protobuf::Message& response);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_TRANSCODER_H_
