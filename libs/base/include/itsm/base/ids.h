// Identifiers: time-ordered UUIDs (version 7) for records, events and request ids.
#ifndef ITSM_BASE_IDS_H_
#define ITSM_BASE_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace itsm::base {

// An RFC 9562 version 7 UUID (millisecond timestamp + random bits) in canonical lower case.
std::string NewUuid();
// True for the canonical 36-character form (any version).
bool IsUuid(absl::string_view s);

}  // namespace itsm::base

#endif  // ITSM_BASE_IDS_H_
