// What an error may tell a client, decided where the error is made, not by reading its text.
//
// Two marks travel as absl::Status payloads (they survive ITSM_RETURN_IF_ERROR unchanged):
//  - a field error: INVALID_ARGUMENT naming the request field at fault, so that the gRPC edge
//    can attach a google.rpc.BadRequest field violation (and the gateway a 400 with the field);
//  - a private error: the message is for the logs only (SQL text, a database's own words, a
//    peer's address). The edge answers such an error with a generic message and the request id.
//
//   return base::FieldError("incident.title", "required");
//   return base::PrivateError(absl::StatusCode::kUnavailable, "`INSERT ...`: could not connect");
#ifndef ITSM_BASE_ERROR_DETAIL_H_
#define ITSM_BASE_ERROR_DETAIL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace itsm::base {

// INVALID_ARGUMENT "<field>: <description>" that carries the field path as well.
absl::Status FieldError(absl::string_view field, absl::string_view description);

// The field a status names: the field error's path; else, for INVALID_ARGUMENT, the leading
// "path: " of its message when it reads as a field path (the convention of every validator here).
std::optional<std::string> ErrorField(const absl::Status& status);

// The same field error with its field named from the request: a record's own rules name its
// fields ("kind: required"); a request that carries the record under `definition` calls
// UnderField("definition", status) to say "definition.kind: required". Other statuses unchanged.
absl::Status UnderField(absl::string_view parent, absl::Status status);

// A status whose message must not reach a client.
absl::Status PrivateError(absl::StatusCode code, absl::string_view message);
// Marks an existing status private (keeps its code, message and other payloads).
absl::Status MakePrivate(absl::Status status);
bool IsPrivate(const absl::Status& status);

}  // namespace itsm::base

#endif  // ITSM_BASE_ERROR_DETAIL_H_
