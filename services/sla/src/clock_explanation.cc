#include "services/sla/src/clock_explanation.h"

#include <algorithm>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/slamodel/clock.h"
#include "itsm/slamodel/conditions.h"
#include "services/sla/src/sla_rules.h"

namespace itsm::sla {
namespace {

using slamodel::ActionType;
using slamodel::Stage;

constexpr char kTypePrefix[] = "itsm.sla.v1.";

template <typename T>
absl::StatusOr<T> Parse(const std::string& data, const std::string& type) {
  T message;
  if (!message.ParseFromString(data)) {
    return absl::InvalidArgumentError(absl::StrCat(type, ": does not parse"));
  }
  return message;
}

// ---- words --------------------------------------------------------------------------------

std::string When(absl::Time t, const absl::TimeZone& tz) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", t, tz);
}

std::string Dur(absl::Duration d) {
  if (d < absl::ZeroDuration()) return absl::StrCat("-", absl::FormatDuration(-d));
  return absl::FormatDuration(d);
}

std::string Priority(incident::v1::Priority p) {
  return p == incident::v1::PRIORITY_UNSPECIFIED ? "?" : absl::StrCat("P", static_cast<int>(p));
}

std::string KindName(v1::ClockKind k) {
  return k == v1::CLOCK_KIND_RESPONSE ? "response" : "resolution";
}

// What a cause (docs/events.md) means, as the end of "… by <cause>".
std::string CausePhrase(const std::string& cause) {
  if (cause == "start_condition") return "the start condition";
  if (cause == "pause_condition") return "the pause condition";
  if (cause == "resume_condition") return "the resume condition";
  if (cause == "stop_condition") return "the stop condition";
  if (cause == "cancel_condition") return "the cancel condition";
  if (cause == "reset_condition") return "the reset condition";
  if (cause == "priority_change") return "a priority change";
  if (cause == "coverage_change") {
    return "a change of the record's coverage (service, category, CI class or request type)";
  }
  if (cause == "late_event") return "an earlier change applied late";
  return cause.empty() ? "a change (cause not recorded)" : cause;
}

// " (state=ON_HOLD, hold_reason=awaiting_caller; record v3)", or "".
std::string ChangeSuffix(const v1::SlaClock& c) {
  std::vector<std::string> parts;
  for (const auto& f : c.changed_fields()) {
    parts.push_back(absl::StrCat(f.field(), "=", f.value().empty() ? "\"\"" : f.value()));
  }
  std::string out = absl::StrJoin(parts, ", ");
  if (c.record_version() > 0) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", "record v", c.record_version());
  }
  return out.empty() ? "" : absl::StrCat(" (", out, ")");
}

std::string StateOf(v1::ClockStage stage, bool breached) {
  return stage == v1::CLOCK_STAGE_CANCELLED   ? "cancelled"
         : breached                           ? "breached"
         : stage == v1::CLOCK_STAGE_COMPLETED ? "met"
         : stage == v1::CLOCK_STAGE_PAUSED    ? "paused"
                                              : "running";
}

