#include "services/sla-timer/src/clock_republisher.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/slamodel/calendar.h"
#include "services/sla-timer/src/clock_snapshot.h"
#include "services/sla-timer/src/timer_logic.h"

namespace itsm::sla_timer {

absl::StatusOr<sla::v1::SlaClock> CurrentClock(DefinitionSource& source,
                                               const sla::v1::TimerState& state,
                                               const sla::v1::TimerClock& c) {
  ITSM_ASSIGN_OR_RETURN(CalendarPtr calendar,
                        source.Calendar(c.calendar_id(), c.calendar_version()));
  auto compiled = slamodel::CompileCalendar(*calendar, c.time_zone());
  if (!compiled.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("calendar ", c.calendar_id(), ": ", compiled.status().message()));
  }
  ITSM_ASSIGN_OR_RETURN(DefinitionPtr def,
                        source.Definition(c.definition_id(), c.definition_version()));
  ITSM_ASSIGN_OR_RETURN(sla::v1::SlaClock s, ComposeClock(state, c, *def, *compiled,
                                                          absl::FromUnixMicros(c.last_event_us())));
  // A fired breach is announced (SlaBreached carried breached = true at its instant).
  s.set_breached(s.breached() || c.breach_fired());
  s.set_cause(kCauseRepublished);
  return s;
}

absl::StatusOr<std::vector<events::CloudEvent>> RepublishedClocks(DefinitionSource& source,
                                                                  const sla::v1::TimerState& state,
                                                                  absl::Time start,
                                                                  absl::Time end) {
  std::vector<events::CloudEvent> out;
  for (const sla::v1::TimerClock& c : state.clocks()) {
    if (c.history().empty()) continue;  // never started: nothing was announced
    const absl::Time at = absl::FromUnixMicros(c.last_event_us());
    if (at < start || at >= end) continue;
    ITSM_ASSIGN_OR_RETURN(sla::v1::SlaClock clock, CurrentClock(source, state, c));
    sla::v1::SlaClockRepublished message;
    *message.mutable_clock() = std::move(clock);
    events::CloudEvent e;
    e.id = base::DerivedUuid(absl::StrCat(c.clock_id(), "/republished/", c.last_event_us()));
    e.source = kEventSource;
    e.type = std::string(message.GetDescriptor()->full_name());
    e.time = at;
    e.subject = state.incident_id();
    e.data = message.SerializeAsString();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace itsm::sla_timer
