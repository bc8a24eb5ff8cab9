#include "services/gateway/src/proto_json_reader.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "services/gateway/src/utf8.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Deeper bodies go to protobuf's parser, which keeps its own limit.
constexpr int kMaxDepth = 32;
// The range of google.protobuf.Duration.
constexpr int64_t kMaxDurationSeconds = 315576000000;

// A key names the field whose JSON name or proto name it is (as protobuf's parser reads it).
const FieldDescriptor* FieldNamed(const Descriptor& type, const std::string& key) {
  if (const FieldDescriptor* f = type.FindFieldByName(key)) return f;
  if (const FieldDescriptor* f = type.FindFieldByCamelcaseName(key);
      f != nullptr && f->json_name() == key) {
    return f;
  }
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Digits only, at least one, no leading zero (JSON's integer grammar after the sign).
bool IsPlainNatural(absl::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool IsPlainInteger(absl::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return IsPlainNatural(s);
}

// Up to nine digits after the point, as nanoseconds ("5" is 500000000).
bool ParseNanos(absl::string_view digits, int32_t& nanos) {
  if (digits.empty() || digits.size() > 9) return false;
  nanos = 0;
  for (size_t i = 0; i < 9; ++i) {
    if (i < digits.size() && !IsDigit(digits[i])) return false;
    nanos = nanos * 10 + (i < digits.size() ? digits[i] - '0' : 0);
  }
  return true;
}

bool ParseFixedDigits(absl::string_view s, size_t at, size_t count, int& out) {
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (i >= s.size() || !IsDigit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// "2026-12-04T10:00:00Z" with an optional fraction of 1-9 digits; other forms (offsets, lower
// case) are left to protobuf's parser.
bool ParseTimestamp(absl::string_view s, int64_t& seconds, int32_t& nanos) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s.back() != 'Z' || !ParseFixedDigits(s, 0, 4, year) || !ParseFixedDigits(s, 5, 2, month) ||
      !ParseFixedDigits(s, 8, 2, day) || !ParseFixedDigits(s, 11, 2, hour) ||
      !ParseFixedDigits(s, 14, 2, minute) || !ParseFixedDigits(s, 17, 2, second)) {
    return false;
  }
  nanos = 0;
  if (s.size() > 20) {
    if (s[19] != '.' || !ParseNanos(s.substr(20, s.size() - 21), nanos)) return false;
  } else if (s.size() != 20) {
    return false;
  }
  if (year < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // CivilSecond normalises (February 30 becomes March 2): a date that moved did not exist.
  if (civil.year() != year || civil.month() != month || civil.day() != day) return false;
  seconds = absl::ToUnixSeconds(absl::FromCivil(civil, absl::UTCTimeZone()));
  return true;
}

// "-1.5s": seconds and nanos carry the sign, as google.protobuf.Duration does.
bool ParseDuration(absl::string_view s, int64_t& seconds, int32_t& nanos) {
  if (s.size() < 2 || s.back() != 's') return false;
  s.remove_suffix(1);
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  absl::string_view whole = s.substr(0, s.find('.'));
  nanos = 0;
  if (whole.size() < s.size() && !ParseNanos(s.substr(whole.size() + 1), nanos)) return false;
  if (!IsPlainNatural(whole) || whole.size() > 12 || !absl::SimpleAtoi(whole, &seconds)) {
    return false;
  }
  if (seconds > kMaxDurationSeconds) return false;
  if (negative) {
    seconds = -seconds;
    nanos = -nanos;
  }
  return true;
}

// One scalar as read, before it is set or added to its field.
struct Scalar {
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  bool b = false;
  std::string s;
};

class Reader {
 public:
  explicit Reader(absl::string_view json) : p_(json.data()), end_(json.data() + json.size()) {}

  bool ReadRoot(Message& message) {
    if (!ReadObject(message, 0)) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool ConsumeWord(absl::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        absl::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool ReadObject(Message& message, int depth) {
    if (depth > kMaxDepth || !Consume('{')) return false;
    const Descriptor& type = *message.GetDescriptor();
    // A field named twice (by its JSON and its proto name) is protobuf's to judge.
    absl::InlinedVector<bool, 64> seen(static_cast<size_t>(type.field_count()), false);
    if (Consume('}')) return true;
    std::string key;
    do {
      SkipSpace();
      if (!ReadString(key) || !Consume(':')) return false;
      const FieldDescriptor* field = FieldNamed(type, key);
      if (field == nullptr || field->is_map() || seen[field->index()]) return false;
      seen[field->index()] = true;
      const bool read =
          field->is_repeated() ? ReadList(message, *field, depth) : ReadOne(message, *field, depth);
      if (!read) return false;
    } while (Consume(','));
    return Consume('}');
  }

  bool ReadList(Message& message, const FieldDescriptor& field, int depth) {
    if (!Consume('[')) return false;
    if (Consume(']')) return true;
    const Reflection& r = *message.GetReflection();
    do {
      if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (!IsPlainMessage(field) || !ReadObject(*r.AddMessage(&message, &field), depth + 1)) {
          return false;
        }
        continue;
      }
      Scalar value;
      if (!ReadScalar(field, value)) return false;
      Add(message, field, std::move(value));
    } while (Consume(','));
    return Consume(']');
  }

  bool ReadOne(Message& message, const FieldDescriptor& field, int depth) {
    const Reflection& r = *message.GetReflection();
    if (const auto* oneof = field.real_containing_oneof();
        oneof != nullptr && r.HasOneof(message, oneof)) {
      return false;
    }
    if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      Scalar value;
      if (!ReadScalar(field, value)) return false;
      Set(message, field, std::move(value));
      return true;
    }
    const std::string& type = field.message_type()->full_name();
    if (type == "google.protobuf.Timestamp" || type == "google.protobuf.Duration") {
      std::string text;
      int64_t seconds = 0;
      int32_t nanos = 0;
      SkipSpace();
      if (!ReadString(text)) return false;
      const bool parsed = type == "google.protobuf.Timestamp" ? ParseTimestamp(text, seconds, nanos)
                                                              : ParseDuration(text, seconds, nanos);
      if (!parsed) return false;
      Message& time = *r.MutableMessage(&message, &field);
      const Descriptor& time_type = *time.GetDescriptor();
      time.GetReflection()->SetInt64(&time, time_type.FindFieldByNumber(1), seconds);
      time.GetReflection()->SetInt32(&time, time_type.FindFieldByNumber(2), nanos);
      return true;
    }
    return IsPlainMessage(field) && ReadObject(*r.MutableMessage(&message, &field), depth + 1);
  }

  // Messages of the API itself; the other well-known types have JSON forms of their own.
  static bool IsPlainMessage(const FieldDescriptor& field) {
    return field.message_type()->file()->package() != "google.protobuf";
  }

  bool ReadScalar(const FieldDescriptor& field, Scalar& value) {
    SkipSpace();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return field.type() != FieldDescriptor::TYPE_BYTES && ReadString(value.s);
      case FieldDescriptor::CPPTYPE_BOOL:
        if (ConsumeWord("true")) {
          value.b = true;
          return true;
        }
        return ConsumeWord("false");
      case FieldDescriptor::CPPTYPE_ENUM: {
        if (!ReadString(value.s)) return false;
        const auto* named = field.enum_type()->FindValueByName(value.s);
        if (named == nullptr) return false;
        value.i = named->number();
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64:
        return ReadInteger(field, value);
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        return ReadDecimal(field, value);
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return false;
    }
    return false;
  }

  // An integer as a JSON number or a quoted one ("42", as 64-bit integers are written); no
  // fraction or exponent, and within the field's range.
  bool ReadInteger(const FieldDescriptor& field, Scalar& value) {
    std::string quoted;
    absl::string_view text;
    if (p_ < end_ && *p_ == '"') {
      if (!ReadString(quoted)) return false;
      text = quoted;
    } else {
      bool integral = false;
      if (!ReadNumber(text, integral) || !integral) return false;
    }
    if (!IsPlainInteger(text)) return false;
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v = 0;
        if (!absl::SimpleAtoi(text, &v)) return false;
        value.i = v;
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT64:
        return absl::SimpleAtoi(text, &value.i);
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v = 0;
        if (text[0] == '-' || !absl::SimpleAtoi(text, &v)) return false;
        value.u = v;
        return true;
      }
      default:
        return text[0] != '-' && absl::SimpleAtoi(text, &value.u);
    }
  }

  // A JSON number (quoted forms such as "NaN" go to protobuf's parser). An integer converts only
  // where the field holds it exactly, as protobuf requires.
  bool ReadDecimal(const FieldDescriptor& field, Scalar& value) {
    absl::string_view text;
    bool integral = false;
    if (!ReadNumber(text, integral)) return false;
    const bool is_float = field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT;
    if (integral) {
      int64_t v = 0;
      const int64_t exact = is_float ? (int64_t{1} << 24) : (int64_t{1} << 53);
      if (!absl::SimpleAtoi(text, &v) || v > exact || v < -exact) return false;
      value.d = static_cast<double>(v);
      return true;
    }
    if (!absl::SimpleAtod(text, &value.d) || !std::isfinite(value.d)) return false;
    return !is_float || std::fabs(value.d) <= std::numeric_limits<float>::max();
  }

  // A number in JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool ReadNumber(absl::string_view& text, bool& integral) {
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    integral = true;
    if (p_ < end_ && *p_ == '.') {
      integral = false;
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    text = absl::string_view(start, static_cast<size_t>(p_ - start));
    return true;
  }

  // A JSON string in double quotes: its escapes decoded, its UTF-8 checked (RFC 3629: no
  // overlong forms, surrogates or code points above U+10FFFF). NUL is left to protobuf.
  bool ReadString(std::string& out) {
    out.clear();
    if (p_ == end_ || *p_ != '"') return false;
    ++p_;
    while (p_ < end_) {
      const char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20 &&
             static_cast<unsigned char>(*p_) < 0x80) {
        ++p_;
      }
      out.append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return false;
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        const size_t length = Utf8SequenceLength();
        if (length == 0) return false;
        out.append(p_, length);
        p_ += length;
        continue;
      }
      if (!ReadEscape(out)) return false;
    }
    return false;
  }

  bool ReadEscape(std::string& out) {
    ++p_;  // the backslash
    if (p_ == end_) return false;
    const char c = *p_++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    uint32_t code = 0;
    if (!ReadHex4(code) || code == 0 || (code >= 0xDC00 && code <= 0xDFFF)) return false;
    if (code >= 0xD800 && code <= 0xDBFF) {
      uint32_t low = 0;
      if (!ConsumeWord("\\u") || !ReadHex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(code, out);
    return true;
  }

  bool ReadHex4(uint32_t& code) {
    if (end_ - p_ < 4) return false;
    code = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = *p_++;
      const int v = IsDigit(h)               ? h - '0'
                    : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                    : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                             : -1;
      if (v < 0) return false;
      code = code * 16 + static_cast<uint32_t>(v);
    }
    return true;
  }

  // The length of the well-formed UTF-8 sequence at p_, or 0 (RFC 3629's table).
  size_t Utf8SequenceLength() const {
    const auto byte = [&](size_t i) -> unsigned {
      return p_ + i < end_ ? static_cast<unsigned char>(p_[i]) : 0u;
    };
    const auto tail = [&](size_t i) { return byte(i) >= 0x80 && byte(i) <= 0xBF; };
    const unsigned b0 = byte(0);
    if (b0 >= 0xC2 && b0 <= 0xDF) return tail(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
      const unsigned low = b0 == 0xE0 ? 0xA0 : 0x80;
      const unsigned high = b0 == 0xED ? 0x9F : 0xBF;
      return byte(1) >= low && byte(1) <= high && tail(2) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
      const unsigned low = b0 == 0xF0 ? 0x90 : 0x80;
      const unsigned high = b0 == 0xF4 ? 0x8F : 0xBF;
      return byte(1) >= low && byte(1) <= high && tail(2) && tail(3) ? 4 : 0;
    }
    return 0;
  }

  static void Set(Message& m, const FieldDescriptor& f, Scalar value) {
    const Reflection& r = *m.GetReflection();
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return r.SetInt32(&m, &f, static_cast<int32_t>(value.i));
      case FieldDescriptor::CPPTYPE_INT64:
        return r.SetInt64(&m, &f, value.i);
      case FieldDescriptor::CPPTYPE_UINT32:
        return r.SetUInt32(&m, &f, static_cast<uint32_t>(value.u));
      case FieldDescriptor::CPPTYPE_UINT64:
        return r.SetUInt64(&m, &f, value.u);
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return r.SetDouble(&m, &f, value.d);
      case FieldDescriptor::CPPTYPE_FLOAT:
        return r.SetFloat(&m, &f, static_cast<float>(value.d));
      case FieldDescriptor::CPPTYPE_BOOL:
        return r.SetBool(&m, &f, value.b);
      case FieldDescriptor::CPPTYPE_ENUM:
        return r.SetEnumValue(&m, &f, static_cast<int>(value.i));
      case FieldDescriptor::CPPTYPE_STRING:
        return r.SetString(&m, &f, std::move(value.s));
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return;
    }
  }

  static void Add(Message& m, const FieldDescriptor& f, Scalar value) {
    const Reflection& r = *m.GetReflection();
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return r.AddInt32(&m, &f, static_cast<int32_t>(value.i));
      case FieldDescriptor::CPPTYPE_INT64:
        return r.AddInt64(&m, &f, value.i);
      case FieldDescriptor::CPPTYPE_UINT32:
        return r.AddUInt32(&m, &f, static_cast<uint32_t>(value.u));
      case FieldDescriptor::CPPTYPE_UINT64:
        return r.AddUInt64(&m, &f, value.u);
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return r.AddDouble(&m, &f, value.d);
      case FieldDescriptor::CPPTYPE_FLOAT:
        return r.AddFloat(&m, &f, static_cast<float>(value.d));
      case FieldDescriptor::CPPTYPE_BOOL:
        return r.AddBool(&m, &f, value.b);
      case FieldDescriptor::CPPTYPE_ENUM:
        return r.AddEnumValue(&m, &f, static_cast<int>(value.i));
      case FieldDescriptor::CPPTYPE_STRING:
        return r.AddString(&m, &f, std::move(value.s));
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return;
    }
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool ReadProtoJson(absl::string_view json, google::protobuf::Message& message) {
  return Reader(json).ReadRoot(message);
}

}  // namespace itsm::gateway