std::string EntryText(const TimelineEvent& e, absl::Duration business) {
  const v1::SlaClock& c = e.clock;
  const absl::Duration target = base::FromProtoDuration(c.target());
  const std::string why = ChangeSuffix(c);
  if (e.type == "SlaClockStarted") {
    // Any event before it makes a start the cancelled clock's return (its events are numbered).
    const char* started = c.sequence() > 1 ? "came back (counted again from its start)" : "started";
    std::string text = absl::StrCat(started, " by ", CausePhrase(c.cause()), why, "; target ",
                                    Dur(target), " (", Priority(c.priority()), ")");
    if (e.retroactive) {
      absl::StrAppend(&text, ", counted from the record's creation");
      if (!e.replayed.empty()) {
        absl::StrAppend(&text, " with ", e.replayed.size(),
                        " pause/resume step(s) of its history replayed");
      }
    }
    if (c.stage() == v1::CLOCK_STAGE_PAUSED) absl::StrAppend(&text, "; paused from the start");
    return text;
  }
  if (e.type == "SlaClockPaused") return absl::StrCat("paused by ", CausePhrase(c.cause()), why);
  if (e.type == "SlaClockResumed") return absl::StrCat("resumed by ", CausePhrase(c.cause()), why);
  if (e.type == "SlaClockRetargeted") {
    return absl::StrCat("re-targeted by ", CausePhrase(c.cause()), why, ": ",
                        Priority(e.previous_priority), " -> ", Priority(c.priority()), ", target ",
                        e.previous_target ? Dur(*e.previous_target) : "?", " -> ", Dur(target));
  }
  if (e.type == "SlaWarningReached") {
    return absl::StrCat("warning: ", e.threshold_percent, "% of the target reached (",
                        Dur(business), " of ", Dur(target), ")");
  }
  if (e.type == "SlaBreached") {
    return absl::StrCat("breached: business time reached the target ", Dur(target));
  }
  if (e.type == "SlaBreachWithdrawn") {
    return absl::StrCat("breach withdrawn (", e.reason, ") by ", CausePhrase(c.cause()), why, ": ",
                        Dur(business), " is below the target ", Dur(target));
  }
  if (e.type == "SlaMet") {
    return absl::StrCat("met: stopped by ", CausePhrase(c.cause()), why, " after ", Dur(business),
                        " of ", Dur(target));
  }
  if (e.type == "SlaClockCompleted") {
    return absl::StrCat("completed, breached: stopped by ", CausePhrase(c.cause()), why, " after ",
                        Dur(business), " of ", Dur(target));
  }
  if (e.type == "SlaClockCancelled") {
    // A breach reached before the cancellation stands (docs/sla.md 4.2).
    return absl::StrCat("cancelled (", e.reason, ") by ", CausePhrase(c.cause()), why,
                        c.breached() ? ": breached before it, and the breach stands"
                                     : ": neither met nor breached");
  }
  if (e.type == "SlaClockRepublished") return "state re-published by the SLA timer (no change)";
  return e.type;
}

// ---- the clock, rebuilt ---------------------------------------------------------------------

absl::Time TransitionTime(const v1::SlaClock& c) {
  return base::FromProtoTimestamp(c.has_change_time() ? c.change_time() : c.event_time());
}

// The target a start or re-target event sets.
using TargetOf = std::function<absl::StatusOr<absl::Duration>(const TimelineEvent&)>;

// The transitions the timeline announces, for slamodel::Clock::Replay. FAILED_PRECONDITION when
// the timeline does not begin with the clock's start.
absl::StatusOr<std::vector<slamodel::Transition>> Transitions(
    const std::vector<TimelineEvent>& timeline, const TargetOf& target_of) {
  std::vector<slamodel::Transition> out;
  for (const TimelineEvent& e : timeline) {
    const v1::SlaClock& c = e.clock;
    if (out.empty() && e.type != "SlaClockStarted") {
      return absl::FailedPreconditionError(
          absl::StrCat("the clock's start is not in its timeline (it begins with ", e.type, ")"));
    }
    if (e.type == "SlaClockStarted") {
      // A cancelled clock that comes back (docs/sla.md 4.4) is counted again from its start:
      // its new start replaces the history before.
      if (!out.empty() && out.back().type != ActionType::kCancel) {
        return absl::FailedPreconditionError("a second start in the timeline");
      }
      out.clear();
      ITSM_ASSIGN_OR_RETURN(absl::Duration target, target_of(e));
      out.push_back({ActionType::kStart, base::FromProtoTimestamp(c.start_time()), target});
      for (const auto& r : e.replayed) {
        out.push_back({r.type() == "pause" ? ActionType::kPause : ActionType::kResume,
                       base::FromProtoTimestamp(r.time())});
      }
    } else if (e.type == "SlaClockPaused") {
      out.push_back({ActionType::kPause, TransitionTime(c)});
    } else if (e.type == "SlaClockResumed") {
      out.push_back({ActionType::kResume, TransitionTime(c)});
    } else if (e.type == "SlaClockRetargeted") {
      ITSM_ASSIGN_OR_RETURN(absl::Duration target, target_of(e));
      out.push_back({ActionType::kRetarget, TransitionTime(c), target});
    } else if (e.type == "SlaMet" || e.type == "SlaClockCompleted" ||
               e.type == "SlaClockCancelled") {
      const absl::Time at =
          c.has_stop_time() ? base::FromProtoTimestamp(c.stop_time()) : TransitionTime(c);
      out.push_back({e.type == "SlaClockCancelled" ? ActionType::kCancel : ActionType::kStop, at});
    }
  }
  if (out.empty()) return absl::FailedPreconditionError("the clock has no events here");
  return out;
}

// The instant the figures are for: the stop, else `now` (never before the last event).
absl::Time AsOf(const slamodel::Clock& clock, absl::Time now) {
  return std::min(now, clock.stop_time());
}

