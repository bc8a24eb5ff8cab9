// A request body that names one field twice in an object ({"priority": 1, "priority": 4}) is
// refused before it is parsed. Protobuf's JSON parser keeps the last value silently, while a
// proxy, a WAF or an audit log in front of the gateway may read the first: the same body would
// mean two things to two readers (RFC 8259 leaves it unspecified; I-JSON, RFC 7493, forbids it).
//
//   ITSM_RETURN_IF_ERROR(CheckNoDuplicateKeys(body));  // INVALID_ARGUMENT naming the field
#ifndef ITSM_SERVICES_GATEWAY_SRC_JSON_DUPLICATE_KEYS_H_
#define ITSM_SERVICES_GATEWAY_SRC_JSON_DUPLICATE_KEYS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace itsm::gateway {

// INVALID_ARGUMENT (a field violation naming the dotted path of the key, under `prefix` when
// given) when an object of `json` holds a key twice, compared after unescaping ("a" and
// "\u0061" are one key). Only keys are checked: a body that is no valid JSON passes here and is
// refused by the parser that follows.
absl::Status CheckNoDuplicateKeys(absl::string_view json, absl::string_view prefix = "");

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_JSON_DUPLICATE_KEYS_H_
