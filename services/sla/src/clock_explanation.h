// Why a clock is where it is, computed from its timeline alone: no database, no gRPC (the
// application class ClockExplanations reads the inputs; this is the arithmetic and the words).
//
//   ITSM_ASSIGN_OR_RETURN(TimelineEvent e, DecodeTimelineEvent(row.event_type, row.data));
//   ClockHistory facts = {.timeline = events, .last = last_state, .calendar = &pinned};
//   v1::ClockExplanation x = ExplainClock(facts, now);
//   *x.mutable_what_if() = WhatIfClock(facts, other, now);
//
// The clock is rebuilt with slamodel::Clock::Replay from the transitions its events announce
// (start with its target and the pauses a retroactive start replayed, pauses, resumes,
// re-targets, the stop or cancel), and every figure — business time per interval, elapsed,
// due, warning and breach instants — comes from slamodel (Clock::BusinessElapsed,
// Clock::Milestones), the computation the SLA timer fires by. A what-if replays the same
// transitions with another calendar and the other definition's targets: the clock conditions
// are not evaluated again (this service does not hold the record's field history).
#ifndef ITSM_SERVICES_SLA_CLOCK_EXPLANATION_H_
#define ITSM_SERVICES_SLA_CLOCK_EXPLANATION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::sla {

// One clock event as the timeline reads it.
struct TimelineEvent {
  // Without the package: "SlaClockStarted", "SlaClockPaused", ...
  std::string type;
  std::string ce_id;
  // The clock after the event.
  v1::SlaClock clock;
  double threshold_percent = 0;                   // SlaWarningReached
  std::string reason;                             // SlaClockCancelled, SlaBreachWithdrawn
  std::optional<absl::Duration> previous_target;  // SlaClockRetargeted
  incident::v1::Priority previous_priority = incident::v1::PRIORITY_UNSPECIFIED;
  bool retroactive = false;                      // SlaClockStarted
  std::vector<v1::ReplayedTransition> replayed;  // SlaClockStarted
};

// `type` is the CloudEvents type ("itsm.sla.v1.SlaClockPaused"), `data` the event as
// published. INVALID_ARGUMENT for a type that is not a clock event or data that does not parse.
absl::StatusOr<TimelineEvent> DecodeTimelineEvent(const std::string& type, const std::string& data,
                                                  const std::string& ce_id = "");

// What is known of one clock.
struct ClockHistory {
  // The clock's events, in order (event time, then as applied).
  std::vector<TimelineEvent> timeline;
  // Events no longer kept, before the first of `timeline`.
  int64_t omitted_events = 0;
  // The clock's last state (the SLA history's row).
  v1::SlaClock last;
  // Its pinned calendar version compiled in its zone; null when it could not be read (see
  // note).
  const businesstime::Calendar* calendar = nullptr;
  std::string calendar_name;
  // The pinned definition's warning thresholds (ascending); empty when unknown.
  std::vector<double> thresholds;
  // Set when something could not be read (e.g. the pinned definition): said in the answer.
  std::string note;
};

// The explanation of one clock as of `now` (open clocks are counted up to it).
v1::ClockExplanation ExplainClock(const ClockHistory& facts, absl::Time now);

// The other definition and/or calendar a what-if recomputes under.
struct WhatIfSpec {
  // Unset: the clock's own targets and thresholds.
  std::optional<v1::SlaDefinition> definition;
  // The calendar to count with, compiled in `time_zone`.
  const businesstime::Calendar* calendar = nullptr;
  std::string calendar_id;
  std::string calendar_name;
  int64_t calendar_version = 0;
  std::string time_zone;
};

// The clock recomputed over its recorded intervals under `spec`: each start and re-target takes
// the other definition's target for the clock's priority at that point and its kind.
v1::ClockWhatIf WhatIfClock(const ClockHistory& facts, const WhatIfSpec& spec, absl::Time now);

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_CLOCK_EXPLANATION_H_