std::vector<double> Thresholds(const v1::SlaDefinition& d) {
  std::vector<double> t(d.warning_thresholds().begin(), d.warning_thresholds().end());
  if (t.empty()) t = {50, 75, 90};  // the definition's default (docs/sla.md 2)
  std::sort(t.begin(), t.end());
  return t;
}

void AddIntervals(const slamodel::Clock& clock, const businesstime::Calendar& cal, absl::Time as_of,
                  const absl::TimeZone& tz,
                  google::protobuf::RepeatedPtrField<v1::ClockInterval>* out) {
  for (const slamodel::Interval& i : clock.intervals()) {
    v1::ClockInterval* x = out->Add();
    *x->mutable_start_time() = base::ToProtoTimestamp(i.begin);
    const bool open = i.end == absl::InfiniteFuture();
    if (!open) *x->mutable_end_time() = base::ToProtoTimestamp(i.end);
    const absl::Time end = std::max(i.begin, std::min(i.end, as_of));
    x->set_paused(i.paused);
    const absl::Duration business =
        i.paused ? absl::ZeroDuration() : businesstime::BusinessElapsed(cal, i.begin, end);
    *x->mutable_business_time() = base::ToProtoDuration(business);
    *x->mutable_actual_time() = base::ToProtoDuration(end - i.begin);
    const std::string span = absl::StrCat(When(i.begin, tz), " -> ", open ? "now" : When(i.end, tz),
                                          " (", Dur(end - i.begin), ")");
    x->set_explanation(i.paused ? absl::StrCat("paused ", span, ": not counted")
                                : absl::StrCat("running ", span, ": ", Dur(business),
                                               " of business time (open hours only)"));
  }
}

// How the clock's instants follow from its intervals, target and calendar.
v1::ClockDerivation Derive(const slamodel::Clock& clock, const businesstime::Calendar& cal,
                           const std::vector<double>& thresholds, absl::Time now,
                           const absl::TimeZone& tz, const std::string& target_label,
                           const std::string& calendar_label) {
  v1::ClockDerivation d;
  const absl::Time as_of = AsOf(clock, now);
  const absl::Duration target = clock.target();
  const absl::Duration elapsed = clock.BusinessElapsed(cal, as_of);
  const std::vector<slamodel::Milestone> milestones = clock.Milestones(cal, thresholds, as_of);
  *d.mutable_as_of() = base::ToProtoTimestamp(as_of);
  *d.mutable_target() = base::ToProtoDuration(target);
  *d.mutable_business_elapsed() = base::ToProtoDuration(elapsed);
  *d.mutable_remaining() = base::ToProtoDuration(target - elapsed);
  const Stage stage = clock.stage();
  d.set_stage(slamodel::ToProto(stage));
  d.set_breached(clock.breached());
  d.set_state(StateOf(slamodel::ToProto(stage), clock.breached()));
  // Where the remainder is counted from (slamodel::Clock::ThresholdTime's anchor).
  absl::Time from = as_of;
  for (auto it = clock.intervals().rbegin(); it != clock.intervals().rend(); ++it) {
    if (stage == Stage::kPaused) break;
    if (!it->paused) {
      from = it->begin;
      break;
    }
  }
  *d.mutable_counted_from() = base::ToProtoTimestamp(from);
  for (const slamodel::Milestone& m : milestones) {
    v1::MilestoneTime* x = d.add_milestones();
    x->set_percent(m.percent);
    x->set_reached(m.reached);
    if (m.at) *x->mutable_time() = base::ToProtoTimestamp(*m.at);
  }
  const slamodel::Milestone& due = milestones.back();
  if (due.at) *d.mutable_due_time() = base::ToProtoTimestamp(*due.at);
  if (due.reached && due.at && stage != Stage::kCancelled) {
    *d.mutable_breach_time() = base::ToProtoTimestamp(*due.at);
  }

  auto& steps = *d.mutable_steps();
  steps.Add(absl::StrCat("target: ", Dur(target), " of business time, ", target_label));
  int runs = 0;
  absl::Duration paused;
  for (const auto& i : clock.intervals()) {
    if (i.paused) {
      paused += std::max(absl::ZeroDuration(), std::min(i.end, as_of) - i.begin);
    } else {
      ++runs;
    }
  }
  steps.Add(absl::StrCat("counted: ", Dur(elapsed), " of business time in ", runs,
                         " running interval(s) on ", calendar_label, "; ", Dur(paused),
                         " paused, not counted"));
  const std::string due_text = due.at ? When(*due.at, tz) : "never (too little open time)";
  switch (stage) {
    case Stage::kRunning: {
      const absl::Duration before = clock.BusinessElapsed(cal, from);
      steps.Add(absl::StrCat("running since ", When(from, tz), ": ", Dur(target), " - ",
                             Dur(before), " counted before = ", Dur(target - before),
                             ", added in open hours from then -> due ", due_text));
      break;
    }
    case Stage::kPaused:
      steps.Add(absl::StrCat("paused: no due time; if resumed at ", When(as_of, tz), ", the ",
                             Dur(std::max(absl::ZeroDuration(), target - elapsed)),
                             " remaining -> due ", due_text));
      break;
    case Stage::kCompleted:
      steps.Add(absl::StrCat("stopped at ", When(as_of, tz), " with ", Dur(elapsed), " of ",
                             Dur(target), ": ",
                             clock.breached() ? "breached (the target was reached before the stop)"
                                              : "met (stopped before the due instant)"));
      break;
    case Stage::kCancelled:
      // Its instants would only say what a clock that no longer runs would have done.
      steps.Add(absl::StrCat("cancelled at ", When(as_of, tz), " with ", Dur(elapsed), " of ",
                             Dur(target),
                             clock.breached() ? ": breached before it, and the breach stands"
                                              : ": neither met nor breached"));
      return d;
    case Stage::kNone:
      break;
  }
  for (size_t k = 0; k + 1 < milestones.size(); ++k) {
    const slamodel::Milestone& m = milestones[k];
    steps.Add(absl::StrCat("warning ", m.percent, "%: ", m.at ? When(*m.at, tz) : "never",
                           m.reached ? " (reached)" : " (not reached)"));
  }
  if (d.has_breach_time()) {
    steps.Add(
        absl::StrCat("breached at ", When(*due.at, tz), ": business time reached ", Dur(target)));
  } else {
    steps.Add(absl::StrCat("due ", due_text, due.reached ? "" : " (not reached)"));
  }
  return d;
}

