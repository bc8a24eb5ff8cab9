// What the timer's RepublishEvents sends: the current state of a record's clocks as events
// (itsm.sla.v1.SlaClockRepublished, one per clock), so that a consumer that lost the topic (a
// broker that lost its data, a consumer rebuilt from nothing) gets every clock back without a
// replay of the incident topic.
//
//   ITSM_ASSIGN_OR_RETURN(auto events, RepublishedClocks(source, state, start, end));
//   // append them to the Redis outbox of state.partition(): the publisher sends them
//
// Each event carries the clock's full SlaClock as of its last event (event_time and ce_time =
// that instant; a clock whose breach fired is breached), so a consumer that keeps the newer of
// two states (by event_time) takes it as the same state again, never as a step back. The ce_id
// is derived from the clock id and that instant: re-publishing an unchanged clock twice gives
// the same id (consumers drop the duplicate); a clock that changed since gets a new one.
#ifndef ITSM_SERVICES_SLA_TIMER_CLOCK_REPUBLISHER_H_
#define ITSM_SERVICES_SLA_TIMER_CLOCK_REPUBLISHER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/events/cloud_event.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/timer_state.pb.h"
#include "services/sla-timer/src/definition_source.h"

namespace itsm::sla_timer {

// The record's clocks whose last event is in [start, end), as SlaClockRepublished events.
// UNAVAILABLE when a pinned definition or calendar cannot be read now (retry).
absl::StatusOr<std::vector<events::CloudEvent>> RepublishedClocks(DefinitionSource& source,
                                                                  const sla::v1::TimerState& state,
                                                                  absl::Time start, absl::Time end);

// The clock's state as of its last event (what its last event carried, breach marker included),
// composed by ComposeClock as the timer's events are, with cause "republished".
absl::StatusOr<sla::v1::SlaClock> CurrentClock(DefinitionSource& source,
                                               const sla::v1::TimerState& state,
                                               const sla::v1::TimerClock& clock);

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_CLOCK_REPUBLISHER_H_
