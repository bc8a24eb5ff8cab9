#include "itsm/auth/same_person.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "itsm/base/blank_text.h"

namespace itsm::auth {
namespace {

bool IsValidUtf8(absl::string_view s) {
  for (int32_t at = 0; at < static_cast<int32_t>(s.size());) {
    UChar32 c;
    U8_NEXT(s.data(), at, static_cast<int32_t>(s.size()), c);
    if (c < 0) return false;
  }
  return true;
}

}  // namespace

std::string PersonKey(absl::string_view name) {
  name = base::StripBlanks(name);  // the suite's blanks, some of which Unicode calls visible
  if (!IsValidUtf8(name)) return std::string(name);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return std::string(name);  // ICU's data missing: exact comparison
  const icu::UnicodeString folded =
      fold->normalize(icu::UnicodeString::fromUTF8(
                          icu::StringPiece(name.data(), static_cast<int32_t>(name.size()))),
                      status);
  if (U_FAILURE(status)) return std::string(name);
  // White space anywhere: "bob smith" and "bobsmith" are one person to this rule, which errs on
  // the side of refusing; the ideographic and no-break spaces are folded to spaces above.
  icu::UnicodeString compact;
  for (int32_t at = 0; at < folded.length();) {
    const UChar32 c = folded.char32At(at);
    if (!u_isUWhiteSpace(c)) compact.append(c);
    at += U16_LENGTH(c);
  }
  std::string out;
  compact.toUTF8String(out);
  return out;
}

bool SamePerson(absl::string_view name, absl::string_view subject) {
  return PersonKey(name) == PersonKey(subject);
}

}  // namespace itsm::auth
