// Text that shows nothing. Unicode white space (no-break space, em space, ideographic space,
// line and paragraph separators, ...) and the invisible format characters (zero-width space and
// joiners, word joiner, byte order mark) look blank on every screen: a required title made of
// them is as empty as one of ASCII spaces, and a name that begins or ends with one is a
// look-alike of the name without it.
//
//   if (base::IsBlank(request.title())) return base::FieldError("title", "required");
#ifndef ITSM_BASE_BLANK_TEXT_H_
#define ITSM_BASE_BLANK_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace itsm::base {

// True for "" and for UTF-8 text of blank characters only. Bytes that are not valid UTF-8 count
// as visible.
bool IsBlank(absl::string_view utf8);

// Whether the text's first or last character is blank.
bool HasOuterBlank(absl::string_view utf8);

// The text without its leading and trailing blank characters.
absl::string_view StripBlanks(absl::string_view utf8);

// A name other records are matched by exactly (a service, a category: an SLA definition's
// coverage): empty, or not blank and without blanks around it. INVALID_ARGUMENT naming `field`
// else, since " vpn" would match nothing and the record would silently have no SLA.
absl::Status CheckMatchedName(absl::string_view field, absl::string_view value);

// Why `utf8` cannot name who did something (a token's subject) in the audit trail, or "" when it
// can: it must be valid UTF-8 with no control, format (invisible), separator other than a plain
// space, private-use, unassigned or symbol character, and its letters must be of one script,
// or of Latin with those of Chinese, Japanese or Korean ("аpikey:admin" with a Cyrillic "а", or
// "bօb" with an Armenian "օ", reads as someone else: Unicode TS #39's "highly restrictive"
// level, with ICU's script data).
std::string WhyNotAnIdentity(absl::string_view utf8);

// A field that names a person (an assignee, an owner, whom a request is for): empty, or a name
// someone could sign in with (WhyNotAnIdentity). INVALID_ARGUMENT naming `field` else: a name
// with an invisible character inside reads as someone's and is no one's, so it would hide the
// record from that person's lists while escaping the rules that keep them from approving it.
absl::Status CheckPersonName(absl::string_view field, absl::string_view value);

}  // namespace itsm::base

#endif  // ITSM_BASE_BLANK_TEXT_H_
