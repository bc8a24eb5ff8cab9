#include "itsm/base/blank_text.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"

namespace itsm::base {
namespace {

// White_Space (Unicode's PropList) and the default-ignorable format characters a name or title
// could hide behind (bidi controls too: a title of U+202E alone is empty, shown reversed), and
// the characters that render as nothing: the soft hyphen, the Hangul fillers, the braille
// blank, variation selectors, tags.
bool IsBlankCodePoint(uint32_t c) {
  if (c == 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  switch (c) {
    case 0x85:
    case 0xa0:
    case 0xad:
    case 0x34f:
    case 0x61c:
    case 0x115f:
    case 0x1160:
    case 0x17b4:
    case 0x17b5:
    case 0x2800:
    case 0x3164:
    case 0xffa0:
    case 0x1680:
    case 0x180e:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x2060:
    case 0x3000:
    case 0xfeff:
      return true;
    default:
      return (c >= 0x2000 && c <= 0x200d) ||    // en quad .. zero-width joiner
             (c >= 0x202a && c <= 0x202e) ||    // bidi embeddings and overrides
             (c >= 0x2061 && c <= 0x206f) ||    // invisible operators, bidi isolates
             (c >= 0x180b && c <= 0x180f) ||    // Mongolian variation selectors
             (c >= 0xfe00 && c <= 0xfe0f) ||    // variation selectors
             (c >= 0x1d173 && c <= 0x1d17a) ||  // musical formatting
             (c >= 0xe0000 && c <= 0xe0fff);    // tags, variation selectors supplement
  }
}

// The code point starting at `at` and its length; nullopt for a byte that starts no valid
// sequence (counted as visible by the callers).
struct Decoded {
  uint32_t code_point;
  size_t length;
};
std::optional<Decoded> DecodeAt(absl::string_view s, size_t at) {
  const auto b0 = static_cast<unsigned char>(s[at]);
  size_t length = b0 < 0x80           ? 1
                  : (b0 >> 5) == 0x6  ? 2
                  : (b0 >> 4) == 0xe  ? 3
                  : (b0 >> 3) == 0x1e ? 4
                                      : 0;
  if (length == 0 || at + length > s.size()) return std::nullopt;
  uint32_t c = length == 1 ? b0 : b0 & (0x7f >> length);
  for (size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[at + i]);
    if ((b & 0xc0) != 0x80) return std::nullopt;
    c = (c << 6) | (b & 0x3f);
  }
  return Decoded{c, length};
}

// The start of the last character of non-empty `s` (a continuation byte run of at most 3).
size_t LastCharacterStart(absl::string_view s) {
  size_t at = s.size() - 1;
  while (at > 0 && s.size() - at < 4 && (static_cast<unsigned char>(s[at]) & 0xc0) == 0x80) --at;
  return at;
}

}  // namespace

bool IsBlank(absl::string_view utf8) {
  for (size_t at = 0; at < utf8.size();) {
    const std::optional<Decoded> d = DecodeAt(utf8, at);
    if (!d || !IsBlankCodePoint(d->code_point)) return false;
    at += d->length;
  }
  return true;
}

bool HasOuterBlank(absl::string_view utf8) {
  if (utf8.empty()) return false;
  const std::optional<Decoded> first = DecodeAt(utf8, 0);
  const std::optional<Decoded> last = DecodeAt(utf8, LastCharacterStart(utf8));
  return (first && IsBlankCodePoint(first->code_point)) ||
         (last && IsBlankCodePoint(last->code_point));
}

absl::string_view StripBlanks(absl::string_view utf8) {
  while (!utf8.empty()) {
    const std::optional<Decoded> first = DecodeAt(utf8, 0);
    if (!first || !IsBlankCodePoint(first->code_point)) break;
    utf8.remove_prefix(first->length);
  }
  while (!utf8.empty()) {
    const size_t at = LastCharacterStart(utf8);
    const std::optional<Decoded> last = DecodeAt(utf8, at);
    if (!last || !IsBlankCodePoint(last->code_point)) break;
    utf8.remove_suffix(utf8.size() - at);
  }
  return utf8;
}

absl::Status CheckMatchedName(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  if (IsBlank(value)) return FieldError(field, "blank; leave it out or name one");
  if (HasOuterBlank(value)) {
    return FieldError(field, "has blanks around it, and would match nothing named without them");
  }
  return absl::OkStatus();
}

namespace {

// Characters that show nothing, or nothing a reader can tell apart, in a name: formats
// (interlinear annotations, hieroglyph controls, bidi marks), separators, private-use,
// unassigned and surrogate code points, enclosing marks, and symbols (emoji, a musical null
// notehead; mathematical and modifier symbols beyond ASCII's "+" and "^": "a∩∩a" reads as "anna",
// "⦂" as a colon).
bool HiddenInAName(uint32_t c) {
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_MATH_SYMBOL:
    case U_MODIFIER_SYMBOL:
      return c >= 0x80;
    case U_FORMAT_CHAR:
    case U_SPACE_SEPARATOR:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_SURROGATE:
    case U_ENCLOSING_MARK:
    case U_OTHER_SYMBOL:
      return true;
    default:
      return IsBlankCodePoint(c);
  }
}

// Unicode TS #39's "highly restrictive" level: the letters of one script, or Latin with the
// scripts Chinese, Japanese and Korean are written in together.
bool HighlyRestrictive(const std::set<UScriptCode>& scripts) {
  if (scripts.size() <= 1) return true;
  const auto within = [&](std::initializer_list<UScriptCode> allowed) {
    for (UScriptCode s : scripts) {
      if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) return false;
    }
    return true;
  };
  return within({USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_HIRAGANA, USCRIPT_KATAKANA}) ||
         within({USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_BOPOMOFO}) ||
         within({USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_HANGUL});
}