absl::TimeZone ZoneOf(const std::string& name) {
  absl::TimeZone tz = absl::UTCTimeZone();
  if (!name.empty()) absl::LoadTimeZone(name, &tz);
  return tz;
}

// A clock's last state, as the timer published it, when its history is not known here.
v1::ClockDerivation Published(const v1::SlaClock& c, absl::Time now) {
  v1::ClockDerivation d;
  const bool open = c.stage() == v1::CLOCK_STAGE_RUNNING || c.stage() == v1::CLOCK_STAGE_PAUSED;
  *d.mutable_as_of() = open ? base::ToProtoTimestamp(now) : c.event_time();
  *d.mutable_target() = c.target();
  *d.mutable_business_elapsed() = c.business_elapsed();
  *d.mutable_remaining() = base::ToProtoDuration(base::FromProtoDuration(c.target()) -
                                                 base::FromProtoDuration(c.business_elapsed()));
  if (c.has_due_time()) *d.mutable_due_time() = c.due_time();
  d.set_stage(c.stage());
  d.set_breached(c.breached());
  d.set_state(StateOf(c.stage(), c.breached()));
  d.add_steps(
      absl::StrCat("the clock's history is not complete here: the figures are its last "
                   "state as the SLA timer published it at ",
                   base::FormatRfc3339(base::FromProtoTimestamp(c.event_time()))));
  return d;
}

}  // namespace

absl::StatusOr<TimelineEvent> DecodeTimelineEvent(const std::string& type, const std::string& data,
                                                  const std::string& ce_id) {
  if (!absl::StartsWith(type, kTypePrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(type, ": not a clock event"));
  }
  TimelineEvent e;
  e.type = type.substr(sizeof(kTypePrefix) - 1);
  e.ce_id = ce_id;
  if (e.type == "SlaClockStarted") {
    ITSM_ASSIGN_OR_RETURN(auto m, Parse<v1::SlaClockStarted>(data, type));
    e.clock = m.clock();
    e.retroactive = m.retroactive();
    e.replayed.assign(m.replayed().begin(), m.replayed().end());
  } else if (e.type == "SlaClockRetargeted") {
    ITSM_ASSIGN_OR_RETURN(auto m, Parse<v1::SlaClockRetargeted>(data, type));
    e.clock = m.clock();
    e.previous_target = base::FromProtoDuration(m.previous_target());
    e.previous_priority = m.previous_priority();
  } else if (e.type == "SlaWarningReached") {
    ITSM_ASSIGN_OR_RETURN(auto m, Parse<v1::SlaWarningReached>(data, type));
    e.clock = m.clock();
    e.threshold_percent = m.threshold_percent();
  } else if (e.type == "SlaClockCancelled") {
    ITSM_ASSIGN_OR_RETURN(auto m, Parse<v1::SlaClockCancelled>(data, type));
    e.clock = m.clock();
    e.reason = m.reason();
  } else if (e.type == "SlaBreachWithdrawn") {
    ITSM_ASSIGN_OR_RETURN(auto m, Parse<v1::SlaBreachWithdrawn>(data, type));
    e.clock = m.clock();
    e.reason = m.reason();
  } else if (e.type == "SlaClockPaused" || e.type == "SlaClockResumed" || e.type == "SlaBreached" ||
             e.type == "SlaMet" || e.type == "SlaClockCompleted" ||
             e.type == "SlaClockRepublished") {
    // Each of these is `SlaClock clock = 1` and nothing else.
    ITSM_ASSIGN_OR_RETURN(auto m, Parse<v1::SlaClockRepublished>(data, type));
    e.clock = m.clock();
  } else {
    return absl::InvalidArgumentError(absl::StrCat(type, ": not a clock event"));
  }
  return e;
}

