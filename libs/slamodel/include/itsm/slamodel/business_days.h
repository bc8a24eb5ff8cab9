// Targets in business days ("2 business days") as the business-time durations clocks run on.
//
// A days target is converted once, when its clock starts, on the clock's calendar in its zone:
// into the business time from the start to the instant the day rule gives. From then on the
// clock is an ordinary duration clock (pauses extend it, warnings are shares of it, a retarget
// replaces it). The SLA timer (starting and re-targeting clocks) and the SLA service
// (GetDueTime, validation) both convert with TargetDuration, so what is shown and what fires
// agree. The rule, with worked examples: docs/sla.md section 2.1.
//
//   ITSM_ASSIGN_OR_RETURN(BusinessDaysDue d,
//                         BusinessDaysTarget(calendar, opened_at, 2, BusinessDayRule::kEndOfDay));
//   Clock clock = Clock::Start(opened_at, d.target);  // clock.DueTime(calendar, now) == d.due
#ifndef ITSM_SLAMODEL_BUSINESS_DAYS_H_
#define ITSM_SLAMODEL_BUSINESS_DAYS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/slamodel/conditions.h"

namespace itsm::slamodel {

// The most business days a target may name: each is a distinct date, and due instants are
// searched at most businesstime::kSearchHorizon (3653 days) ahead.
inline constexpr int kMaxBusinessDays = 3653;

enum class BusinessDayRule {
  // At the end of the open time of business day N.
  kEndOfDay,
  // At the (normalised) start's local time of day on business day N.
  kSameTimeOfDay,
};
// UNSPECIFIED (the default) is END_OF_DAY.
BusinessDayRule BusinessDayRuleFromProto(sla::v1::BusinessDayRule rule);

struct BusinessDaysDue {
  // Business time from the start to the rule's instant, rounded down to the second.
  absl::Duration target;
  // The clock's due instant, AddBusinessDuration(start, target): the rule's instant, or, when
  // that is an opening (a start at 09:00, due "at the same time" a day later), the closing
  // before it, which is the same instant of business time (docs/business-time.md section 6).
  absl::Time due;
};

// `days` business days from `start` on `calendar` (in its zone), by `rule`:
//  - a business day is a local date with open time (weekly hours, less holidays, plus extra
//    working intervals; the part of an overnight interval after midnight belongs to the next
//    date);
//  - a start that is not open first moves to the next open instant; its date is day 0, and
//    day N the N-th business day after it;
//  - kEndOfDay: the instant at which all of day N's open time has elapsed (its last closing;
//    midnight when it is open until 24:00);
//  - kSameTimeOfDay: the (moved) start's time of day on day N (a time skipped by a DST change:
//    the instant of the jump; a repeated one: its first occurrence). When that instant is not
//    open, the end of day N's open time before it; when day N has no open time before it (a
//    morning closed), the end of day N.
// INVALID_ARGUMENT for days < 1; FAILED_PRECONDITION when the calendar has no open time or the
// due instant is more than businesstime::kSearchHorizon after `start`.
absl::StatusOr<BusinessDaysDue> BusinessDaysTarget(const businesstime::Calendar& calendar,
                                                   absl::Time start, int days,
                                                   BusinessDayRule rule);

// A definition's target for one priority and clock kind, as the business-time duration of a
// clock started at `start` on `calendar`: the duration as set, or the business days converted
// by the definition's rule. nullopt when the priority target has no target of that kind.
absl::StatusOr<std::optional<absl::Duration>> TargetDuration(
    const sla::v1::SlaDefinition& definition, const sla::v1::PriorityTarget& target, ClockKind kind,
    const businesstime::Calendar& calendar, absl::Time start);

}  // namespace itsm::slamodel

#endif  // ITSM_SLAMODEL_BUSINESS_DAYS_H_
