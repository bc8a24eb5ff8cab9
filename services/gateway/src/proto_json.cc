#include "services/gateway/src/proto_json.h"

#include <cmath>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/strutil.h"
#include "google/protobuf/util/json_util.h"

namespace itsm::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

enum class Kind { kPlain, kTimestamp, kDuration, kFieldMask, kOtherWellKnown };

Kind KindOf(const Descriptor& type) {
  if (type.file()->name().rfind("google/protobuf/", 0) != 0) return Kind::kPlain;
  if (type.full_name() == "google.protobuf.Timestamp") return Kind::kTimestamp;
  if (type.full_name() == "google.protobuf.Duration") return Kind::kDuration;
  if (type.full_name() == "google.protobuf.FieldMask") return Kind::kFieldMask;
  return Kind::kOtherWellKnown;
}

// Whether every message type reachable from `type` is plain or a supported well-known type.
// `seen` breaks recursive types (a type in progress counts as supported).
bool Supported(const Descriptor& type, absl::flat_hash_map<const Descriptor*, bool>& seen) {
  if (auto it = seen.find(&type); it != seen.end()) return it->second;
  const Kind kind = KindOf(type);
  if (kind != Kind::kPlain) return seen[&type] = kind != Kind::kOtherWellKnown;
  seen[&type] = true;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !Supported(*field.message_type(), seen)) {
      return seen[&type] = false;
    }
  }
  return true;
}

// Fraction of a second in 0, 3, 6 or 9 digits, as protobuf's JSON writes Timestamp and Duration.
void AppendNanos(std::string& out, int32_t nanos) {
  if (nanos == 0) return;
  if (nanos % 1000000 == 0) {
    absl::StrAppendFormat(&out, ".%03d", nanos / 1000000);
  } else if (nanos % 1000 == 0) {
    absl::StrAppendFormat(&out, ".%06d", nanos / 1000);
  } else {
    absl::StrAppendFormat(&out, ".%09d", nanos);
  }
}

// "update_time" -> "updateTime", as FieldMask paths are written in JSON.
std::string LowerCamel(absl::string_view path) {
  std::string out;
  bool upper = false;
  for (char c : path) {
    if (c == '_') {
      upper = true;
    } else {
      out.push_back(upper ? absl::ascii_toupper(c) : c);
      upper = false;
    }
  }
  return out;
}

class JsonWriter {
 public:
  std::string Take() { return std::move(out_); }

  void WriteMessage(const Message& message) {
    const Descriptor& type = *message.GetDescriptor();
    switch (KindOf(type)) {
      case Kind::kTimestamp:
        return WriteTimestamp(message);
      case Kind::kDuration:
        return WriteDuration(message);
      case Kind::kFieldMask:
        return WriteFieldMask(message);
      default:
        break;
    }
    const Reflection& reflection = *message.GetReflection();
    out_.push_back('{');
    bool first = true;
    for (int i = 0; i < type.field_count(); ++i) {
      const FieldDescriptor& field = *type.field(i);
      if (!field.is_repeated() && field.has_presence() && !reflection.HasField(message, &field)) {
        continue;
      }
      if (!first) out_.push_back(',');
      first = false;
      WriteString(field.json_name());
      out_.push_back(':');
      if (field.is_map()) {
        WriteMap(message, field);
      } else if (field.is_repeated()) {
        out_.push_back('[');
        const int size = reflection.FieldSize(message, &field);
        for (int index = 0; index < size; ++index) {
          if (index > 0) out_.push_back(',');
          WriteValue(message, field, index);
        }
        out_.push_back(']');
      } else {
        WriteValue(message, field, -1);
      }
    }
    out_.push_back('}');
  }

