#include "itsm/auth/same_person.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
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

// The Latin letters a Latin letter of Unicode's reads as, by its name: "LATIN SMALL LETTER J
// WITH CROSSED-TAIL", "LATIN SMALL LETTER DOTLESS J", "LATIN SMALL LETTER U BAR", "LATIN LETTER
// SMALL CAPITAL L WITH STROKE" read as j, j, u, l; "LATIN SMALL LETTER AE" as ae. Neither case
// folding nor the confusable skeleton maps most of these (it maps "ı" but not "ȷ", "ɓ" but not
// "ᶀ"). Taken from ICU's names, so letters a newer Unicode adds come with its data; turned and
// reversed letters ("ɐ", "ɘ") are letters of their own.
std::string LatinLetterOf(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "LATIN SMALL LETTER ") &&
      !absl::ConsumePrefix(&name, "LATIN CAPITAL LETTER ") &&
      !absl::ConsumePrefix(&name, "LATIN LETTER SMALL CAPITAL ")) {
    return "";
  }
  (void)(absl::ConsumePrefix(&name, "DOTLESS ") || absl::ConsumePrefix(&name, "SCRIPT "));
  const size_t end = std::min(name.find(' '), name.size());
  const absl::string_view letters = name.substr(0, end);
  const absl::string_view rest = name.substr(end);
  if (letters.empty() || letters.size() > 2 ||
      !std::all_of(letters.begin(), letters.end(), [](char l) { return l >= 'A' && l <= 'Z'; })) {
    return "";
  }
  if (!rest.empty() && !absl::StartsWith(rest, " WITH ") && rest != " BAR") return "";
  return absl::AsciiStrToLower(letters);
}

const absl::flat_hash_map<UChar32, std::string>& LatinLetters() {
  static const auto* const kLetters = [] {
    auto* letters = new absl::flat_hash_map<UChar32, std::string>();
    constexpr std::pair<UChar32, UChar32> kBlocks[] = {
        {0x00C0, 0x024F},    // Latin-1 Supplement, Latin Extended-A and -B
        {0x0250, 0x02AF},    // IPA Extensions
        {0x1D00, 0x1DBF},    // Phonetic Extensions (and Supplement)
        {0x1E00, 0x1EFF},    // Latin Extended Additional
        {0x2C60, 0x2C7F},    // Latin Extended-C
        {0xA720, 0xA7FF},    // Latin Extended-D
        {0xAB30, 0xAB6F},    // Latin Extended-E
        {0x10780, 0x107BF},  // Latin Extended-F
        {0x1DF00, 0x1DFFF},  // Latin Extended-G
    };
    for (const auto& [first, last] : kBlocks) {
      for (UChar32 c = first; c <= last; ++c) {
        char name[128];
        UErrorCode status = U_ZERO_ERROR;
        const int32_t length = u_charName(c, U_UNICODE_CHAR_NAME, name, sizeof(name), &status);
        if (U_FAILURE(status) || length <= 0 || length >= static_cast<int32_t>(sizeof(name))) {
          continue;
        }
        std::string letter = LatinLetterOf(absl::string_view(name, static_cast<size_t>(length)));
        if (!letter.empty()) (*letters)[c] = std::move(letter);
      }
    }
    return letters;
  }();
  return *kLetters;
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

// What one character other than ASCII reads as: its Latin letters, else its confusable
// skeleton (UTS #39: an Armenian "օ" is "o", a Lisu "ꓐ" is "B"), without marks and folded, with
// Latin letters the skeleton gives as prototypes read as theirs ("в" is "ʙ", which is b).
icu::UnicodeString ReadAs(UChar32 c, const icu::Normalizer2& fold, const icu::Normalizer2& nfd,
                          UErrorCode& status) {
  if (auto it = LatinLetters().find(c); it != LatinLetters().end()) {
    return icu::UnicodeString::fromUTF8(it->second);
  }
  icu::UnicodeString skeleton;
  uspoof_getSkeletonUnicodeString(Checker(), 0, icu::UnicodeString(c), skeleton, &status);
  const icu::UnicodeString decomposed = nfd.normalize(skeleton, status);
  icu::UnicodeString seen;
  for (int32_t at = 0; at < decomposed.length();) {
    const UChar32 d = decomposed.char32At(at);
    at += U16_LENGTH(d);
    if (Unseen(d)) continue;
    if (auto it = LatinLetters().find(d); it != LatinLetters().end()) {
      seen.append(icu::UnicodeString::fromUTF8(it->second));
    } else {
      seen.append(d);
    }
  }
  // The skeleton's prototype of "m" is "rn", and of "I" (and "l") is "l": a capital that looks
  // like one is an I ("ΚΙΜ" in Greek is KIM).
  if (seen == icu::UnicodeString(u"rn")) return icu::UnicodeString(u"m");
  if (seen == icu::UnicodeString(u"l") && u_isupper(c)) return icu::UnicodeString(u"i");
  return fold.normalize(seen, status);
}

}  // namespace

std::array<std::string, 2> PersonKeys(absl::string_view name) {
  name = base::StripBlanks(name);  // the suite's blanks, some of which Unicode calls visible
  const std::string as_given(name);
  if (!IsValidUtf8(name)) return {as_given, as_given};
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  const icu::Normalizer2* compatible = icu::Normalizer2::getNFKCInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status) || Checker() == nullptr) return {as_given, as_given};  // no ICU data
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())));
  // Read in lower case ("ÅSA" as "åsa", "ИВАН" as "иван"), and as written, since a capital may
  // look like a Latin letter its lower case does not ("ΤΟΜ" in Greek reads as "TOM", "τομ" does
  // not). ASCII stays as it is, but for case and white space: "arnie" and "amie", "mike1" and
  // "mikel" are different accounts, though the skeleton reads "m" as "rn" and "1" as "l".
  // Everything else is read as the Latin letters it looks like, character by character.
  std::array<std::string, 2> keys;
  const icu::Normalizer2* forms[] = {fold, compatible};
  for (size_t k = 0; k < keys.size(); ++k) {
    const icu::UnicodeString normal = forms[k]->normalize(text, status);
    icu::UnicodeString key;
    for (int32_t at = 0; at < normal.length();) {
      const UChar32 c = normal.char32At(at);
      at += U16_LENGTH(c);
      if (Unseen(c)) continue;
      if (c < 0x80) {
        key.append(static_cast<UChar32>(absl::ascii_tolower(static_cast<unsigned char>(c))));
      } else {
        key.append(ReadAs(c, *fold, *nfd, status));
      }
    }
    if (U_FAILURE(status)) return {as_given, as_given};
    key.toUTF8String(keys[k]);
  }
  return keys;
}

bool SamePerson(absl::string_view name, absl::string_view subject) {
  const std::array<std::string, 2> a = PersonKeys(name);
  const std::array<std::string, 2> b = PersonKeys(subject);
  return a[0] == b[0] || a[1] == b[1];
}

}  // namespace itsm::auth
