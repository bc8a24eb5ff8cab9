#include "services/gateway/src/json_syntax.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace itsm::gateway {
namespace {

// What the scanner reads next.
enum class Expect {
  kValue,            // a value (the top, after ':' or after ',' in an array)
  kValueOrArrayEnd,  // after '['
  kKeyOrObjectEnd,   // after '{'
  kKey,              // after ',' in an object
  kColon,            // after a key
  kCommaOrEnd,       // after a value: ',' or the end of its container, or the end of the body
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The length of the valid UTF-8 sequence starting at `i`, 0 when it is not one (overlong forms,
// UTF-16 surrogates and code points past U+10FFFF are not).
size_t Utf8SequenceAt(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t lead = byte(i);
  size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > s.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

class Scanner {
 public:
  explicit Scanner(absl::string_view json) : json_(json) {}

  std::optional<JsonSyntaxError> Run() {
    Expect expect = Expect::kValue;
    while (true) {
      while (i_ < json_.size() && IsSpace(json_[i_])) ++i_;
      if (i_ == json_.size()) {
        if (open_.empty() && expect == Expect::kCommaOrEnd) return std::nullopt;
        return Fail(i_, json_.empty() ? "the body is empty" : "the body ends before its value");
      }
      const char c = json_[i_];
      switch (expect) {
        case Expect::kValueOrArrayEnd:
          if (c == ']') {
            Close();
            expect = Expect::kCommaOrEnd;
            break;
          }
          [[fallthrough]];
        case Expect::kValue:
          if (c == '{' || c == '[') {
            if (open_.size() == kMaxJsonNesting) {
              Fail(i_, absl::StrCat("objects and lists nested more than ", kMaxJsonNesting,
                                    " deep (the gateway's limit)"));
              error_->beyond_limit = true;
              return error_;
            }
            open_.push_back(c);
            ++i_;
            expect = c == '{' ? Expect::kKeyOrObjectEnd : Expect::kValueOrArrayEnd;
          } else {
            if (!Scalar()) return error_;
            expect = Expect::kCommaOrEnd;
          }
          break;
        case Expect::kKeyOrObjectEnd:
          if (c == '}') {
            Close();
            expect = Expect::kCommaOrEnd;
            break;
          }
          [[fallthrough]];
        case Expect::kKey:
          if (c != '"') {
            return Fail(i_, expect == Expect::kKey ? "expected a key (a string in double quotes)"
                                                   : "expected a key (a string in double "
                                                     "quotes) or '}'");
          }
          if (!String()) return error_;
          expect = Expect::kColon;
          break;
        case Expect::kColon:
          if (c != ':') return Fail(i_, "expected ':' after the key");
          ++i_;
          expect = Expect::kValue;
          break;
        case Expect::kCommaOrEnd:
          if (open_.empty()) return Fail(i_, "more text after the JSON value");
          if (c == ',') {
            ++i_;
            expect = open_.back() == '{' ? Expect::kKey : Expect::kValue;
          } else if (c == (open_.back() == '{' ? '}' : ']')) {
            Close();
          } else {
            return Fail(i_, open_.back() == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
          }
          break;
      }
    }
  }

 private:
  void Close() {
    open_.pop_back();
    ++i_;
  }

  // A string, number or literal at i_; false with error_ set when it is none.
  bool Scalar() {
    const char c = json_[i_];
    if (c == '"') return String();
    if (c == '-' || absl::ascii_isdigit(static_cast<unsigned char>(c))) return Number();
    for (absl::string_view literal : {"true", "false", "null"}) {
      if (json_.substr(i_, literal.size()) == literal) {
        i_ += literal.size();
        return true;
      }
    }
    Fail(i_, "expected a value (an object, array, string, number, true, false or null)");
    return false;
  }

  bool String() {
    const size_t start = i_++;
    while (i_ < json_.size()) {
      const auto c = static_cast<uint8_t>(json_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) {
        Fail(i_, "a control character in a string (write it as an escape, e.g. \\n)");
        return false;
      }
      if (c == '\\') {
        if (!Escape()) return false;
      } else if (c < 0x80) {
        ++i_;
      } else if (const size_t length = Utf8SequenceAt(json_, i_); length > 0) {
        i_ += length;
      } else {
        Fail(i_, "a byte that is not UTF-8");
        return false;
      }
    }
    Fail(start, "a string without its closing quote");
    return false;
  }

  // The value of four hexadecimal digits at i_, read; nullopt when they are not.
  std::optional<uint32_t> FourHexDigits() {
    uint32_t value = 0;
    for (int k = 0; k < 4; ++k, ++i_) {
      if (i_ == json_.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(json_[i_]))) {
        return std::nullopt;
      }
      const char h = absl::ascii_tolower(static_cast<unsigned char>(json_[i_]));
      value = value * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : h - 'a' + 10);
    }
    return value;
  }

  bool Escape() {
    const size_t at = i_++;
    if (i_ == json_.size()) {
      Fail(at, "a string without its closing quote");
      return false;
    }
    const char e = json_[i_++];
    if (e == 'u') {
      const std::optional<uint32_t> unit = FourHexDigits();
      if (!unit) {
        Fail(at, "\\u not followed by four hexadecimal digits");
        return false;
      }
      // UTF-16 surrogates come in pairs: half of one is no character.
      if (*unit >= 0xDC00 && *unit <= 0xDFFF) {
        Fail(at,
             "a \\u escape of a lone low surrogate (\\uDC00-\\uDFFF only follows \\uD800-\\uDBFF)");
        return false;
      }
      if (*unit >= 0xD800 && *unit <= 0xDBFF) {
        std::optional<uint32_t> low;
        if (i_ + 1 < json_.size() && json_[i_] == '\\' && json_[i_ + 1] == 'u') {
          i_ += 2;
          low = FourHexDigits();
        }
        if (!low || *low < 0xDC00 || *low > 0xDFFF) {
          Fail(at,
               "a \\u escape of a high surrogate not followed by its low one (\\uDC00-\\uDFFF)");
          return false;
        }
      }
      return true;
    }
    if (absl::string_view("\"\\/bfnrt").find(e) == absl::string_view::npos) {
      Fail(at, "an escape JSON does not have (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      return false;
    }
    return true;
  }

  bool Number() {
    const size_t start = i_;
    const auto digits = [&] {
      const size_t from = i_;
      while (i_ < json_.size() && absl::ascii_isdigit(static_cast<unsigned char>(json_[i_]))) ++i_;
      return i_ > from;
    };
    if (json_[i_] == '-') ++i_;
    if (i_ < json_.size() && json_[i_] == '0') {
      ++i_;  // no other digit may follow a leading zero: the caller finds it out of place
    } else if (!digits()) {
      Fail(start, "a number without digits");
      return false;
    }
    if (i_ < json_.size() && json_[i_] == '.') {
      ++i_;
      if (!digits()) {
        Fail(start, "a number without digits after its '.'");
        return false;
      }
    }
    if (i_ < json_.size() && (json_[i_] == 'e' || json_[i_] == 'E')) {
      ++i_;
      if (i_ < json_.size() && (json_[i_] == '+' || json_[i_] == '-')) ++i_;
      if (!digits()) {
        Fail(start, "a number without digits in its exponent");
        return false;
      }
    }
    // JSON's grammar has no bound, the API's numbers have: one no double holds (1e400) is
    // refused where it is, not as a body protobuf says only "exceeds the range of double" of.
    const std::string text(json_.substr(start, i_ - start));
    errno = 0;
    const double value = std::strtod(text.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(value)) {
      Fail(start, "a number beyond the range of a double (about ±1.8e308)");
      return false;
    }
    return true;
  }

  std::optional<JsonSyntaxError> Fail(size_t at, std::string description) {
    JsonSyntaxError e;
    e.byte = at;
    e.description = std::move(description);
    for (size_t k = 0; k < at; ++k) {
      const auto c = static_cast<uint8_t>(json_[k]);
      if (c == '\n') {
        ++e.line;
        e.column = 1;
      } else if ((c & 0xC0) != 0x80) {  // not a continuation byte: one more character
        ++e.column;
      }
    }
    error_ = e;
    return error_;
  }

  absl::string_view json_;
  size_t i_ = 0;
  std::vector<char> open_;  // '{' and '[' of the containers being read
  std::optional<JsonSyntaxError> error_;
};

}  // namespace

std::string JsonSyntaxError::ToString() const {
  return absl::StrCat(description, " at line ", line, ", column ", column, " (byte ", byte, ")");
}

std::optional<JsonSyntaxError> FindJsonSyntaxError(absl::string_view json) {
  // Some tools write a byte order mark first, which RFC 8259 forbids a sender to add; the one
  // of UTF-16 means the whole body is in an encoding JSON over HTTP does not use.
  if (absl::StartsWith(json, "\xEF\xBB\xBF")) {
    return JsonSyntaxError{.description = "a byte order mark (JSON is sent without one)"};
  }
  if (absl::StartsWith(json, "\xFF\xFE") || absl::StartsWith(json, "\xFE\xFF")) {
    return JsonSyntaxError{.description = "a UTF-16 byte order mark (the body must be UTF-8)"};
  }
  return Scanner(json).Run();
}

}  // namespace itsm::gateway
