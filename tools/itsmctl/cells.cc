#include "cells.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/base/time_util.h"

namespace itsm::ctl {
namespace {

bool IsUnset(const google::protobuf::Timestamp& time) {
  return time.seconds() == 0 && time.nanos() == 0;
}

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string When(const google::protobuf::Timestamp& time) {
  if (IsUnset(time)) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", base::FromProtoTimestamp(time),
                          absl::LocalTimeZone());
}

std::string When(const google::protobuf::Timestamp& time, const absl::TimeZone& zone) {
  if (IsUnset(time)) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", base::FromProtoTimestamp(time), zone);
}

std::string DurationText(const google::protobuf::Duration& duration) {
  const absl::Duration d = base::FromProtoDuration(duration);
  if (d == absl::ZeroDuration()) return "0s";
  return d < absl::ZeroDuration() ? absl::StrCat("-", absl::FormatDuration(-d))
                                  : absl::FormatDuration(d);
}

std::string EnumWord(absl::string_view enum_name, absl::string_view prefix) {
  if (absl::StartsWith(enum_name, prefix)) enum_name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(enum_name);
}

absl::StatusOr<int> ParseEnumWord(const google::protobuf::EnumDescriptor& type,
                                  const std::string& option, const std::string& word,
                                  absl::string_view prefix) {
  std::string name = absl::StrCat(prefix, absl::AsciiStrToUpper(word));
  std::replace_if(
      name.begin(), name.end(), [](char c) { return c == '-' || c == ' '; }, '_');
  const google::protobuf::EnumValueDescriptor* value = type.FindValueByName(name);
  if (value != nullptr && value->number() != 0) return value->number();
  std::vector<std::string> words;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0) words.push_back(EnumWord(type.value(i)->name(), prefix));
  }
  return absl::InvalidArgumentError(absl::StrCat("--", option, ": unknown value \"", word,
                                                 "\"; one of ", absl::StrJoin(words, ", ")));
}

std::string Clip(absl::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsContinuationByte(text[i])) continue;
    if (chars == max_chars) return absl::StrCat(text.substr(0, i), "…");
    ++chars;
  }
  return std::string(text);
}

size_t CharCount(absl::string_view text) {
  size_t chars = 0;
  for (char c : text) chars += IsContinuationByte(c) ? 0 : 1;
  return chars;
}

}  // namespace itsm::ctl
