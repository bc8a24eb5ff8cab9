// Where a request body stops being JSON, for an error a client can act on. Protobuf's parser says
// what it expected ("Expected an object key or }."), not where; in a 40 KB body the place is
// what the sender needs. Only the refusal path asks: a body protobuf parsed is never scanned.
//
//   if (std::optional<JsonSyntaxError> e = FindJsonSyntaxError(body)) {
//     // "expected ',' or '}' at line 3, column 7 (byte 41)"
//   }
#ifndef ITSM_SERVICES_GATEWAY_SRC_JSON_SYNTAX_H_
#define ITSM_SERVICES_GATEWAY_SRC_JSON_SYNTAX_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace itsm::gateway {

struct JsonSyntaxError {
  size_t byte = 0;          // from 0
  int line = 1;             // from 1
  int column = 1;           // from 1, in characters (UTF-8 code points) of its line
  std::string description;  // "expected a value"
  // The text may be JSON, but it passes a limit of the gateway's (the nesting depth) rather than
  // breaking the grammar.
  bool beyond_limit = false;

  // "expected a value at line 1, column 9 (byte 8)"
  std::string ToString() const;
};

// How deep objects and lists may nest in a body. RFC 8259 lets a parser set this limit; the
// API's messages nest a dozen levels at most, and the parsers behind this check (protobuf's, and
// its reading into google.protobuf.Value) spend time that grows faster than the depth.
inline constexpr int kMaxJsonNesting = 64;

// The first place where `json` is not one JSON text (RFC 8259: a single value with optional
// whitespace around it, strings in valid UTF-8 without raw control characters, numbers as the
// grammar spells them) or nests deeper than kMaxJsonNesting, or nothing when it is one. Read
// without recursion, in one pass.
std::optional<JsonSyntaxError> FindJsonSyntaxError(absl::string_view json);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_JSON_SYNTAX_H_
