#include "itsm/limits/field_limits.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/common/v1/limits.pb.h"

namespace itsm::limits {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

struct Limits {
  size_t max_length;
  size_t max_items;
  bool multiline;
};

// A code point as Unicode writes it after "U+": upper-case hex, at least four digits.
std::string CodePointDigits(int code_point) {
  return absl::AsciiStrToUpper(absl::StrCat(absl::Hex(code_point, absl::kZeroPad4)));
}

Limits LimitsOf(const FieldDescriptor* field) {
  const auto& declared = field->options().GetExtension(common::v1::limits);
  return {declared.max_length() > 0 ? declared.max_length() : kDefaultMaxLength,
          declared.max_items() > 0 ? declared.max_items() : kDefaultMaxItems, declared.multiline()};
}

// Characters (code points) of valid UTF-8 (protobuf has already refused invalid UTF-8 in string
// fields while parsing), and the first character that is not allowed, with what it is.
struct TextScan {
  size_t characters = 0;
  int refused = -1;
  const char* what = "";
};

// What `cp` is when a field may not hold it, else null: controls (C0 but the spaces of a
// multi-line field, DEL, C1); in a single-line field, the line separators, which break lines as
// '\n' does, and the bidirectional embeddings, overrides and isolates, which make a name or a
// title read in another order than it is stored ("r1 \u202etxt.exe" shows as "r1 exe.txt"); in
// any field, Unicode's noncharacters, which are not text.
const char* RefusedCharacter(uint32_t cp, bool multiline) {
  const bool allowed_space = multiline && (cp == '\n' || cp == '\r' || cp == '\t');
  if ((cp < 0x20 && !allowed_space) || (cp >= 0x7f && cp <= 0x9f)) return "control character";
  if (!multiline && (cp == 0x2028 || cp == 0x2029)) return "line separator";
  if (!multiline && ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))) {
    return "bidirectional control";
  }
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe) return "noncharacter";
  return nullptr;
}

TextScan Scan(const std::string& text, bool multiline) {
  TextScan scan;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    uint32_t cp = length == 1 ? lead : lead & (0x7f >> length);
    for (size_t k = 1; k < length && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    i += length;
    ++scan.characters;
    if (scan.refused >= 0) continue;
    if (const char* what = RefusedCharacter(cp, multiline); what != nullptr) {
      scan.refused = static_cast<int>(cp);
      scan.what = what;
    }
  }
  return scan;
}

absl::Status CheckString(const std::string& path, const FieldDescriptor* field,
                         const std::string& value, const Limits& limits) {
  if (field->type() == FieldDescriptor::TYPE_BYTES) {
    if (value.size() > limits.max_length) {
      return base::FieldError(path, absl::StrCat("at most ", limits.max_length, " bytes"));
    }
    return absl::OkStatus();
  }
  const TextScan scan = Scan(value, limits.multiline);
  if (scan.characters > limits.max_length) {
    return base::FieldError(
        path, absl::StrCat("at most ", limits.max_length, " characters, got ", scan.characters));
  }
  if (scan.refused >= 0) {
    return base::FieldError(
        path, absl::StrCat(scan.what, " U+", CodePointDigits(scan.refused), " not allowed",
                           limits.multiline || scan.refused >= 0x202a
                               ? ""
                               : " (a single-line field: no line breaks)"));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, const std::string& prefix);

absl::Status CheckKnownFieldsOnly(const Message& message, const std::string& path);

absl::Status CheckWellKnown(const Message& message, const std::string& path, bool* handled) {
  *handled = true;
  ITSM_RETURN_IF_ERROR(CheckKnownFieldsOnly(message, path));
  const Descriptor* d = message.GetDescriptor();
  if (d == google::protobuf::Timestamp::descriptor()) {
    google::protobuf::Timestamp ts;
    ts.CopyFrom(message);
    return base::CheckTimestamp(path, ts);
  }
  if (d == google::protobuf::Duration::descriptor()) {
    google::protobuf::Duration duration;
    duration.CopyFrom(message);
    // google/protobuf/duration.proto: +-10,000 years, nanos of the same sign.
    constexpr int64_t kMaxSeconds = 315'576'000'000;
    const bool same_sign = (duration.seconds() >= 0 && duration.nanos() >= 0) ||
                           (duration.seconds() <= 0 && duration.nanos() <= 0);
    if (duration.seconds() > kMaxSeconds || duration.seconds() < -kMaxSeconds ||
        duration.nanos() > 999'999'999 || duration.nanos() < -999'999'999 || !same_sign) {
      return base::FieldError(path, "not a valid duration");
    }
    return absl::OkStatus();
  }
  *handled = false;
  return absl::OkStatus();
}

absl::Status CheckField(const Message& message, const FieldDescriptor* field,
                        const std::string& path) {
  const Reflection* r = message.GetReflection();
  const Limits limits = LimitsOf(field);
  if (field->is_repeated()) {
    const int n = r->FieldSize(message, field);
    if (static_cast<size_t>(n) > limits.max_items) {
      return base::FieldError(path,
                              absl::StrCat("at most ", limits.max_items, " entries, got ", n));
    }
    for (int i = 0; i < n; ++i) {
      const std::string item = field->is_map() ? path : absl::StrCat(path, "[", i, "]");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        std::string scratch;
        ITSM_RETURN_IF_ERROR(CheckString(
            item, field, r->GetRepeatedStringReference(message, field, i, &scratch), limits));
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        const Message& element = r->GetRepeatedMessage(message, field, i);
        if (field->is_map()) {
          // Keys and values of a map<string, string> share the map's declared length.
          const Descriptor* entry = element.GetDescriptor();
          const Reflection* er = element.GetReflection();
          const FieldDescriptor* key = entry->map_key();
          const FieldDescriptor* value = entry->map_value();
          std::string key_text;
          if (key->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
            // The key is checked first, so that the path naming the value shows a clean key.
            key_text = er->GetString(element, key);
            ITSM_RETURN_IF_ERROR(CheckString(path + " (a key)", key, key_text, limits));
          }
          const std::string value_path = absl::StrCat(path, "[\"", key_text, "\"]");
          if (value->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
            ITSM_RETURN_IF_ERROR(
                CheckString(value_path, value, er->GetString(element, value), limits));
          } else if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            ITSM_RETURN_IF_ERROR(CheckMessage(er->GetMessage(element, value), value_path + "."));
          }
        } else {
          bool handled = false;
          ITSM_RETURN_IF_ERROR(CheckWellKnown(element, item, &handled));
          if (!handled) ITSM_RETURN_IF_ERROR(CheckMessage(element, item + "."));
        }
      }
    }
    return absl::OkStatus();
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    std::string scratch;
    return CheckString(path, field, r->GetStringReference(message, field, &scratch), limits);
  }
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const Message& sub = r->GetMessage(message, field);
    bool handled = false;
    ITSM_RETURN_IF_ERROR(CheckWellKnown(sub, path, &handled));
    if (!handled) return CheckMessage(sub, path + ".");
  }
  return absl::OkStatus();
}

