#include "services/change/src/ical_export.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "itsm/base/time_util.h"
#include "services/change/src/change_state_machine.h"
#include "services/change/src/scheduled_slot.h"

namespace itsm::change {
namespace {

std::string Stamp(absl::Time t) {
  return absl::FormatTime("%E4Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}
std::string Stamp(const google::protobuf::Timestamp& t) {
  return Stamp(base::FromProtoTimestamp(t));
}

// TEXT values: backslash, semicolon, comma and newline escaped (RFC 5545 3.3.11); other
// control characters were refused at the edge.
std::string Escape(const std::string& text) {
  return absl::StrReplaceAll(
      text,
      {{"\\", "\\\\"}, {";", "\\;"}, {",", "\\,"}, {"\r\n", "\\n"}, {"\n", "\\n"}, {"\r", ""}});
}

// Content lines longer than 75 octets are folded: CRLF and a space, never inside a UTF-8
// sequence.
void AddLine(std::string& out, const std::string& line) {
  size_t start = 0;
  size_t limit = 75;
  while (line.size() - start > limit) {
    size_t cut = start + limit;
    while (cut > start && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    absl::StrAppend(&out, line.substr(start, cut - start), "\r\n ");
    start = cut;
    limit = 74;  // the leading space counts
  }
  absl::StrAppend(&out, line.substr(start), "\r\n");
}

}  // namespace

std::string ToICalendar(const v1::GetChangeCalendarResponse& calendar, absl::Time now) {
  std::string out;
  AddLine(out, "BEGIN:VCALENDAR");
  AddLine(out, "VERSION:2.0");
  AddLine(out, "PRODID:-//itsm//change calendar//EN");
  AddLine(out, "CALSCALE:GREGORIAN");
  for (const v1::Change& c : calendar.changes()) {
    std::string description =
        absl::StrCat(v1::ChangeType_Name(c.type()), ", ", ChangeStateName(c.state()), ", risk ",
                     v1::RiskLevel_Name(c.risk().level()), ", group ", c.assignment_group(),
                     ", assignee ", c.assignee());
    for (const v1::Conflict& k : c.conflicts()) {
      absl::StrAppend(&description, "\nconflict ", v1::ConflictKind_Name(k.kind()), ": ",
                      k.reason());
    }
    AddLine(out, "BEGIN:VEVENT");
    AddLine(out, absl::StrCat("UID:", c.id(), "@itsm-change"));
    AddLine(out, absl::StrCat("DTSTAMP:", Stamp(now)));
    // The calendar holds changes with a scheduled slot; one running without a planned end is
    // shown up to the export.
    const ScheduledSlot slot = ScheduledSlotOf(c).value_or(ScheduledSlot{});
    const absl::Time end =
        slot.open_ended ? std::max(now, slot.interval.start + absl::Minutes(1)) : slot.interval.end;
    AddLine(out, absl::StrCat("DTSTART:", Stamp(slot.interval.start)));
    AddLine(out, absl::StrCat("DTEND:", Stamp(end)));
    AddLine(out, absl::StrCat("SUMMARY:", Escape(absl::StrCat(c.number(), " ", c.title()))));
    AddLine(out, absl::StrCat("DESCRIPTION:", Escape(description)));
    AddLine(out, absl::StrCat("CATEGORIES:CHANGE,", ChangeStateName(c.state())));
    if (c.state() == v1::CHANGE_STATE_CANCELLED) AddLine(out, "STATUS:CANCELLED");
    AddLine(out, "END:VEVENT");
  }
  for (const v1::WindowOccurrence& w : calendar.windows()) {
    const bool blackout = w.kind() == v1::WINDOW_KIND_BLACKOUT;
    AddLine(out, "BEGIN:VEVENT");
    AddLine(out, absl::StrCat("UID:", w.window_id(), "-", Stamp(w.start_time()), "@itsm-change"));
    AddLine(out, absl::StrCat("DTSTAMP:", Stamp(now)));
    AddLine(out, absl::StrCat("DTSTART:", Stamp(w.start_time())));
    AddLine(out, absl::StrCat("DTEND:", Stamp(w.end_time())));
    AddLine(out, absl::StrCat(
                     "SUMMARY:",
                     Escape(absl::StrCat(blackout ? "Blackout: " : "Maintenance: ", w.name()))));
    AddLine(out, absl::StrCat("CATEGORIES:", blackout ? "BLACKOUT" : "MAINTENANCE"));
    AddLine(out, "TRANSP:TRANSPARENT");
    AddLine(out, "END:VEVENT");
  }
  AddLine(out, "END:VCALENDAR");
  return out;
}

}  // namespace itsm::change
