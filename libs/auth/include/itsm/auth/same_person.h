// Whether a name written on a record for a person (requested_for, assignee) denotes a caller's
// verified subject, for segregation of duties. Compared without ASCII case (an API key's name,
// an e-mail address) and without outer blanks: "apikey:mgr ", "\u200bapikey:mgr" or
// "APIKEY:mgr" must not pass for someone other than apikey:mgr.
//
//   if (auth::SamePerson(request.requested_for(), caller.actor)) return PermissionDenied(...);
#ifndef ITSM_AUTH_SAME_PERSON_H_
#define ITSM_AUTH_SAME_PERSON_H_

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "itsm/base/blank_text.h"

namespace itsm::auth {

inline bool SamePerson(absl::string_view name, absl::string_view subject) {
  return absl::EqualsIgnoreCase(base::StripBlanks(name), base::StripBlanks(subject));
}

}  // namespace itsm::auth

#endif  // ITSM_AUTH_SAME_PERSON_H_