constexpr UChar32 kZeroWidthNonJoiner = 0x200c;
constexpr UChar32 kZeroWidthJoiner = 0x200d;

// Whether the joiner at `i` is one a name is written with (RFC 5892 A.1 and A.2, the CONTEXTJ
// rules IDNA and UTS #31 apply): after a virama ("ශ්‍රී" in Sinhala), or, a ZWNJ, between
// letters that would otherwise join (the Persian "علی‌رضا"). Anywhere else it only hides.
bool JoinerInContext(const std::vector<UChar32>& text, size_t i) {
  constexpr uint8_t kVirama = 9;  // the canonical combining class
  if (i > 0 && u_getCombiningClass(text[i - 1]) == kVirama) return true;
  if (text[i] != kZeroWidthNonJoiner) return false;
  const auto joining = [&text](size_t at) {
    return u_getIntPropertyValue(text[at], UCHAR_JOINING_TYPE);
  };
  size_t before = i;
  while (before > 0 && joining(before - 1) == U_JT_TRANSPARENT) --before;
  size_t after = i + 1;
  while (after < text.size() && joining(after) == U_JT_TRANSPARENT) ++after;
  if (before == 0 || after == text.size()) return false;
  const int left = joining(before - 1);
  const int right = joining(after);
  return (left == U_JT_LEFT_JOINING || left == U_JT_DUAL_JOINING) &&
         (right == U_JT_RIGHT_JOINING || right == U_JT_DUAL_JOINING);
}

}  // namespace

std::string WhyNotAnIdentity(absl::string_view utf8) {
  std::vector<UChar32> text;
  for (size_t at = 0; at < utf8.size();) {
    const std::optional<Decoded> d = DecodeAt(utf8, at);
    if (!d.has_value() || d->code_point > 0x10ffff) return "is not valid UTF-8";
    text.push_back(static_cast<UChar32>(d->code_point));
    at += d->length;
  }
  std::set<UScriptCode> scripts;
  for (size_t i = 0; i < text.size(); ++i) {
    const uint32_t c = static_cast<uint32_t>(text[i]);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return "holds a control character";
    const bool joiner =
        (text[i] == kZeroWidthNonJoiner || text[i] == kZeroWidthJoiner) && JoinerInContext(text, i);
    if (c != 0x20 && !joiner && HiddenInAName(c)) {
      return "holds an invisible, blank, private-use or symbol character other than a space";
    }
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(static_cast<UChar32>(c), &status);
    if (U_SUCCESS(status) && script != USCRIPT_COMMON && script != USCRIPT_INHERITED &&
        script != USCRIPT_UNKNOWN) {
      scripts.insert(script);
    }
  }
  if (!HighlyRestrictive(scripts)) {
    return "mixes the letters of several scripts (Latin with Cyrillic, Greek, Armenian, ...: a "
           "look-alike of another name)";
  }
  return "";
}

absl::Status CheckPersonName(absl::string_view field, absl::string_view value) {
  if (absl::Status s = CheckMatchedName(field, value); !s.ok()) return s;
  if (const std::string why = WhyNotAnIdentity(value); !why.empty()) {
    return FieldError(field, absl::StrCat(why, ", so it names no one who can sign in"));
  }
  return absl::OkStatus();
}

}  // namespace itsm::base
