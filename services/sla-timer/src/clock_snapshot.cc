#include "services/sla-timer/src/clock_snapshot.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::sla_timer {
namespace {

// `value` cut to at most kMaxChangedValueLength bytes, never inside a UTF-8 sequence.
std::string Bounded(const std::string& value) {
  if (value.size() <= kMaxChangedValueLength) return value;
  size_t end = kMaxChangedValueLength;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  return value.substr(0, end);
}

}  // namespace

const char* CauseOf(const slamodel::Action& a) {
  const std::string& r = a.reason;
  if (a.type == slamodel::ActionType::kReset || r == "reset") return kCauseResetCondition;
  if (r == "priority_changed" || r == "priority_not_covered" || r == "superseded") {
    return kCausePriorityChange;
  }
  if (r == "applicable" || r == "not_applicable") return kCauseCoverageChange;
  if (r == "definition_retired") return kCauseDefinitionRetired;
  switch (a.type) {
    case slamodel::ActionType::kStart:
      return kCauseStartCondition;
    case slamodel::ActionType::kPause:
      return kCausePauseCondition;
    case slamodel::ActionType::kResume:
      return kCauseResumeCondition;
    case slamodel::ActionType::kStop:
      return kCauseStopCondition;
    case slamodel::ActionType::kCancel:
      return kCauseCancelCondition;
    case slamodel::ActionType::kRetarget:
      return kCausePriorityChange;
    case slamodel::ActionType::kReset:
      break;
  }
  return kCauseResetCondition;
}

std::vector<sla::v1::FieldValue> ChangedFields(const slamodel::RecordFields* before,
                                               const slamodel::CoverageFields* before_coverage,
                                               const slamodel::RecordFields& after,
                                               const slamodel::CoverageFields& coverage) {
  const slamodel::RecordFields none;
  const slamodel::CoverageFields no_coverage;
  const slamodel::RecordFields& b = before != nullptr ? *before : none;
  const slamodel::CoverageFields& bc = before_coverage != nullptr ? *before_coverage : no_coverage;
  auto flag = [](bool v) { return std::string(v ? "true" : "false"); };
  // Most telling first: what conditions and coverage usually turn on.
  const std::pair<const char*, std::pair<std::string, std::string>> fields[] = {
      {"state", {b.state, after.state}},
      {"priority", {b.priority, after.priority}},
      {"service", {bc.service, coverage.service}},
      {"hold_reason", {b.hold_reason, after.hold_reason}},
      {"assignee", {b.assignee, after.assignee}},
      {"assignment_group", {b.assignment_group, after.assignment_group}},
      {"category", {bc.category, coverage.category}},
      {"ci_class", {bc.ci_class, coverage.ci_class}},
      {"request_type", {bc.request_type, coverage.request_type}},
      {"responded", {flag(b.responded), flag(after.responded)}},
      {"major_incident", {flag(b.major_incident), flag(after.major_incident)}},
  };
  std::vector<sla::v1::FieldValue> out;
  for (const auto& [name, values] : fields) {
    if (static_cast<int>(out.size()) == kMaxChangedFields) break;
    const auto& [old_value, new_value] = values;
    // At creation the record is compared with an empty one: what is set.
    if (old_value == new_value) continue;
    sla::v1::FieldValue f;
    f.set_field(name);
    f.set_value(Bounded(new_value));
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<slamodel::Transition> ClockTransitions(const sla::v1::TimerClock& c) {
  std::vector<slamodel::Transition> out;
  out.reserve(c.history_size());
  for (const auto& t : c.history()) {
    out.push_back({.type = static_cast<slamodel::ActionType>(t.type()),
                   .at = absl::FromUnixMicros(t.at_us()),
                   .target = absl::Seconds(t.target_s())});
  }
  return out;
}

absl::StatusOr<sla::v1::SlaClock> ComposeClock(const sla::v1::TimerState& state,
                                               const sla::v1::TimerClock& c,
                                               const sla::v1::SlaDefinition& def,
                                               const businesstime::Calendar& cal, absl::Time at) {
  ITSM_ASSIGN_OR_RETURN(slamodel::Clock clock,
                        slamodel::Clock::Replay(ClockTransitions(c), cal, at));
  return ComposeClock(state, c, def, cal, clock, clock.Milestones(cal, {}, at).back().at, at);
}

sla::v1::SlaClock ComposeClock(const sla::v1::TimerState& state, const sla::v1::TimerClock& c,
                               const sla::v1::SlaDefinition& def, const businesstime::Calendar& cal,
                               const slamodel::Clock& clock, std::optional<absl::Time> due,
                               absl::Time at) {
  sla::v1::SlaClock s;
  s.set_clock_id(c.clock_id());
  s.set_incident_id(state.incident_id());
  s.set_record_number(state.record_number());
  s.set_record_type(state.record_type());
  s.set_sequence(c.events_emitted());  // its last event's; an emitted event takes the next
  s.set_sla_definition_id(c.definition_id());
  s.set_sla_definition_version(c.definition_version());
  s.set_sla_definition_name(def.name());
  s.set_agreement_kind(def.kind());
  s.set_clock_kind(c.clock_kind());
  s.set_service(state.record().service());
  s.set_priority(c.priority());
  s.set_calendar_id(c.calendar_id());
  s.set_calendar_version(c.calendar_version());
  s.set_time_zone(c.time_zone());
  *s.mutable_target() = base::ToProtoDuration(clock.target());
  *s.mutable_start_time() = base::ToProtoTimestamp(clock.start_time());
  if (clock.stage() != slamodel::Stage::kPaused && clock.stage() != slamodel::Stage::kCancelled) {
    // The same instant the firing loop schedules the breach at (Clock::Milestones).
    if (due) *s.mutable_due_time() = base::ToProtoTimestamp(*due);
  }
  s.set_stage(slamodel::ToProto(clock.stage()));
  s.set_breached(clock.breached());
  *s.mutable_business_elapsed() = base::ToProtoDuration(clock.BusinessElapsed(cal, at));
  *s.mutable_actual_elapsed() = base::ToProtoDuration(clock.ActualElapsed(at));
  *s.mutable_paused_duration() = base::ToProtoDuration(clock.PausedDuration(at));
  if (clock.stop_time() != absl::InfiniteFuture()) {
    *s.mutable_stop_time() = base::ToProtoTimestamp(clock.stop_time());
  }
  *s.mutable_event_time() = base::ToProtoTimestamp(at);
  return s;
}

}  // namespace itsm::sla_timer
