#include "services/supplier/src/contact_details.h"

#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"

namespace itsm::supplier {
namespace {

constexpr size_t kMaxLocalPart = 64;
constexpr size_t kMaxDomain = 253;
constexpr size_t kMaxLabel = 63;
constexpr int kMinDigits = 3;
constexpr int kMaxDigits = 20;

// A byte of a UTF-8 sequence: letters of other scripts are welcome in addresses (RFC 6531).
bool IsUtf8Byte(char c) { return static_cast<unsigned char>(c) >= 0x80; }

bool IsLocalPartChar(char c) {
  return absl::ascii_isalnum(c) || IsUtf8Byte(c) ||
         absl::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != absl::string_view::npos;
}

bool IsLabelChar(char c) { return absl::ascii_isalnum(c) || IsUtf8Byte(c) || c == '-'; }

// The code point starting at text[i] and its length in bytes (the text is valid UTF-8: the
// request was parsed as proto3).
uint32_t CodePointAt(absl::string_view text, size_t i, size_t& length) {
  const auto lead = static_cast<unsigned char>(text[i]);
  length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  if (length == 1) return lead;
  uint32_t code = lead & (length == 4 ? 0x07 : length == 3 ? 0x0f : 0x1f);
  for (size_t k = 1; k < length && i + k < text.size(); ++k) {
    code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
  }
  return code;
}

// The character starting at text[i], quoted whole for an error message — one byte of it would
// be half a character, and invalid UTF-8 in the answer: "'x'", or "' ' (U+00A0)".
std::string Quoted(absl::string_view text, size_t i) {
  size_t length = 1;
  const uint32_t code = CodePointAt(text, i, length);
  if (code < 0x80) return absl::StrCat("'", text.substr(i, 1), "'");
  return absl::StrCat("'", text.substr(i, length), "' (U+", absl::StrFormat("%04X", code), ")");
}

// Punctuation, symbols, spaces and format characters outside ASCII, by block: what an address's
// letters of other scripts are not (a soft hyphen, a telephone sign, a no-break space, a
// full-width @, an emoji).
// Also what shows as nothing or as something else: fillers (Hangul), invisible joiners and
// variation selectors, full- and half-width forms (`ａｎｎ` for `ann`), private-use and
// non-characters.
bool IsSymbolOrFormat(uint32_t code) {
  return (code >= 0x80 && code <= 0xBF) || code == 0xD7 || code == 0xF7 || code == 0x34F ||
         code == 0x115F || code == 0x1160 || code == 0x17B4 || code == 0x17B5 ||
         (code >= 0x180B && code <= 0x180F) || (code >= 0x2000 && code <= 0x2BFF) ||
         (code >= 0x3000 && code <= 0x303F) || code == 0x3164 ||
         (code >= 0xE000 && code <= 0xF8FF) || (code >= 0xFDD0 && code <= 0xFDEF) ||
         (code >= 0xFE00 && code <= 0xFE6F) || (code >= 0xFF00 && code <= 0xFFFF) ||
         (code >= 0x1F000 && code <= 0x1FAFF) || (code & 0xFFFE) == 0xFFFE || code >= 0xE0000;
}

// A combining mark with nothing before it to combine with.
bool IsCombiningMark(uint32_t code) {
  return (code >= 0x300 && code <= 0x36F) || (code >= 0x1AB0 && code <= 0x1AFF) ||
         (code >= 0x1DC0 && code <= 0x1DFF) || (code >= 0x20D0 && code <= 0x20FF);
}

}  // namespace

absl::Status CheckEmailAddress(const std::string& field, absl::string_view address) {
  const size_t at = address.rfind('@');
  if (at == absl::string_view::npos) {
    return base::FieldError(field, "not an e-mail address (no @)");
  }
  const absl::string_view local = address.substr(0, at);
  const absl::string_view domain = address.substr(at + 1);
  if (local.empty() || local.size() > kMaxLocalPart) {
    return base::FieldError(
        field, absl::StrCat("the part before @ must have 1 to ", kMaxLocalPart, " characters"));
  }
  for (size_t i = 0; i < local.size(); ++i) {
    if (local[i] == ' ' || local[i] == '\t') {
      return base::FieldError(field, "must not contain blanks");
    }
    if (!IsLocalPartChar(local[i])) {
      return base::FieldError(field,
                              absl::StrCat(Quoted(local, i), " is not allowed before the @"));
    }
  }
  // Letters of any script, but no symbol, invisible, blank or format character (a zero-width
  // space, a no-break space, a right-to-left override) and no look-alike mix of scripts.
  for (size_t i = 0, length = 1; i < address.size(); i += length) {
    const uint32_t code = CodePointAt(address, i, length);
    const bool starts_part = i == 0 || address[i - 1] == '@' || address[i - 1] == '.';
    if (IsSymbolOrFormat(code) || (starts_part && IsCombiningMark(code))) {
      return base::FieldError(field, absl::StrCat(Quoted(address, i), " is not a letter"));
    }
  }
  // Each part in one script (иван@example.com is fine, a Cyrillic "а" inside "pаypal" is not):
  // the mailbox and every label of the domain on its own.
  std::vector<absl::string_view> parts = absl::StrSplit(address.substr(at + 1), '.');
  parts.push_back(local);
  for (absl::string_view part : parts) {
    if (const std::string why = base::WhyNotAnIdentity(part); !why.empty() && !part.empty()) {
      return base::FieldError(field, why);
    }
  }
  if (local.front() == '.' || local.back() == '.' || absl::StrContains(local, "..")) {
    return base::FieldError(field, "the part before @ must not start, end or repeat a '.'");
  }
  if (domain.empty() || domain.size() > kMaxDomain) {
    return base::FieldError(field, "needs a domain after the @, e.g. name@example.com");
  }
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) {
    return base::FieldError(
        field, absl::StrCat("\"", domain, "\" is not a domain mail can reach (no dot)"));
  }
  for (absl::string_view label : labels) {
    bool valid =
        !label.empty() && label.size() <= kMaxLabel && label.front() != '-' && label.back() != '-';
    for (char c : label) valid = valid && IsLabelChar(c);
    if (!valid) {
      return base::FieldError(field, absl::StrCat("\"", domain, "\" is not a valid domain"));
    }
  }
  // "a@1.2.3.4": an address literal needs brackets, and no top-level domain is all digits.
  bool top_level_has_letter = false;
  for (char c : labels.back()) top_level_has_letter |= !absl::ascii_isdigit(c);
  if (!top_level_has_letter) {
    return base::FieldError(field, absl::StrCat("\"", domain, "\" is not a domain mail can reach"));
  }
  return absl::OkStatus();
}

