// Text search with LIKE, safely: the user's text is matched as characters, not as a pattern.
#ifndef ITSM_STORAGE_LIKE_H_
#define ITSM_STORAGE_LIKE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace itsm::storage {

// "%<needle, lower-cased, with % _ \ escaped by \>%": a case-insensitive "contains" against a
// lower-cased column, used as `column LIKE $n ESCAPE '\'` (the same on SQLite and PostgreSQL).
// A user searching for "100%" or "db_01" means those characters, not wildcards.
std::string ContainsPattern(absl::string_view needle);

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_LIKE_H_
