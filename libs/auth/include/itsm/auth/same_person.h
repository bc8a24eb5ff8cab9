// Whether a name written on a record for a person (requested_for, assignee, a template's
// author) denotes a caller's verified subject, for segregation of duties. Compared as people's
// names are read, not byte for byte: without case (any script's: "ÅSA" is "åsa"), without
// width or compatibility forms (full-width "ａｓａ" is "asa"), without accents ("İlker" is
// "ilker"), letters of other scripts that look alike taken as the same (Armenian "bօb" is
// "bob"), and without blank or invisible characters anywhere ("apikey:k-\u200bagent" is
// "apikey:k-agent"): a name that reads as the caller's must not pass for someone else.
// Refusing more than the exact subject errs on the side the rules exist for.
//
//   if (auth::SamePerson(request.requested_for(), caller.actor)) return PermissionDenied(...);
#ifndef ITSM_AUTH_SAME_PERSON_H_
#define ITSM_AUTH_SAME_PERSON_H_

#include <array>
#include <string>

#include "absl/strings/string_view.h"

namespace itsm::auth {

bool SamePerson(absl::string_view name, absl::string_view subject);

// The forms SamePerson compares (the same person when either is equal): the name after Unicode's
// NFKC_Casefold, and as written after NFKC, each read character by character — ASCII as it is
// but for case, every other Latin letter as the letters its Unicode name gives ("ȷ" is j, "ʙ" is
// b), anything else by its confusable skeleton (UTS #39: Armenian "օ" is o, Greek "Τ" is T) —
// without marks, format characters and white space. Text that is not valid UTF-8 keeps its
// bytes, so it never equals a valid name by accident.
std::array<std::string, 2> PersonKeys(absl::string_view name);

}  // namespace itsm::auth

#endif  // ITSM_AUTH_SAME_PERSON_H_