// A field this build does not know (a newer client's, or bytes written by hand) would be kept and
// passed on unseen: no limit bounds it, no audit entry shows it, REST never returns it. Checked
// in every message, a Timestamp's or Duration's too.
absl::Status CheckKnownFieldsOnly(const Message& message, const std::string& path) {
  const google::protobuf::UnknownFieldSet& unknown =
      message.GetReflection()->GetUnknownFields(message);
  if (unknown.empty()) return absl::OkStatus();
  const int number = unknown.field(0).number();
  // The parser keeps a known field sent with another wire type (a number where a string goes) as
  // an unknown one: named as what it is.
  if (const FieldDescriptor* known = message.GetDescriptor()->FindFieldByNumber(number)) {
    return base::FieldError(
        path.empty() || path == "request" ? known->name() : absl::StrCat(path, ".", known->name()),
        absl::StrCat("field number ", number, " was sent encoded as another type than its own (",
                     known->type_name(), ")"));
  }
  return base::FieldError(path, absl::StrCat("field number ", number, " is not a field of ",
                                             message.GetDescriptor()->full_name(),
                                             " in this version of the service; leave it out"));
}

absl::Status CheckMessage(const Message& message, const std::string& prefix) {
  ITSM_RETURN_IF_ERROR(CheckKnownFieldsOnly(
      message, prefix.empty() ? "request" : prefix.substr(0, prefix.size() - 1)));
  // The fields first: a value over its own limit is named as itself, however far over it is
  // (found from outside: a 70,000-character name was blamed on its whole window, one of 40,000
  // on the name). The message's bound is for fields each within theirs.
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    ITSM_RETURN_IF_ERROR(CheckField(message, field, prefix + field->name()));
  }
  const uint32_t cap =
      message.GetDescriptor()->options().GetExtension(common::v1::max_encoded_bytes);
  if (cap > 0) {
    const size_t size = message.ByteSizeLong();
    if (size > cap) {
      // Named by the message's own path ("calendar"), or "request" for the request itself.
      const std::string path = prefix.empty() ? "request" : prefix.substr(0, prefix.size() - 1);
      return base::FieldError(path, absl::StrCat("at most ", cap, " bytes encoded, got ", size,
                                                 "; shorten its longest fields or lists"));
    }
  }
  return absl::OkStatus();
}

size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

size_t MaxSingularSize(const FieldDescriptor* field, const Limits& limits, int depth);

size_t MaxMessageSize(const Descriptor* d, int depth) {
  // Record types do not nest themselves; the guard only stops a future recursive type.
  if (depth > 16) return 0;
  size_t total = 0;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* field = d->field(i);
    const Limits limits = LimitsOf(field);
    const size_t one = MaxSingularSize(field, limits, depth);
    const size_t tag = VarintBytes(static_cast<uint64_t>(field->number()) << 3);
    total += field->is_repeated() ? limits.max_items * (tag + one) : tag + one;
  }
  const uint32_t cap = d->options().GetExtension(common::v1::max_encoded_bytes);
  return cap > 0 ? std::min<size_t>(cap, total) : total;
}

size_t MaxSingularSize(const FieldDescriptor* field, const Limits& limits, int depth) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      const size_t bytes =
          field->type() == FieldDescriptor::TYPE_BYTES ? limits.max_length : 4 * limits.max_length;
      return VarintBytes(bytes) + bytes;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Descriptor* d = field->message_type();
      size_t inner;
      if (d->options().map_entry()) {
        // A map's key and value share the map field's length limit.
        inner = 0;
        for (const FieldDescriptor* part : {d->map_key(), d->map_value()}) {
          inner += 1 + MaxSingularSize(part, limits, depth + 1);
        }
      } else {
        inner = MaxMessageSize(d, depth + 1);
      }
      return VarintBytes(inner) + inner;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return 1;
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_ENUM:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return 10;  // the longest varint; fixed types are shorter
  }
  return 10;
}

}  // namespace

absl::Status CheckFieldLimits(const Message& message) { return CheckMessage(message, ""); }

size_t MaxEncodedSize(const Descriptor* descriptor) { return MaxMessageSize(descriptor, 0); }

}  // namespace itsm::limits