v1::ClockExplanation ExplainClock(const ClockHistory& facts, absl::Time now) {
  const v1::SlaClock& c = facts.last;
  now = std::max(now, base::FromProtoTimestamp(c.event_time()));
  const absl::TimeZone tz = ZoneOf(c.time_zone());
  v1::ClockExplanation x;
  x.set_clock_id(c.clock_id());
  x.set_record_id(c.incident_id());
  x.set_record_type(c.record_type());
  x.set_service(c.service());
  x.set_sla_definition_id(c.sla_definition_id());
  x.set_sla_definition_version(c.sla_definition_version());
  x.set_sla_definition_name(c.sla_definition_name());
  x.set_agreement_kind(c.agreement_kind());
  x.set_clock_kind(c.clock_kind());
  x.set_priority(c.priority());
  x.set_calendar_id(c.calendar_id());
  x.set_calendar_version(c.calendar_version());
  x.set_calendar_name(facts.calendar_name);
  x.set_time_zone(c.time_zone());
  *x.mutable_target() = c.target();
  for (double t : facts.thresholds) x.add_warning_thresholds(t);
  x.set_omitted_events(facts.omitted_events);
  std::vector<std::string> notes;
  if (!facts.note.empty()) notes.push_back(facts.note);

  std::optional<slamodel::Clock> clock;
  if (facts.calendar != nullptr) {
    auto transitions = Transitions(facts.timeline, [](const TimelineEvent& e) {
      return absl::StatusOr<absl::Duration>(base::FromProtoDuration(e.clock.target()));
    });
    if (transitions.ok()) {
      auto replayed = slamodel::Clock::Replay(*transitions, *facts.calendar, now);
      if (replayed.ok()) {
        clock = *std::move(replayed);
      } else {
        notes.push_back(
            absl::StrCat("the timeline cannot be replayed: ", replayed.status().message()));
      }
    } else {
      notes.push_back(std::string(transitions.status().message()));
    }
  }
  if (facts.omitted_events > 0) {
    notes.push_back(absl::StrCat(facts.omitted_events, " earlier event(s) are no longer kept"));
  }
  x.set_history_complete(clock.has_value());

  for (const TimelineEvent& e : facts.timeline) {
    v1::ClockTimelineEntry* t = x.add_timeline();
    const v1::SlaClock& ec = e.clock;
    *t->mutable_time() = ec.event_time();
    if (ec.has_change_time() &&
        base::FromProtoTimestamp(ec.change_time()) != base::FromProtoTimestamp(ec.event_time())) {
      *t->mutable_change_time() = ec.change_time();
    }
    t->set_event_type(e.type);
    t->set_cause(ec.cause());
    *t->mutable_changed_fields() = ec.changed_fields();
    t->set_record_version(ec.record_version());
    t->set_stage(ec.stage());
    t->set_breached(ec.breached());
    t->set_priority(ec.priority());
    *t->mutable_target() = ec.target();
    // Counted by the same computation as the intervals (the published figure without them).
    const absl::Duration business =
        clock ? clock->BusinessElapsed(*facts.calendar, base::FromProtoTimestamp(ec.event_time()))
              : base::FromProtoDuration(ec.business_elapsed());
    *t->mutable_business_elapsed() = base::ToProtoDuration(business);
    t->set_threshold_percent(e.threshold_percent);
    t->set_reason(e.reason);
    if (e.previous_target)
      *t->mutable_previous_target() = base::ToProtoDuration(*e.previous_target);
    t->set_previous_priority(e.previous_priority);
    t->set_explanation(EntryText(e, business));
  }

  if (clock) {
    AddIntervals(*clock, *facts.calendar, AsOf(*clock, now), tz, x.mutable_intervals());
    const std::string target_label =
        absl::StrCat(Priority(c.priority()), " ", KindName(c.clock_kind()), " target of \"",
                     c.sla_definition_name(), "\" v", c.sla_definition_version());
    const std::string calendar_label = absl::StrCat("calendar \"", facts.calendar_name, "\" v",
                                                    c.calendar_version(), " (", c.time_zone(), ")");
    *x.mutable_derivation() =
        Derive(*clock, *facts.calendar, facts.thresholds, now, tz, target_label, calendar_label);
  } else {
    *x.mutable_derivation() = Published(c, now);
  }
  x.set_note(absl::StrJoin(notes, "; "));
  return x;
}

