// Whether a name written on a record for a person (requested_for, assignee) denotes a caller's
// verified subject, for segregation of duties. Compared without ASCII case (an API key's name,
// an e-mail address) and without outer blanks: "apikey:mgr ", "\u200bapikey:mgr" or
// "APIKEY:mgr" must not pass for someone other than apikey:mgr.
//
//   if (auth::SamePerson(request.requested_for(), caller.actor)) return PermissionDenied(...);
#ifndef ITSM_AUTH_SAME_PERSON_H_
#define ITSM_AUTH_SAME_PERSON_H_

#include <cstddef>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "itsm/base/blank_text.h"

namespace itsm::auth {
namespace internal {

// Bytes of the UTF-8 character that `lead` starts (1 for a byte that starts none).
inline size_t CharacterLength(unsigned char lead) {
  return lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

inline absl::string_view WithoutOuterBlanks(absl::string_view s) {
  while (!s.empty()) {
    const size_t n = CharacterLength(static_cast<unsigned char>(s.front()));
    if (n > s.size() || !base::IsBlank(s.substr(0, n))) break;
    s.remove_prefix(n);
  }
  while (!s.empty()) {
    size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) {
      --start;
    }
    if (!base::IsBlank(s.substr(start))) break;
    s.remove_suffix(s.size() - start);
  }
  return s;
}

}  // namespace internal

inline bool SamePerson(absl::string_view name, absl::string_view subject) {
  return absl::EqualsIgnoreCase(internal::WithoutOuterBlanks(name),
                                internal::WithoutOuterBlanks(subject));
}

}  // namespace itsm::auth

#endif  // ITSM_AUTH_SAME_PERSON_H_
