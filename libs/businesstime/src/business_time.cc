#include "itsm/businesstime/business_time.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "civil_schedule.h"

// How the real time line maps onto the civil one. Between two UTC-offset changes of the zone
// the local civil time is the real time plus a constant offset, so the business time of such a
// "segment" is the open civil time of the civil range it reads, which CivilSchedule counts in
// O(log). A forward change (spring) jumps over a civil range that is then never read, so its
// working hours count for nothing; a backward change (autumn) reads a civil range twice, so
// its working hours count twice. That is the wall-clock definition, with no DST special case.
//
// Instants carry sub-second parts and so do civil positions here (absl::Duration since
// 1970-01-01T00:00:00 local). Every open/closed boundary is on a whole second, so within one
// second the open count grows with slope 0 or 1, which is what the *Exact helpers rely on.

namespace itsm::businesstime {
namespace {

using internal::CalendarAccess;
using internal::CivilSchedule;

constexpr absl::CivilSecond kCivilEpoch(1970, 1, 1, 0, 0, 0);

// [begin, end) has one UTC offset; `end` is the next offset change or the caller's limit.
struct Segment {
  absl::Time begin;
  absl::Time end;
  int offset_seconds;
};

Segment SegmentAt(const absl::TimeZone& zone, absl::Time t, absl::Time limit) {
  Segment segment{t, limit, zone.At(t).offset};
  absl::TimeZone::CivilTransition transition;
  if (zone.NextTransition(t, &transition)) {
    // `from` is the civil time at the change read in the old offset, so this is the exact
    // instant even when `to` is itself ambiguous. NextTransition only reports changes after
    // t; the test below merely keeps the segment inside [t, limit].
    const absl::Time change =
        absl::FromUnixSeconds((transition.from - kCivilEpoch) - segment.offset_seconds);
    if (change > t && change < limit) segment.end = change;
  }
  return segment;
}

absl::Duration CivilPosition(absl::Time t, int offset_seconds) {
  return (t - absl::UnixEpoch()) + absl::Seconds(offset_seconds);
}

absl::Time FromCivilPosition(absl::Duration position, int offset_seconds) {
  return absl::UnixEpoch() + position - absl::Seconds(offset_seconds);
}

int64_t WholeSeconds(absl::Duration d) {
  return absl::ToInt64Seconds(absl::Floor(d, absl::Seconds(1)));
}

int64_t CeilSeconds(absl::Duration d) {
  return absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)));
}

// Open time before a civil position, sub-seconds included.
absl::Duration OpenBeforeExact(const CivilSchedule& schedule, absl::Duration position) {
  const int64_t second = WholeSeconds(position);
  absl::Duration open = absl::Seconds(schedule.OpenBefore(second));
  if (schedule.IsOpenAt(second)) open += position - absl::Seconds(second);
  return open;
}

// Smallest civil position p in [lo, hi] with OpenBeforeExact(p) >= target.
// Requires OpenBeforeExact(hi) >= target > OpenBeforeExact(lo).
absl::Duration LocateOpenExact(const CivilSchedule& schedule, absl::Duration target,
                               absl::Duration lo, absl::Duration hi) {
  const int64_t whole = WholeSeconds(target);
  const absl::Duration fraction = target - absl::Seconds(whole);
  const int64_t lo_second = WholeSeconds(lo);
  const int64_t hi_second = CeilSeconds(hi);
  absl::Duration position;
  if (fraction == absl::ZeroDuration()) {
    position = absl::Seconds(schedule.LocateOpen(whole, lo_second, hi_second));
  } else {
    // The count passes `whole` inside the open second that ends where it reaches whole + 1.
    position = absl::Seconds(schedule.LocateOpen(whole + 1, lo_second, hi_second) - 1) + fraction;
  }
  return std::max(position, lo);
}

absl::Status CheckSupported(absl::Time t, const char* name) {
  if (t >= kEarliestSupported && t < kLatestSupported) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, " ", absl::FormatTime(t, absl::UTCTimeZone()),
                   " is outside the supported range [1900-01-01, 2400-01-01) UTC"));
}

absl::Status NoOpenTimeError() {
  return absl::FailedPreconditionError(
      "calendar has no working time at all: no weekly hours and no extra working days");
}

std::string HorizonText(absl::Time from) {
  return absl::StrCat("within ", kSearchHorizon / absl::Hours(24), " days after ",
                      absl::FormatTime(from, absl::UTCTimeZone()));
}

}  // namespace

