#include "itsm/auth/same_person.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
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

// What a reader cannot tell apart: marks (accents, the dot of a Turkish "İ"), formats and
// white space.
bool Unseen(UChar32 c) {
  switch (u_charType(c)) {
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_FORMAT_CHAR:
      return true;
    default:
      return u_isUWhiteSpace(c);
  }
}

// Immutable once opened: ICU allows concurrent skeleton calls on it.
const USpoofChecker* Checker() {
  static const USpoofChecker* const kChecker = [] {
    UErrorCode status = U_ZERO_ERROR;
    USpoofChecker* checker = uspoof_open(&status);
    return U_SUCCESS(status) ? checker : nullptr;
  }();
  return kChecker;
}

}  // namespace

std::string PersonKey(absl::string_view name) {
  name = base::StripBlanks(name);  // the suite's blanks, some of which Unicode calls visible
  if (!IsValidUtf8(name)) return std::string(name);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status) || Checker() == nullptr) return std::string(name);  // ICU data missing
  const icu::UnicodeString folded =
      fold->normalize(icu::UnicodeString::fromUTF8(
                          icu::StringPiece(name.data(), static_cast<int32_t>(name.size()))),
                      status);
  // The confusable skeleton (UTS #39): "bօb" with an Armenian "օ", "ꓐob" with a Lisu "ꓐ" and
  // "ıı" read as "bob", "Bob" and "ii".
  icu::UnicodeString skeleton;
  uspoof_getSkeletonUnicodeString(Checker(), 0, folded, skeleton, &status);
  const icu::UnicodeString decomposed = nfd->normalize(skeleton, status);
  if (U_FAILURE(status)) return std::string(name);
  icu::UnicodeString seen;
  for (int32_t at = 0; at < decomposed.length();) {
    const UChar32 c = decomposed.char32At(at);
    if (!Unseen(c)) seen.append(c);
    at += U16_LENGTH(c);
  }
  // Folded again: a skeleton's prototype may be a capital ("ꓐ" is "B").
  const icu::UnicodeString key = fold->normalize(seen, status);
  if (U_FAILURE(status)) return std::string(name);
  std::string out;
  key.toUTF8String(out);
  return out;
}

bool SamePerson(absl::string_view name, absl::string_view subject) {
  return PersonKey(name) == PersonKey(subject);
}

}  // namespace itsm::auth
