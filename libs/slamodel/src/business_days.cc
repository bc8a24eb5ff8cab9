#include "itsm/slamodel/business_days.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"

namespace itsm::slamodel {
namespace {

// The first instant whose local time in `zone` is at or after `cs`: for a wall time a DST change
// skips, the jump; for a repeated one, its first occurrence.
absl::Time FirstAtOrAfter(const absl::TimeZone& zone, absl::CivilSecond cs) {
  const absl::TimeZone::TimeInfo info = zone.At(cs);
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

absl::Time DayStart(const absl::TimeZone& zone, absl::CivilDay day) {
  return FirstAtOrAfter(zone, absl::CivilSecond(day));
}

absl::CivilDay DateOf(const absl::TimeZone& zone, absl::Time t) {
  return absl::CivilDay(zone.At(t).cs);
}

// The instant at which all of `day`'s open time has elapsed (its last closing). Measured as the
// date's business time rather than searched for, so overnight intervals (whose part after
// midnight belongs to the next date) and DST changes count exactly as business time does.
absl::StatusOr<absl::Time> EndOfDay(const businesstime::Calendar& calendar, absl::CivilDay day) {
  const absl::Time begin = DayStart(calendar.zone(), day);
  const absl::Duration open =
      businesstime::BusinessElapsed(calendar, begin, DayStart(calendar.zone(), day + 1));
  return businesstime::AddBusinessDuration(calendar, begin, open);
}

}  // namespace

BusinessDayRule BusinessDayRuleFromProto(sla::v1::BusinessDayRule rule) {
  return rule == sla::v1::BUSINESS_DAY_RULE_SAME_TIME_OF_DAY ? BusinessDayRule::kSameTimeOfDay
                                                             : BusinessDayRule::kEndOfDay;
}

absl::StatusOr<BusinessDaysDue> BusinessDaysTarget(const businesstime::Calendar& calendar,
                                                   absl::Time start, int days,
                                                   BusinessDayRule rule) {
  if (days < 1) {
    return absl::InvalidArgumentError(absl::StrCat("business days: ", days, " is not positive"));
  }
  const absl::TimeZone& zone = calendar.zone();
  // Day 0 is the date of the first open instant at or after the start.
  ITSM_ASSIGN_OR_RETURN(const absl::Time opened, businesstime::NextOpen(calendar, start));
  absl::CivilDay day = DateOf(zone, opened);
  const auto beyond_horizon = [&](absl::Time t) {
    return t - start > businesstime::kSearchHorizon;
  };
  for (int n = 0; n < days; ++n) {
    // The next date with open time: the date of the first open instant after this one ends.
    absl::StatusOr<absl::Time> next = businesstime::NextOpen(calendar, DayStart(zone, day + 1));
    if (!next.ok() || beyond_horizon(*next)) {
      return absl::FailedPreconditionError(absl::StrCat(
          days, " business days cannot be reached within ",
          absl::ToInt64Hours(businesstime::kSearchHorizon) / 24, " days (too little open time)"));
    }
    day = DateOf(zone, *next);
  }
  absl::Time rule_instant;
  ITSM_ASSIGN_OR_RETURN(const absl::Time end_of_day, EndOfDay(calendar, day));
  if (rule == BusinessDayRule::kEndOfDay) {
    rule_instant = end_of_day;
  } else {
    const absl::CivilSecond time_of_day = zone.At(opened).cs;
    const absl::Time same = FirstAtOrAfter(
        zone, absl::CivilSecond(day.year(), day.month(), day.day(), time_of_day.hour(),
                                time_of_day.minute(), time_of_day.second()));
    const absl::Duration before =
        businesstime::BusinessElapsed(calendar, DayStart(zone, day), same);
    if (businesstime::IsOpen(calendar, same)) {
      rule_instant = same;
    } else if (before > absl::ZeroDuration()) {
      // Not open at that time (a half day, a break): due when the open time before it ends.
      ITSM_ASSIGN_OR_RETURN(
          rule_instant, businesstime::AddBusinessDuration(calendar, DayStart(zone, day), before));
    } else {
      // No open time before it on day N (a morning closed): the end of day N, not the day before.
      rule_instant = end_of_day;
    }
  }
  if (beyond_horizon(rule_instant)) {
    return absl::FailedPreconditionError(
        absl::StrCat(days, " business days cannot be reached within ",
                     absl::ToInt64Hours(businesstime::kSearchHorizon) / 24, " days"));
  }
  BusinessDaysDue out;
  // Whole seconds, rounded down: targets are kept in seconds, and rounding up could move a due
  // instant at a closing to the next opening.
  out.target = absl::Seconds(
      absl::ToInt64Seconds(businesstime::BusinessElapsed(calendar, start, rule_instant)));
  ITSM_ASSIGN_OR_RETURN(out.due, businesstime::AddBusinessDuration(calendar, start, out.target));
  return out;
}

absl::StatusOr<std::optional<absl::Duration>> TargetDuration(
    const sla::v1::SlaDefinition& definition, const sla::v1::PriorityTarget& target, ClockKind kind,
    const businesstime::Calendar& calendar, absl::Time start) {
  const bool response = kind == ClockKind::kResponse;
  if (response ? target.has_response_target() : target.has_resolution_target()) {
    return base::FromProtoDuration(response ? target.response_target()
                                            : target.resolution_target());
  }
  const int days = response ? target.response_business_days() : target.resolution_business_days();
  if (days <= 0) return std::optional<absl::Duration>();
  ITSM_ASSIGN_OR_RETURN(
      BusinessDaysDue due,
      BusinessDaysTarget(calendar, start, days,
                         BusinessDayRuleFromProto(definition.business_day_rule())));
  return due.target;
}

}  // namespace itsm::slamodel