absl::StatusOr<absl::Time> AddBusinessDuration(const Calendar& calendar, absl::Time start,
                                               absl::Duration d) {
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration must be finite and not negative, got ", absl::FormatDuration(d)));
  }
  if (absl::Status status = CheckSupported(start, "start"); !status.ok()) return status;
  if (d == absl::ZeroDuration()) return start;
  const CivilSchedule& schedule = CalendarAccess::Schedule(calendar);
  if (!schedule.has_open_time()) return NoOpenTimeError();

  const absl::Time limit = start + kSearchHorizon;
  absl::Duration remaining = d;
  for (absl::Time t = start; t < limit;) {
    const Segment segment = SegmentAt(calendar.zone(), t, limit);
    const absl::Duration lo = CivilPosition(segment.begin, segment.offset_seconds);
    const absl::Duration hi = CivilPosition(segment.end, segment.offset_seconds);
    const absl::Duration before = OpenBeforeExact(schedule, lo);
    const absl::Duration available = OpenBeforeExact(schedule, hi) - before;
    if (remaining <= available) {
      return FromCivilPosition(LocateOpenExact(schedule, before + remaining, lo, hi),
                               segment.offset_seconds);
    }
    remaining -= available;
    t = segment.end;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "calendar has less than ", absl::FormatDuration(d), " of working time ", HorizonText(start)));
}

absl::Duration BusinessElapsed(const Calendar& calendar, absl::Time from, absl::Time to) {
  // Clamping bounds the loop for infinite endpoints; no offset changes are known past 2437.
  from = std::clamp(from, kEarliestSupported, kLatestSupported);
  to = std::clamp(to, kEarliestSupported, kLatestSupported);
  if (from >= to) return absl::ZeroDuration();
  const CivilSchedule& schedule = CalendarAccess::Schedule(calendar);
  absl::Duration elapsed;
  for (absl::Time t = from; t < to;) {
    const Segment segment = SegmentAt(calendar.zone(), t, to);
    elapsed += OpenBeforeExact(schedule, CivilPosition(segment.end, segment.offset_seconds)) -
               OpenBeforeExact(schedule, CivilPosition(segment.begin, segment.offset_seconds));
    t = segment.end;
  }
  return elapsed;
}

bool IsOpen(const Calendar& calendar, absl::Time t) {
  if (t < kEarliestSupported || t >= kLatestSupported) return false;
  const absl::TimeZone::CivilInfo info = calendar.zone().At(t);
  return CalendarAccess::Schedule(calendar).IsOpenAt(info.cs - kCivilEpoch);
}

absl::StatusOr<absl::Time> NextOpen(const Calendar& calendar, absl::Time t) {
  if (absl::Status status = CheckSupported(t, "t"); !status.ok()) return status;
  const CivilSchedule& schedule = CalendarAccess::Schedule(calendar);
  if (!schedule.has_open_time()) return NoOpenTimeError();
  const absl::Time limit = t + kSearchHorizon;
  for (absl::Time at = t; at < limit;) {
    const Segment segment = SegmentAt(calendar.zone(), at, limit);
    const absl::Duration lo = CivilPosition(segment.begin, segment.offset_seconds);
    const absl::Duration hi = CivilPosition(segment.end, segment.offset_seconds);
    const int64_t lo_second = WholeSeconds(lo);
    // Open at the start of the segment: `t` itself, or a change of offset into open hours.
    if (schedule.IsOpenAt(lo_second)) return segment.begin;
    const int64_t before = schedule.OpenBefore(lo_second);
    if (OpenBeforeExact(schedule, hi) > absl::Seconds(before)) {
      // The first open second is the one at whose end the count first exceeds `before`.
      const int64_t opens = schedule.LocateOpen(before + 1, lo_second, CeilSeconds(hi)) - 1;
      return FromCivilPosition(absl::Seconds(opens), segment.offset_seconds);
    }
    at = segment.end;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("calendar has no working time ", HorizonText(t)));
}

absl::StatusOr<absl::Time> NextClose(const Calendar& calendar, absl::Time t) {
  if (absl::Status status = CheckSupported(t, "t"); !status.ok()) return status;
  const CivilSchedule& schedule = CalendarAccess::Schedule(calendar);
  if (!schedule.has_closed_time()) {
    return absl::FailedPreconditionError(
        "calendar is never closed: open around the clock with no holidays");
  }
  const absl::Time limit = t + kSearchHorizon;
  for (absl::Time at = t; at < limit;) {
    const Segment segment = SegmentAt(calendar.zone(), at, limit);
    const absl::Duration lo = CivilPosition(segment.begin, segment.offset_seconds);
    const absl::Duration hi = CivilPosition(segment.end, segment.offset_seconds);
    const int64_t lo_second = WholeSeconds(lo);
    if (!schedule.IsOpenAt(lo_second)) return segment.begin;
    const int64_t before = schedule.ClosedBefore(lo_second);
    // Closed time before `hi`: the civil position minus the open time before it.
    if (hi - OpenBeforeExact(schedule, hi) > absl::Seconds(before)) {
      const int64_t closes = schedule.LocateClosed(before + 1, lo_second, CeilSeconds(hi)) - 1;
      return FromCivilPosition(absl::Seconds(closes), segment.offset_seconds);
    }
    at = segment.end;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("calendar has no closed time ", HorizonText(t)));
}

}  // namespace itsm::businesstime
