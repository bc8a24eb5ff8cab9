// Text cut to a field's limit, for text the service composes itself from longer parts (an
// alert's annotations, a problem's notes copied into its incidents): the limits count Unicode
// characters, and a cut never splits a UTF-8 sequence.
#ifndef ITSM_SERVICES_INCIDENT_TEXT_BOUNDS_H_
#define ITSM_SERVICES_INCIDENT_TEXT_BOUNDS_H_

#include <cstddef>
#include <string>

namespace itsm::incident {

// Truncates to at most `max_chars` Unicode characters (never inside a UTF-8 sequence).
std::string TruncateChars(const std::string& text, size_t max_chars);

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_TEXT_BOUNDS_H_