absl::Status CheckPhoneNumber(const std::string& field, absl::string_view number) {
  absl::string_view rest = number;
  if (!rest.empty() && rest.front() == '+') rest.remove_prefix(1);
  int digits = 0;
  size_t i = 0;
  for (; i < rest.size(); ++i) {
    const char c = rest[i];
    if (absl::ascii_isdigit(c)) {
      ++digits;
    } else if (absl::ascii_isalpha(c)) {
      break;  // the extension, if that is what follows
    } else if (absl::string_view(" -./()").find(c) == absl::string_view::npos) {
      return base::FieldError(
          field, absl::StrCat(Quoted(rest, i),
                              " is not part of a phone number (digits, spaces, + - . / ( ))"));
    }
  }
  if (digits < kMinDigits || digits > kMaxDigits) {
    return base::FieldError(field, absl::StrCat("a phone number has ", kMinDigits, " to ",
                                                kMaxDigits, " digits, this one ", digits));
  }
  if (i < rest.size()) {
    const std::string lower = absl::AsciiStrToLower(rest.substr(i));
    absl::string_view extension = lower;
    const bool named = absl::ConsumePrefix(&extension, "ext.") ||
                       absl::ConsumePrefix(&extension, "ext") ||
                       absl::ConsumePrefix(&extension, "x");
    extension = absl::StripLeadingAsciiWhitespace(extension);
    bool all_digits = named && !extension.empty() && extension.size() <= 10;
    for (char c : extension) all_digits = all_digits && absl::ascii_isdigit(c);
    if (!all_digits) {
      return base::FieldError(field,
                              "after the number only an extension may follow, e.g. \"ext. 12\"");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNewContactDetails(const std::string& prefix, const v1::Supplier& before,
                                    const v1::Supplier& after) {
  std::set<std::string> emails;
  std::set<std::string> phones;
  for (const v1::Contact& c : before.contacts()) {
    emails.insert(c.email());
    phones.insert(c.phone());
  }
  for (int i = 0; i < after.contacts_size(); ++i) {
    const v1::Contact& c = after.contacts(i);
    const std::string at = absl::StrCat(prefix, "contacts[", i, "]");
    if (!c.email().empty() && !emails.contains(c.email())) {
      ITSM_RETURN_IF_ERROR(CheckEmailAddress(at + ".email", c.email()));
    }
    if (!c.phone().empty() && !phones.contains(c.phone())) {
      ITSM_RETURN_IF_ERROR(CheckPhoneNumber(at + ".phone", c.phone()));
    }
  }
  return absl::OkStatus();
}

}  // namespace itsm::supplier
