// Identifiers: time-ordered UUIDs (version 7) for records, events and request ids.
#ifndef ITSM_BASE_IDS_H_
#define ITSM_BASE_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace itsm::base {

// An RFC 9562 version 7 UUID (millisecond timestamp + random bits) in canonical lower case.
std::string NewUuid();
// A UUID derived from `name` (version 5 in shape; stable across processes, hosts and versions):
// the id of something that must come out the same each time it is made again (an SLA clock's
// event replayed, a webhook delivery after a restore).
std::string DerivedUuid(absl::string_view name);
// True for the canonical 36-character form (any version).
bool IsUuid(absl::string_view s);

}  // namespace itsm::base

#endif  // ITSM_BASE_IDS_H_
