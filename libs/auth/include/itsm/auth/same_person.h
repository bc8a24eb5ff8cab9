// Whether a name written on a record for a person (requested_for, assignee, a template's
// author) denotes a caller's verified subject, for segregation of duties. Compared as people's
// names are read, not byte for byte: without case (any script's: "ÅSA" is "åsa"), without
// width or compatibility forms (full-width "ａｓａ" is "asa"), composed and decomposed spellings
// alike, and without blank or invisible characters anywhere ("apikey:k-\u200bagent" is
// "apikey:k-agent"): a name that reads as the caller's must not pass for someone else.
// Refusing more than the exact subject errs on the side the rules exist for.
//
//   if (auth::SamePerson(request.requested_for(), caller.actor)) return PermissionDenied(...);
#ifndef ITSM_AUTH_SAME_PERSON_H_
#define ITSM_AUTH_SAME_PERSON_H_

#include <string>

#include "absl/strings/string_view.h"

namespace itsm::auth {

bool SamePerson(absl::string_view name, absl::string_view subject);

// The form SamePerson compares: Unicode's NFKC_Casefold (the identifier comparison form of
// UAX #31, which also drops default-ignorable characters) without white space. Text that is not
// valid UTF-8 keeps its bytes, so it never equals a valid name by accident.
std::string PersonKey(absl::string_view name);

}  // namespace itsm::auth

#endif  // ITSM_AUTH_SAME_PERSON_H_
