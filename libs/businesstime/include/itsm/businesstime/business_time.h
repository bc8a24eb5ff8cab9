// Business-time arithmetic over a Calendar: due instants, elapsed business time, open/closed.
//
// All functions are pure: no I/O, no clock. "Now" is always an argument. The semantics are
// those of docs/business-time.md; in short, an instant is open iff its local wall-clock time
// falls in working hours of its local date, so a skipped DST hour contributes no business time
// and a repeated one counts twice when it is inside working hours.
//
// Usage (the SLA clock): 4 business hours from Friday 16:30 in Istanbul, Monday a holiday:
//   absl::StatusOr<absl::Time> due =
//       itsm::businesstime::AddBusinessDuration(calendar, opened_at, absl::Hours(4));
//   // due == Tuesday 11:30 local when the working day is 09:00-18:00.
//
// Every operation runs in time proportional to the number of UTC-offset changes it crosses
// (about two a year) times a logarithm, never to the length of the span.

#ifndef ITSM_BUSINESSTIME_BUSINESS_TIME_H_
#define ITSM_BUSINESSTIME_BUSINESS_TIME_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/businesstime/calendar.h"

namespace itsm::businesstime {

// How far ahead of its argument a search for open time, closed time or a due instant looks
// before giving up with FAILED_PRECONDITION. Holidays can leave a calendar with finite open
// time, so without a bound "4 hours from now" could search forever.
inline constexpr absl::Duration kSearchHorizon = absl::Hours(24 * 3653);  // 10 years

// Instants the operations accept: [1900-01-01T00:00:00Z, 2400-01-01T00:00:00Z). The tz library
// lists offset changes only up to 2437, and the algorithm needs them all; 10 years of horizon
// past the upper bound still fits.
inline constexpr absl::Time kEarliestSupported = absl::FromUnixSeconds(-2208988800);
inline constexpr absl::Time kLatestSupported = absl::FromUnixSeconds(13569465600);

// The instant at which `d` of business time has elapsed since `start`: the smallest t >= start
// with BusinessElapsed(calendar, start, t) == d.
//  - d == 0 returns `start` unchanged, even when `start` is in closed hours: no business time
//    is owed, so nothing moves (an SLA of zero is due at once).
//  - d > 0 may return a closing instant (09:00 + 8h with 09:00-17:00 hours is 17:00 that day,
//    not 09:00 the next day), at which IsOpen is false.
// Errors: INVALID_ARGUMENT for d < 0, an infinite d or `start` outside the supported range;
// FAILED_PRECONDITION when the calendar has no working time at all, or less than `d` of it
// within kSearchHorizon after `start`.
absl::StatusOr<absl::Time> AddBusinessDuration(const Calendar& calendar, absl::Time start,
                                               absl::Duration d);

// The business time in [from, to). Zero when from >= to (an SLA clock that stopped before it
// started owes nothing; callers that need a sign compare the instants themselves). Endpoints
// outside the supported range are clamped into it, so the result is always finite.
absl::Duration BusinessElapsed(const Calendar& calendar, absl::Time from, absl::Time to);

// Whether `t` is inside working time. Intervals are half-open: at 17:00 with 09:00-17:00 hours
// the calendar is closed. False outside the supported range.
bool IsOpen(const Calendar& calendar, absl::Time t);

// The first open instant >= t (t itself when open). INVALID_ARGUMENT when t is outside the
// supported range; FAILED_PRECONDITION when there is no open instant within kSearchHorizon.
absl::StatusOr<absl::Time> NextOpen(const Calendar& calendar, absl::Time t);

// The least business time that kSearchHorizon after a start in [from, until] holds, and the
// first start that holds that little. A clock on `calendar` started at any instant of the range
// reaches a target of `open` or less within kSearchHorizon, and one of `open` plus a second
// does not from `start`: a target is reachable from every start iff it is at most `open`.
//
// Exact, not sampled: the business time ahead of t only falls while t is open and the horizon's
// end is closed, so its low points are `from`, `until`, the closings and the openings less
// kSearchHorizon. Away from dated exceptions and UTC-offset changes (at either end) the calendar
// repeats weekly, so a week after each of those, and after `from`, covers every low point. An
// infinite `until` stops two years past both the last exception and `from` + kSearchHorizon;
// after that only offset changes recur, each moving the open time ahead by its hour at most.
// INVALID_ARGUMENT when `from` is outside the supported range or `until` < `from`.
struct LeastOpenTime {
  absl::Time start;
  absl::Duration open;
  // The most wall-clock time backward UTC-offset changes repeat within one such span: what a
  // span's business time can exceed the sum of its dates' working hours by.
  absl::Duration repeated;
};
absl::StatusOr<LeastOpenTime> LeastOpenTimeWithinHorizon(const Calendar& calendar, absl::Time from,
                                                         absl::Time until);

// The most working time one local date holds by its hours (weekly or dated). A span holding B
// of business time covers at least (B - LeastOpenTime::repeated) / LongestOpenDate dates with
// open time: how a count of business days is bounded through business time.
absl::Duration LongestOpenDate(const Calendar& calendar);

// The first closed instant >= t (t itself when closed). A 24x7 calendar without holidays never
// closes: FAILED_PRECONDITION, as for no closed instant within kSearchHorizon.
absl::StatusOr<absl::Time> NextClose(const Calendar& calendar, absl::Time t);

}  // namespace itsm::businesstime

#endif  // ITSM_BUSINESSTIME_BUSINESS_TIME_H_
