// How little open time a clock on a calendar can meet within the search horizon: the check that
// a target saved today still falls due for a clock started years from now, after the last
// holiday someone listed, or across a time-zone change.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "civil_schedule.h"
#include "itsm/businesstime/business_time.h"

namespace itsm::businesstime {
namespace {

using internal::CalendarAccess;

constexpr absl::Duration kDay = absl::Hours(24);
// A week and a day after an event: every weekday's closings and openings, whatever the offset.
constexpr absl::Duration kWeekAfterAnEvent = absl::Hours(24 * 8);
// Past the last event the week repeats, and the zone's offset changes repeat yearly.
constexpr absl::Duration kPastTheLastEvent = absl::Hours(24 * 731);

absl::Time StartOfDay(const absl::TimeZone& zone, int64_t day) {
  const absl::TimeZone::TimeInfo info =
      zone.At(absl::CivilSecond(absl::CivilDay(1970, 1, 1) + day));
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

// The first instant after t at which the zone's UTC offset changes; nullopt when none is known.
std::optional<absl::Time> NextOffsetChange(const absl::TimeZone& zone, absl::Time t) {
  absl::TimeZone::CivilTransition transition;
  if (!zone.NextTransition(t, &transition)) return std::nullopt;
  // `from` is the change's civil time in the offset before it, the offset at t.
  const absl::Time change = absl::FromUnixSeconds(
      (transition.from - absl::CivilSecond(1970, 1, 1, 0, 0, 0)) - zone.At(t).offset);
  if (change <= t) return std::nullopt;  // no progress: never expected from the tz library
  return change;
}

struct Range {
  absl::Time begin;
  absl::Time end;
};

// The instants at which the start of a span of kSearchHorizon, or its end, meets a dated
// exception or a UTC-offset change, up to `end`: the weekly repetition breaks only there.
std::vector<absl::Time> Events(const Calendar& calendar, absl::Time from, absl::Time end) {
  const absl::TimeZone& zone = calendar.zone();
  std::vector<absl::Time> events = {from};
  for (int64_t day : CalendarAccess::Schedule(calendar).exception_days()) {
    const absl::Time at = StartOfDay(zone, day);
    events.push_back(at);
    events.push_back(at - kSearchHorizon);
  }
  for (const absl::Duration lead : {absl::ZeroDuration(), kSearchHorizon}) {
    for (std::optional<absl::Time> change = NextOffsetChange(zone, from + lead);
         change && *change <= end + lead; change = NextOffsetChange(zone, *change)) {
      events.push_back(*change - lead);
    }
  }
  return events;
}

// The days around each event, clipped to [from, end] and merged.
std::vector<Range> RangesToScan(std::vector<absl::Time> events, absl::Time from, absl::Time end) {
  std::sort(events.begin(), events.end());
  std::vector<Range> ranges;
  for (absl::Time e : events) {
    const Range r{std::max(from, e - kDay), std::min(end, e + kWeekAfterAnEvent)};
    if (r.begin > r.end) continue;
    if (!ranges.empty() && r.begin <= ranges.back().end) {
      ranges.back().end = std::max(ranges.back().end, r.end);
    } else {
      ranges.push_back(r);
    }
  }
  return ranges;
}

// The most wall-clock time that backward offset changes (autumn) repeat within one span of
// kSearchHorizon starting in [from, end]: the business time a span holds beyond its dates'.
absl::Duration MostRepeatedWithinHorizon(const absl::TimeZone& zone, absl::Time from,
                                         absl::Time end) {
  struct Repeat {
    absl::Time at;
    absl::Duration length;
  };
  std::vector<Repeat> repeats;
  for (std::optional<absl::Time> change = NextOffsetChange(zone, from);
       change && *change <= end + kSearchHorizon; change = NextOffsetChange(zone, *change)) {
    const int before = zone.At(*change - absl::Seconds(1)).offset;
    const int after = zone.At(*change).offset;
    if (after < before) repeats.push_back({*change, absl::Seconds(before - after)});
  }
  absl::Duration most;
  absl::Duration sum;
  for (size_t first = 0, last = 0; last < repeats.size(); ++last) {
    sum += repeats[last].length;
    while (repeats[last].at - repeats[first].at > kSearchHorizon) sum -= repeats[first++].length;
    most = std::max(most, sum);
  }
  return most;
}

}  // namespace

absl::StatusOr<LeastOpenTime> LeastOpenTimeWithinHorizon(const Calendar& calendar, absl::Time from,
                                                         absl::Time until) {
  if (from < kEarliestSupported || from >= kLatestSupported - kSearchHorizon) {
    return absl::InvalidArgumentError(
        absl::StrCat("from ", absl::FormatTime(from, absl::UTCTimeZone()),
                     " is outside the range of starts [1900-01-01, 2390-01-01) UTC"));
  }
  if (until < from) return absl::InvalidArgumentError("until is before from");
  const internal::CivilSchedule& schedule = CalendarAccess::Schedule(calendar);
  absl::Time last_event = from + kSearchHorizon;
  if (!schedule.exception_days().empty()) {
    last_event =
        std::max(last_event, StartOfDay(calendar.zone(), schedule.exception_days().back() + 1));
  }
  // Spans are counted only up to kLatestSupported, so later starts would read as short of time.
  const absl::Time end = std::max(
      from, std::min({until, last_event + kPastTheLastEvent, kLatestSupported - kSearchHorizon}));

  LeastOpenTime least{from, BusinessElapsed(calendar, from, from + kSearchHorizon),
                      MostRepeatedWithinHorizon(calendar.zone(), from, end)};
  const auto consider = [&](absl::Time t) {
    const absl::Duration open = BusinessElapsed(calendar, t, t + kSearchHorizon);
    if (open < least.open || (open == least.open && t < least.start)) {
      least.start = t;
      least.open = open;
    }
  };
  consider(end);
  for (const Range& r : RangesToScan(Events(calendar, from, end), from, end)) {
    consider(r.begin);
    consider(r.end);
    // The closings: where the start leaves open time. A search finds nothing beyond the
    // horizon, so after ten years open (or closed) on end the next one looks on from there.
    for (absl::Time t = r.begin; t <= r.end;) {
      const absl::StatusOr<absl::Time> opens = NextOpen(calendar, t);
      if (!opens.ok()) {
        t += kSearchHorizon;
        continue;
      }
      if (*opens > r.end) break;
      const absl::StatusOr<absl::Time> closes = NextClose(calendar, *opens);
      if (!closes.ok()) {
        t = *opens + kSearchHorizon;
        continue;
      }
      if (*closes > r.end) break;
      consider(*closes);
      t = *closes;
    }
    // The openings at the horizon's end: where it starts gaining open time again.
    for (absl::Time t = r.begin + kSearchHorizon; t <= r.end + kSearchHorizon;) {
      const absl::StatusOr<absl::Time> opens = NextOpen(calendar, t);
      if (!opens.ok()) {
        t += kSearchHorizon;
        continue;
      }
      if (*opens > r.end + kSearchHorizon) break;
      consider(*opens - kSearchHorizon);
      const absl::StatusOr<absl::Time> closes = NextClose(calendar, *opens);
      if (!closes.ok()) {
        t = *opens + kSearchHorizon;
        continue;
      }
      t = *closes;
    }
  }
  return least;
}

absl::Duration LongestOpenDate(const Calendar& calendar) {
  return absl::Seconds(CalendarAccess::Schedule(calendar).longest_day_open_seconds());
}

}  // namespace itsm::businesstime
