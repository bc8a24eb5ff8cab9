// Identifiers: random UUIDs (version 4) for records, events and request ids.
#ifndef ITSM_BASE_IDS_H_
#define ITSM_BASE_IDS_H_

#include <string>
#include "absl/strings/string_view.h"

namespace itsm::base {

// A random RFC 4122 version 4 UUID in its canonical lower-case form.
std::string NewUuid();
// True for the canonical 36-character form (any version).
bool IsUuid(absl::string_view s);

}  // namespace itsm::base

#endif  // ITSM_BASE_IDS_H_