 private:
  void WriteMap(const Message& message, const FieldDescriptor& field) {
    const Reflection& reflection = *message.GetReflection();
    const FieldDescriptor& key = *field.message_type()->map_key();
    const FieldDescriptor& value = *field.message_type()->map_value();
    out_.push_back('{');
    const int size = reflection.FieldSize(message, &field);
    for (int index = 0; index < size; ++index) {
      if (index > 0) out_.push_back(',');
      const Message& entry = reflection.GetRepeatedMessage(message, &field, index);
      // Keys are strings in JSON whatever their type.
      if (key.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
        WriteValue(entry, key, -1);
      } else {
        const size_t start = out_.size();
        WriteValue(entry, key, -1);
        if (out_[start] != '"') {
          out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(start), '"');
          out_.push_back('"');
        }
      }
      out_.push_back(':');
      WriteValue(entry, value, -1);
    }
    out_.push_back('}');
  }

  // The value of a singular field (index -1) or of one element of a repeated field.
  void WriteValue(const Message& message, const FieldDescriptor& field, int index) {
    const Reflection& r = *message.GetReflection();
    const bool one = index < 0;
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        absl::StrAppend(
            &out_, one ? r.GetInt32(message, &field) : r.GetRepeatedInt32(message, &field, index));
        return;
      case FieldDescriptor::CPPTYPE_UINT32:
        absl::StrAppend(&out_, one ? r.GetUInt32(message, &field)
                                   : r.GetRepeatedUInt32(message, &field, index));
        return;
      case FieldDescriptor::CPPTYPE_INT64:
        absl::StrAppend(
            &out_, "\"",
            one ? r.GetInt64(message, &field) : r.GetRepeatedInt64(message, &field, index), "\"");
        return;
      case FieldDescriptor::CPPTYPE_UINT64:
        absl::StrAppend(
            &out_, "\"",
            one ? r.GetUInt64(message, &field) : r.GetRepeatedUInt64(message, &field, index), "\"");
        return;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return WriteDouble(
            one ? r.GetDouble(message, &field) : r.GetRepeatedDouble(message, &field, index),
            /*is_float=*/false);
      case FieldDescriptor::CPPTYPE_FLOAT:
        return WriteDouble(
            one ? r.GetFloat(message, &field) : r.GetRepeatedFloat(message, &field, index),
            /*is_float=*/true);
      case FieldDescriptor::CPPTYPE_BOOL:
        out_ += (one ? r.GetBool(message, &field) : r.GetRepeatedBool(message, &field, index))
                    ? "true"
                    : "false";
        return;
      case FieldDescriptor::CPPTYPE_ENUM: {
        const int number =
            one ? r.GetEnumValue(message, &field) : r.GetRepeatedEnumValue(message, &field, index);
        if (field.enum_type()->full_name() == "google.protobuf.NullValue") {
          out_ += "null";
        } else if (const auto* value = field.enum_type()->FindValueByNumber(number)) {
          WriteString(value->name());
        } else {
          absl::StrAppend(&out_, number);  // a value this build does not know
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& text =
            one ? r.GetStringReference(message, &field, &scratch)
                : r.GetRepeatedStringReference(message, &field, index, &scratch);
        if (field.type() == FieldDescriptor::TYPE_BYTES) {
          absl::StrAppend(&out_, "\"", absl::Base64Escape(text), "\"");
        } else {
          WriteString(text);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return WriteMessage(one ? r.GetMessage(message, &field)
                                : r.GetRepeatedMessage(message, &field, index));
    }
  }

  void WriteDouble(double value, bool is_float) {
    if (std::isnan(value)) {
      out_ += "\"NaN\"";
    } else if (std::isinf(value)) {
      out_ += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
      // The shortest text that reads back the same value, as protobuf writes it.
      out_ += is_float ? google::protobuf::SimpleFtoa(static_cast<float>(value))
                       : google::protobuf::SimpleDtoa(value);
    }
  }

  void WriteTimestamp(const Message& timestamp) {
    const Reflection& r = *timestamp.GetReflection();
    const Descriptor& type = *timestamp.GetDescriptor();
    const int64_t seconds = r.GetInt64(timestamp, type.FindFieldByNumber(1));
    const int32_t nanos = r.GetInt32(timestamp, type.FindFieldByNumber(2));
    out_.push_back('"');
    out_ += absl::FormatTime("%E4Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(seconds),
                             absl::UTCTimeZone());
    AppendNanos(out_, nanos);
    out_ += "Z\"";
  }

  void WriteDuration(const Message& duration) {
    const Reflection& r = *duration.GetReflection();
    const Descriptor& type = *duration.GetDescriptor();
    const int64_t seconds = r.GetInt64(duration, type.FindFieldByNumber(1));
    const int32_t nanos = r.GetInt32(duration, type.FindFieldByNumber(2));
    out_.push_back('"');
    if (seconds < 0 || nanos < 0) out_.push_back('-');
    absl::StrAppend(&out_, seconds < 0 ? -static_cast<uint64_t>(seconds) : seconds);
    AppendNanos(out_, std::abs(nanos));
    out_ += "s\"";
  }

  void WriteFieldMask(const Message& mask) {
    const Reflection& r = *mask.GetReflection();
    const FieldDescriptor& paths = *mask.GetDescriptor()->FindFieldByNumber(1);
    std::string joined;
    for (int i = 0; i < r.FieldSize(mask, &paths); ++i) {
      if (i > 0) joined.push_back(',');
      joined += LowerCamel(r.GetRepeatedString(mask, &paths, i));
    }
    WriteString(joined);
  }

  // A JSON string. Besides what JSON requires, '<', '>', DEL and the two line separators that
  // break JavaScript are escaped, as protobuf does, so the text is safe inside HTML or a script.
  // The characters that need no escape are appended in runs.
  void WriteString(absl::string_view text) {
    out_.push_back('"');
    size_t plain = 0;  // the first character not written yet
    for (size_t i = 0; i < text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      const bool separator = c == 0xe2 && i + 2 < text.size() &&
                             static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                             (static_cast<unsigned char>(text[i + 2]) == 0xa8 ||
                              static_cast<unsigned char>(text[i + 2]) == 0xa9);
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != 0x7f && !separator) {
        continue;
      }
      out_.append(text.data() + plain, i - plain);
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default:
          if (separator) {
            out_ += static_cast<unsigned char>(text[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
            i += 2;
          } else {
            absl::StrAppendFormat(&out_, "\\u%04x", c);
          }
      }
      plain = i + 1;
    }
    out_.append(text.data() + plain, text.size() - plain);
    out_.push_back('"');
  }

  std::string out_;
};

}  // namespace

bool ProtoJsonWritesDirectly(const Descriptor& type) {
  // Per thread, so that the answer costs no lock: a few dozen types, worked out once each.
  thread_local absl::flat_hash_map<const Descriptor*, bool> known;
  if (auto it = known.find(&type); it != known.end()) return it->second;
  absl::flat_hash_map<const Descriptor*, bool> seen;
  const bool supported = KindOf(type) == Kind::kPlain && Supported(type, seen);
  known[&type] = supported;
  return supported;
}

std::string ProtoJson(const Message& message) {
  if (!ProtoJsonWritesDirectly(*message.GetDescriptor())) {
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(message, &json, options);
    return json;
  }
  JsonWriter writer;
  writer.WriteMessage(message);
  return writer.Take();
}

}  // namespace itsm::gateway
