// The one composition of a clock event's SlaClock (the clock's full state, why the event
// happened, under which definition and calendar versions), shared by the timer's events
// (TimerLogic) and its re-published states (RepublishedClocks), so that both always carry the
// same fields computed the same way.
//
//   ITSM_ASSIGN_OR_RETURN(sla::v1::SlaClock s,
//                         ComposeClock(state, clock, definition, calendar, at));
//   s.set_cause(kCauseTargetReached);
#ifndef ITSM_SERVICES_SLA_TIMER_CLOCK_SNAPSHOT_H_
#define ITSM_SERVICES_SLA_TIMER_CLOCK_SNAPSHOT_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/sla/v1/timer_state.pb.h"
#include "itsm/slamodel/clock.h"
#include "itsm/slamodel/conditions.h"
#include "itsm/slamodel/coverage.h"

namespace itsm::sla_timer {

// SlaClock::cause values (docs/events.md).
inline constexpr char kCauseStartCondition[] = "start_condition";
inline constexpr char kCausePauseCondition[] = "pause_condition";
inline constexpr char kCauseResumeCondition[] = "resume_condition";
inline constexpr char kCauseStopCondition[] = "stop_condition";
inline constexpr char kCauseCancelCondition[] = "cancel_condition";
inline constexpr char kCauseResetCondition[] = "reset_condition";
inline constexpr char kCausePriorityChange[] = "priority_change";
inline constexpr char kCauseCoverageChange[] = "coverage_change";
inline constexpr char kCauseTargetReached[] = "target_reached";
inline constexpr char kCauseWarningThreshold[] = "warning_threshold";
inline constexpr char kCauseLateEvent[] = "late_event";
inline constexpr char kCauseRepublished[] = "republished";
inline constexpr char kCauseDefinitionRetired[] = "definition_retired";

// At most this many changed fields per event, each value cut to kMaxChangedValueLength
// characters (bytes of UTF-8, cut at a character boundary): an event stays small whatever the
// record holds.
inline constexpr int kMaxChangedFields = 8;
inline constexpr size_t kMaxChangedValueLength = 200;

// The cause of a model action (slamodel::ClockPolicy's reasons, and the timer's own
// "not_applicable").
const char* CauseOf(const slamodel::Action& action);

// The record's fields that conditions and coverage read and that changed from `before` to
// `after` (`before` null: the record was created, every field that is set), most telling
// first, at most kMaxChangedFields.
std::vector<sla::v1::FieldValue> ChangedFields(const slamodel::RecordFields* before,
                                               const slamodel::CoverageFields* before_coverage,
                                               const slamodel::RecordFields& after,
                                               const slamodel::CoverageFields& coverage);

// The clock's stored transitions as the model replays them.
std::vector<slamodel::Transition> ClockTransitions(const sla::v1::TimerClock& clock);

// The clock `c` of `state` as of `at`: stage, breached flag (the model's; callers announcing a
// breach set it), target, due time (Clock::Milestones, the instant the firing loop uses),
// elapsed times, pinned definition and calendar versions and zone. `calendar` is the clock's
// pinned calendar compiled in its zone; `definition` its pinned definition. No cause: callers
// set it.
absl::StatusOr<sla::v1::SlaClock> ComposeClock(const sla::v1::TimerState& state,
                                               const sla::v1::TimerClock& c,
                                               const sla::v1::SlaDefinition& definition,
                                               const businesstime::Calendar& calendar,
                                               absl::Time at);

// The same for a caller that has replayed the clock as of `at` already (`clock`, from `c`'s
// transitions) and knows its due instant (`due`: the last of its Milestones; nullopt: never).
sla::v1::SlaClock ComposeClock(const sla::v1::TimerState& state, const sla::v1::TimerClock& c,
                               const sla::v1::SlaDefinition& definition,
                               const businesstime::Calendar& calendar, const slamodel::Clock& clock,
                               std::optional<absl::Time> due, absl::Time at);

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_CLOCK_SNAPSHOT_H_