v1::ClockWhatIf WhatIfClock(const ClockHistory& facts, const WhatIfSpec& spec, absl::Time now) {
  const v1::SlaClock& c = facts.last;
  now = std::max(now, base::FromProtoTimestamp(c.event_time()));
  v1::ClockWhatIf w;
  const businesstime::Calendar* calendar = spec.calendar ? spec.calendar : facts.calendar;
  std::vector<double> thresholds = facts.thresholds;
  if (spec.definition) {
    w.set_sla_definition_id(spec.definition->id());
    w.set_sla_definition_version(spec.definition->version());
    w.set_sla_definition_name(spec.definition->name());
    thresholds = Thresholds(*spec.definition);
  } else {
    w.set_sla_definition_id(c.sla_definition_id());
    w.set_sla_definition_version(c.sla_definition_version());
    w.set_sla_definition_name(c.sla_definition_name());
  }
  w.set_calendar_id(spec.calendar ? spec.calendar_id : c.calendar_id());
  w.set_calendar_version(spec.calendar ? spec.calendar_version : c.calendar_version());
  w.set_calendar_name(spec.calendar ? spec.calendar_name : facts.calendar_name);
  w.set_time_zone(spec.calendar ? spec.time_zone : c.time_zone());
  for (double t : thresholds) w.add_warning_thresholds(t);
  if (calendar == nullptr) {
    w.set_note("no calendar to count with");
    return w;
  }
  // Each start and re-target takes the other definition's target for the clock's priority at
  // that point; the intervals stay those the clock recorded (conditions are not re-evaluated).
  const TargetOf target_of = [&](const TimelineEvent& e) -> absl::StatusOr<absl::Duration> {
    if (!spec.definition) return base::FromProtoDuration(e.clock.target());
    const v1::PriorityTarget* t = TargetFor(*spec.definition, e.clock.priority());
    const bool response = c.clock_kind() == v1::CLOCK_KIND_RESPONSE;
    if (t == nullptr || !(response ? t->has_response_target() : t->has_resolution_target())) {
      return absl::NotFoundError(absl::StrCat(
          "definition \"", spec.definition->name(), "\" v", spec.definition->version(), " has no ",
          KindName(c.clock_kind()), " target for ", Priority(e.clock.priority())));
    }
    return base::FromProtoDuration(response ? t->response_target() : t->resolution_target());
  };
  auto transitions = Transitions(facts.timeline, target_of);
  if (!transitions.ok()) {
    w.set_note(std::string(transitions.status().message()));
    return w;
  }
  auto clock = slamodel::Clock::Replay(*transitions, *calendar, now);
  if (!clock.ok()) {
    w.set_note(absl::StrCat("the timeline cannot be replayed: ", clock.status().message()));
    return w;
  }
  const absl::TimeZone tz = ZoneOf(w.time_zone());
  AddIntervals(*clock, *calendar, AsOf(*clock, now), tz, w.mutable_intervals());
  const std::string target_label =
      absl::StrCat(Priority(c.priority()), " ", KindName(c.clock_kind()), " target of \"",
                   w.sla_definition_name(), "\" v", w.sla_definition_version(), " (what-if)");
  const std::string calendar_label = absl::StrCat("calendar \"", w.calendar_name(), "\" v",
                                                  w.calendar_version(), " (", w.time_zone(), ")");
  *w.mutable_derivation() =
      Derive(*clock, *calendar, thresholds, now, tz, target_label, calendar_label);
  return w;
}

}  // namespace itsm::sla
