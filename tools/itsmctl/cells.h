// How values read in itsmctl's tables, the same in every command: times to the second in local
// time (or in an SLA calendar's zone, named), durations as Go-style text, enum values as their
// last words, long text clipped on a character boundary.
//
//   rows.push_back({c.number(), EnumWord(v1::ChangeState_Name(c.state()), "CHANGE_STATE_"),
//                   When(c.create_time()), Clip(c.title(), 40)});
#ifndef ITSM_TOOLS_ITSMCTL_CELLS_H_
#define ITSM_TOOLS_ITSMCTL_CELLS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/generated_enum_reflection.h"
#include "google/protobuf/timestamp.pb.h"

namespace itsm::ctl {

// "2026-12-05 09:40:12" in the machine's local time; "-" when unset.
std::string When(const google::protobuf::Timestamp& time);

// "2026-12-05 10:40:12 CET" in `zone`, named; "-" when unset. For times that belong to a
// calendar (an SLA clock's due time), where the zone is part of the answer.
std::string When(const google::protobuf::Timestamp& time, const absl::TimeZone& zone);

// "4h30m", "-15m", "0s".
std::string DurationText(const google::protobuf::Duration& duration);

// "CHANGE_STATE_IMPLEMENT" less "CHANGE_STATE_", in lower case: "implement".
std::string EnumWord(absl::string_view enum_name, absl::string_view prefix);

// The value of enum `type` a command-line word names: "account_manager" (any case, '-' or ' '
// for '_') after `prefix` "CONTACT_ROLE_". Otherwise INVALID_ARGUMENT naming --`option` and
// listing the words it takes; the zero value (UNSPECIFIED) is never one.
absl::StatusOr<int> ParseEnumWord(const google::protobuf::EnumDescriptor& type,
                                  const std::string& option, const std::string& word,
                                  absl::string_view prefix);
template <typename Enum>
absl::StatusOr<Enum> ParseEnumWord(const std::string& option, const std::string& word,
                                   absl::string_view prefix) {
  absl::StatusOr<int> number =
      ParseEnumWord(*google::protobuf::GetEnumDescriptor<Enum>(), option, word, prefix);
  if (!number.ok()) return number.status();
  return static_cast<Enum>(*number);
}

// The first `max_chars` characters of UTF-8 `text`, and "…" when more followed: never a
// character cut in half on the user's terminal.
std::string Clip(absl::string_view text, size_t max_chars);

// The characters (not bytes) of UTF-8 `text`: what a table's column is sized by.
size_t CharCount(absl::string_view text);

}  // namespace itsm::ctl

#endif  // ITSM_TOOLS_ITSMCTL_CELLS_H_
