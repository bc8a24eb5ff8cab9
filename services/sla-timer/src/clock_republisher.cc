#include "services/sla-timer/src/clock_republisher.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/slamodel/calendar.h"
#include "itsm/slamodel/clock.h"
#include "itsm/slamodel/conditions.h"
#include "services/sla-timer/src/timer_logic.h"

namespace itsm::sla_timer {
namespace {

google::protobuf::Duration ProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t s = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(s);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

}  // namespace

// The same composition as TimerLogic::Snapshot (timer_logic.cc), at the clock's last event:
// kept beside it on purpose (see docs/decisions.md) — a change to what SlaClock carries must
// be made in both.
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
  std::vector<slamodel::Transition> history;
  for (const auto& t : c.history()) {
    history.push_back({.type = static_cast<slamodel::ActionType>(t.type()),
                       .at = absl::FromUnixMicros(t.at_us()),
                       .target = absl::Seconds(t.target_s())});
  }
  const absl::Time at = absl::FromUnixMicros(c.last_event_us());
  ITSM_ASSIGN_OR_RETURN(slamodel::Clock clock, slamodel::Clock::Replay(history, *compiled, at));
  sla::v1::SlaClock s;
  s.set_clock_id(c.clock_id());
  s.set_incident_id(state.incident_id());
  s.set_record_type(state.record_type());
  s.set_sla_definition_id(c.definition_id());
  s.set_sla_definition_version(c.definition_version());
  s.set_sla_definition_name(def->name());
  s.set_agreement_kind(def->kind());
  s.set_clock_kind(c.clock_kind());
  s.set_service(state.record().service());
  s.set_priority(c.priority());
  s.set_calendar_id(c.calendar_id());
  s.set_time_zone(c.time_zone());
  *s.mutable_target() = ProtoDuration(clock.target());
  *s.mutable_start_time() = base::ToProtoTimestamp(clock.start_time());
  if (clock.stage() != slamodel::Stage::kPaused && clock.stage() != slamodel::Stage::kCancelled) {
    if (auto due = clock.Milestones(*compiled, {}, at).back().at) {
      *s.mutable_due_time() = base::ToProtoTimestamp(*due);
    }
  }
  s.set_stage(slamodel::ToProto(clock.stage()));
  // A fired breach is announced (SlaBreached carried breached = true at its instant).
  s.set_breached(clock.breached() || c.breach_fired());
  *s.mutable_business_elapsed() = ProtoDuration(clock.BusinessElapsed(*compiled, at));
  *s.mutable_actual_elapsed() = ProtoDuration(clock.ActualElapsed(at));
  *s.mutable_paused_duration() = ProtoDuration(clock.PausedDuration(at));
  if (clock.stop_time() != absl::InfiniteFuture()) {
    *s.mutable_stop_time() = base::ToProtoTimestamp(clock.stop_time());
  }
  *s.mutable_event_time() = base::ToProtoTimestamp(at);
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
    e.id = TimerLogic::DerivedUuid(absl::StrCat(c.clock_id(), "/republished/", c.last_event_us()));
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
