#include "itsm/auth/same_person.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
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

// Latin small capitals ("ʙ", "ᴍ", "ꞯ") read as their letters, yet neither case folding nor the
// confusable skeleton maps most of them. They are found by their Unicode names ("LATIN LETTER
// SMALL CAPITAL B"), so letters a newer Unicode adds come with ICU's data; the blocks are those
// where Unicode puts them. Ligatures ("ᴁ", "ɶ") become their letters; variants with a stroke or
// turned are letters of their own.
const absl::flat_hash_map<UChar32, std::string>& SmallCapitals() {
  static const auto* const kLetters = [] {
    auto* letters = new absl::flat_hash_map<UChar32, std::string>();
    constexpr std::pair<UChar32, UChar32> kBlocks[] = {
        {0x0250, 0x02AF},    // IPA Extensions
        {0x1D00, 0x1DBF},    // Phonetic Extensions (and Supplement)
        {0xA720, 0xA7FF},    // Latin Extended-D
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
        absl::string_view letter(name, static_cast<size_t>(length));
        if (!absl::ConsumePrefix(&letter, "LATIN LETTER SMALL CAPITAL ") || letter.empty() ||
            letter.size() > 2 || !std::all_of(letter.begin(), letter.end(), [](char l) {
              return l >= 'A' && l <= 'Z';
            })) {
          continue;
        }
        (*letters)[c] = absl::AsciiStrToLower(letter);
      }
    }
    return letters;
  }();
  return *kLetters;
}

icu::UnicodeString WithoutSmallCapitals(const icu::UnicodeString& text) {
  icu::UnicodeString out;
  for (int32_t at = 0; at < text.length();) {
    const UChar32 c = text.char32At(at);
    at += U16_LENGTH(c);
    if (auto small = SmallCapitals().find(c); small != SmallCapitals().end()) {
      out.append(icu::UnicodeString::fromUTF8(small->second));
    } else {
      out.append(c);
    }
  }
  return out;
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
  // "ıı" read as "bob", "Bob" and "ii". Small capitals become letters before it, so that "ᴍ"
  // gets the skeleton of "m"; and after it, since a prototype may be one (a Cyrillic "в" is
  // "ʙ"), and the letters then get their skeleton too.
  icu::UnicodeString skeleton;
  uspoof_getSkeletonUnicodeString(Checker(), 0, WithoutSmallCapitals(folded), skeleton, &status);
  if (const icu::UnicodeString again = WithoutSmallCapitals(skeleton); again != skeleton) {
    uspoof_getSkeletonUnicodeString(Checker(), 0, again, skeleton, &status);
  }
  const icu::UnicodeString decomposed = nfd->normalize(skeleton, status);
  if (U_FAILURE(status)) return std::string(name);
  icu::UnicodeString seen;
  for (int32_t at = 0; at < decomposed.length();) {
    const UChar32 c = decomposed.char32At(at);
    at += U16_LENGTH(c);
    if (!Unseen(c)) seen.append(c);
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
