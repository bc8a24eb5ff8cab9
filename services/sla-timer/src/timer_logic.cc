#include "services/sla-timer/src/timer_logic.h"

#include <algorithm>
#include <deque>
#include <set>

#include "absl/strings/str_cat.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/businesstime/time_zone_name.h"
#include "itsm/slamodel/business_days.h"
#include "itsm/slamodel/calendar.h"
#include "services/sla-timer/src/clock_snapshot.h"

namespace itsm::sla_timer {
namespace {

using sla::v1::TimerClock;
using sla::v1::TimerState;
using slamodel::ActionType;
using slamodel::ClockKind;
using slamodel::Stage;

constexpr ClockKind kKinds[] = {ClockKind::kResponse, ClockKind::kResolution};

absl::Time FromUs(int64_t us) { return absl::FromUnixMicros(us); }

// Whether an event that failed so waits with its record (parked) instead of in its partition: a
// definition or calendar this timer cannot use (FAILED_PRECONDITION: repaired by an operator),
// or the SLA or configuration service not answering now (UNAVAILABLE, DEADLINE_EXCEEDED: heals
// by itself). Held in the partition instead, it would hold back the firing of every other
// record there (FiringWatermark): one new record waiting for its definition would make every
// breach of the partition late.
bool WaitsWithItsRecord(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}
int64_t Us(absl::Time t) { return absl::ToUnixMicros(t); }

Stage StageOf(const TimerClock& c) {
  Stage s = Stage::kNone;
  for (const auto& t : c.history()) {
    switch (static_cast<ActionType>(t.type())) {
      case ActionType::kStart:
      case ActionType::kResume:
        s = Stage::kRunning;
        break;
      case ActionType::kPause:
        s = Stage::kPaused;
        break;
      case ActionType::kStop:
        s = Stage::kCompleted;
        break;
      case ActionType::kCancel:
      case ActionType::kReset:
        s = Stage::kCancelled;
        break;
      case ActionType::kRetarget:
        break;
    }
  }
  return s;
}

std::vector<slamodel::Transition> History(const TimerClock& c) { return ClockTransitions(c); }

void AddTransition(TimerClock& c, ActionType type, absl::Time at, absl::Duration target = {}) {
  auto* t = c.add_history();
  t->set_type(static_cast<int>(type));
  // Time never runs backwards within a clock (the model clamps the same way).
  int64_t us = Us(at);
  if (c.history_size() > 1) us = std::max(us, c.history(c.history_size() - 2).at_us());
  t->set_at_us(us);
  t->set_target_s(absl::ToInt64Seconds(target));
}

slamodel::RecordFields FromRecord(const sla::v1::TimerRecord& r) {
  slamodel::RecordFields f;
  f.state = r.state();
  f.priority = r.priority();
  f.assignment_group = r.assignment_group();
  f.assignee = r.assignee();
  f.responded = r.responded();
  f.major_incident = r.major_incident();
  f.category = r.category();
  f.hold_reason = r.hold_reason();
  f.create_time = r.create_time_us() == 0 ? absl::InfinitePast() : FromUs(r.create_time_us());
  return f;
}

sla::v1::TimerRecord ToRecord(const slamodel::RecordFields& f, const std::string& service) {
  sla::v1::TimerRecord r;
  r.set_state(f.state);
  r.set_priority(f.priority);
  r.set_assignment_group(f.assignment_group);
  r.set_assignee(f.assignee);
  r.set_responded(f.responded);
  r.set_major_incident(f.major_incident);
  r.set_category(f.category);
  r.set_hold_reason(f.hold_reason);
  r.set_create_time_us(f.create_time == absl::InfinitePast() ? 0 : Us(f.create_time));
  r.set_service(service);
  return r;
}

std::string KindName(sla::v1::ClockKind k) {
  return k == sla::v1::CLOCK_KIND_RESPONSE ? "response" : "resolution";
}

std::string StageName(Stage s) { return s == Stage::kRunning ? "running" : "paused"; }

std::vector<double> Thresholds(const sla::v1::SlaDefinition& d) {
  std::vector<double> t(d.warning_thresholds().begin(), d.warning_thresholds().end());
  if (t.empty()) t = {50, 75, 90};
  std::sort(t.begin(), t.end());
  return t;
}

bool WarningFired(const TimerClock& c, double pct) {
  return std::find(c.warnings_fired().begin(), c.warnings_fired().end(), pct) !=
         c.warnings_fired().end();
}

// The fields of `c` applied onto `f` (only those it sets).
void ApplyChange(const sla::v1::TimerFieldChange& c, slamodel::RecordFields& f) {
  if (c.has_state()) f.state = c.state();
  if (c.has_priority()) f.priority = c.priority();
  if (c.has_assignment_group()) f.assignment_group = c.assignment_group();
  if (c.has_assignee()) f.assignee = c.assignee();
  if (c.has_responded()) f.responded = c.responded();
  if (c.has_major_incident()) f.major_incident = c.major_incident();
  if (c.has_category()) f.category = c.category();
  if (c.has_hold_reason()) f.hold_reason = c.hold_reason();
}

// The record's condition history as the model reads it.
std::vector<slamodel::RecordChange> FieldHistory(const TimerState& st, absl::Time create_time) {
  std::vector<slamodel::RecordChange> out;
  slamodel::RecordFields f;
  f.create_time = create_time;
  for (const auto& c : st.field_changes()) {
    ApplyChange(c, f);
    out.push_back({FromUs(c.at_us()), f});
  }
  return out;
}

// Appends the change from `before` (nullptr: none known, a full entry) to `after` at `at`, if
// any field conditions read changed; folds the oldest changes into the first beyond the bound.
void RecordFieldChange(TimerState& st, const slamodel::RecordFields* before,
                       const slamodel::RecordFields& after, absl::Time at) {
  sla::v1::TimerFieldChange c;
  const bool full = before == nullptr || st.field_changes_size() == 0;
  // The first entry is the whole record, so that the history needs nothing else to be read.
  if (full || before->state != after.state) c.set_state(after.state);
  if (full || before->priority != after.priority) c.set_priority(after.priority);
  if (full || before->assignment_group != after.assignment_group) {
    c.set_assignment_group(after.assignment_group);
  }
  if (full || before->assignee != after.assignee) c.set_assignee(after.assignee);
  if (full || before->responded != after.responded) c.set_responded(after.responded);
  if (full || before->major_incident != after.major_incident) {
    c.set_major_incident(after.major_incident);
  }
  if (full || before->category != after.category) c.set_category(after.category);
  if (full || before->hold_reason != after.hold_reason) c.set_hold_reason(after.hold_reason);
  if (c.ByteSizeLong() == 0) return;  // nothing conditions read changed
  c.set_at_us(Us(at));
  *st.add_field_changes() = std::move(c);
  if (st.field_changes_size() > kMaxFieldChanges) {
    // The creation keeps its instant and takes the fields of the oldest change after it.
    auto* changes = st.mutable_field_changes();
    const int64_t first_at = changes->Get(0).at_us();
    changes->Mutable(0)->MergeFrom(changes->Get(1));
    changes->Mutable(0)->set_at_us(first_at);
    changes->erase(changes->begin() + 1);
  }
}

const std::string& RecordIdOf(const RecordChange& c) {
  return c.incident ? c.incident->id() : c.request ? c.request->id() : c.change->id();
}

int64_t VersionOf(const RecordChange& c) {
  return c.incident  ? c.incident->version()
         : c.request ? c.request->version()
                     : c.change->version();
}

const char* RecordTypeOf(const RecordChange& c) {
  return c.incident ? "" : c.request ? kServiceRequestRecord : kChangeRecord;
}

sla::v1::TimerParkedEvent ToParked(const RecordChange& c, const absl::Status& why) {
  sla::v1::TimerParkedEvent p;
  if (c.incident) *p.mutable_incident() = *c.incident;
  if (c.request) *p.mutable_service_request() = *c.request;
  if (c.change) *p.mutable_change() = *c.change;
  p.set_change_us(absl::ToUnixMicros(c.change_time));
  p.set_event_id(std::string(c.event_id));
  p.set_event_type(std::string(c.event_type));
  p.set_error(std::string(why.message()));
  return p;
}

RecordChange FromParked(const sla::v1::TimerParkedEvent& p) {
  RecordChange c{
      .change_time = FromUs(p.change_us()), .event_id = p.event_id(), .event_type = p.event_type()};
  if (p.has_incident()) c.incident = &p.incident();
  if (p.has_service_request()) c.request = &p.service_request();
  if (p.has_change()) c.change = &p.change();
  return c;
}

// A state that holds only parked events: none of the record's events applied yet (every applied
// event sets the record's fields).
bool NothingApplied(const TimerState& s) { return !s.has_record(); }

// `into` followed by `next`: one outcome of both, as if decided at once.
void Then(Outcome& into, Outcome next) {
  into.state = std::move(next.state);
  into.changed = into.changed || next.changed;
  for (events::CloudEvent& e : next.events) into.events.push_back(std::move(e));
  into.fired.insert(into.fired.end(), next.fired.begin(), next.fired.end());
  for (const auto& [k, v] : next.open_delta) {
    if ((into.open_delta[k] += v) == 0) into.open_delta.erase(k);
  }
  into.next_fire = next.next_fire;
  if (!next.no_sla_reason.empty()) {
    into.no_sla_reason = std::move(next.no_sla_reason);
    into.no_sla_detail = std::move(next.no_sla_detail);
  }
  if (!next.parked.empty()) into.parked = std::move(next.parked);
  for (std::string& d : next.dropped) into.dropped.push_back(std::move(d));
}

}  // namespace

// A clock replayed as of an instant, with its milestones. A decision looks at a clock several
// times at the same instant (its event's snapshot, the firing pass, the schedule), and each
// replay walks business time: most of a decision's cost.
struct TimerLogic::Replayed {
  std::string clock_id;
  int history_size = 0;
  int64_t last_transition_us = 0;
  absl::Time at;
  slamodel::Clock clock;
  std::vector<slamodel::Milestone> milestones;
};

struct TimerLogic::Ctx {
  Outcome out;
  // Clocks replayed by this decision (ReplayedAt); a deque keeps them in place as it grows.
  std::deque<Replayed> replayed;
  std::string incident_id;
  // The record's first configuration item ("" none), for CI-location zones.
  std::string ci_id;
  // The change being applied (OnRecord): the fields it set and the record's version, for the
  // events it causes.
  std::vector<sla::v1::FieldValue> changed_fields;
  int64_t record_version = 0;
  // A cancelled clock came back (Revives) in this decision.
  bool revived = false;
};

struct TimerLogic::Record {
  std::string id = {};
  std::string number = {};
  int64_t version = 0;
  std::string service = {};
  incident::v1::Priority priority = incident::v1::PRIORITY_UNSPECIFIED;
  slamodel::RecordFields fields = {};
  RecordQuery query = {};
  // The first configuration item; "" when none.
  std::string ci_id = {};
  // "" (incident), kServiceRequestRecord or kChangeRecord.
  std::string record_type = {};
};

TimerLogic::TimerLogic(DefinitionSource& source, Options options)
    : source_(source), options_(std::move(options)) {}

std::map<std::string, int> TimerLogic::OpenClocks(const TimerState& state) {
  std::map<std::string, int> out;
  for (const auto& c : state.clocks()) {
    const Stage s = StageOf(c);
    if (s == Stage::kRunning || s == Stage::kPaused) {
      ++out[absl::StrCat(KindName(c.clock_kind()), ":", StageName(s))];
    }
  }
  return out;
}

bool TimerLogic::Finished(const TimerState& state) {
  const std::string& s = state.record().state();
  if (state.parked_size() > 0) return false;
  // A state left with nothing (its only events parked, then dropped) keeps nothing either.
  if (NothingApplied(state)) return true;
  return (s == "CLOSED" || s == "CANCELLED") && OpenClocks(state).empty();
}

absl::StatusOr<std::string> TimerLogic::ZoneFor(const sla::v1::SlaDefinition& def,
                                                const sla::v1::Calendar& cal,
                                                const std::string& ci_id) {
  std::string ci_zone;
  if (def.time_zone_source() == sla::v1::TIME_ZONE_SOURCE_CI_LOCATION && !ci_id.empty() &&
      options_.configuration_items != nullptr) {
    absl::StatusOr<std::string> zone = options_.configuration_items->LocationZoneOf(ci_id);
    if (zone.ok()) {
      // A zone the CMDB holds but no one can read is the CMDB's problem: the default applies,
      // as for a CI without one (GetDueTime answers the same way).
      if (businesstime::LoadIanaTimeZone(*zone).ok()) ci_zone = *zone;
    } else if (zone.status().code() != absl::StatusCode::kNotFound) {
      return absl::UnavailableError(
          absl::StrCat("zone of CI ", ci_id, ": ", zone.status().message()));
    }
  }
  // The record carries no caller zone: for that source, the tenant default, else the
  // calendar's.
  return slamodel::ResolveTimeZone(def, cal, /*caller_time_zone=*/"", ci_zone,
                                   options_.default_time_zone);
}

absl::StatusOr<const businesstime::Calendar*> TimerLogic::CompiledCalendar(const TimerClock& c) {
  const auto key = std::make_tuple(c.calendar_id(), c.calendar_version(), c.time_zone());
  {
    absl::MutexLock lock(&mu_);
    if (auto it = calendars_.find(key); it != calendars_.end()) return it->second.get();
  }
  ITSM_ASSIGN_OR_RETURN(CalendarPtr record,
                        source_.Calendar(c.calendar_id(), c.calendar_version()));
  auto compiled = slamodel::CompileCalendar(*record, c.time_zone());
  if (!compiled.ok()) {
    // A stored calendar always compiled when it was saved; failing now is a broken record.
    return absl::FailedPreconditionError(
        absl::StrCat("calendar ", c.calendar_id(), ": ", compiled.status().message()));
  }
  absl::MutexLock lock(&mu_);
  auto& slot = calendars_[key];
  if (!slot) slot = std::make_unique<businesstime::Calendar>(*std::move(compiled));
  return slot.get();
}

absl::StatusOr<const slamodel::ClockPolicy*> TimerLogic::Policy(const sla::v1::SlaDefinition& d,
                                                                ClockKind kind) {
  const auto key = std::make_tuple(d.id(), d.version(), static_cast<int>(kind));
  absl::MutexLock lock(&mu_);
  if (auto it = policies_.find(key); it != policies_.end()) return it->second.get();
  auto policy = slamodel::ClockPolicy::FromDefinition(d, kind);
  if (!policy.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("definition ", d.id(), ": ", policy.status().message()));
  }
  auto& slot = policies_[key];
  slot = std::make_unique<slamodel::ClockPolicy>(*std::move(policy));
  return slot.get();
}

absl::StatusOr<sla::v1::SlaClock> TimerLogic::Snapshot(Ctx& ctx, const TimerClock& c, absl::Time at,
                                                       const std::string& cause, bool by_record,
                                                       bool transition) {
  ITSM_ASSIGN_OR_RETURN(const businesstime::Calendar* cal, CompiledCalendar(c));
  ITSM_ASSIGN_OR_RETURN(DefinitionPtr def,
                        source_.Definition(c.definition_id(), c.definition_version()));
  ITSM_ASSIGN_OR_RETURN(const Replayed* replayed, ReplayedAt(ctx, c, at));
  sla::v1::SlaClock s = ComposeClock(ctx.out.state, c, *def, *cal, replayed->clock,
                                     replayed->milestones.back().at, at);
  s.set_cause(cause);
  if (by_record) {
    for (const auto& f : ctx.changed_fields) *s.add_changed_fields() = f;
    s.set_record_version(ctx.record_version);
  }
  if (transition && c.history_size() > 0) {
    *s.mutable_change_time() =
        base::ToProtoTimestamp(FromUs(c.history(c.history_size() - 1).at_us()));
  }
  return s;
}

absl::Status TimerLogic::Emit(Ctx& ctx, TimerClock& c, google::protobuf::Message& message,
                              const std::string& what, absl::Time at) {
  // Every clock event carries the clock in its field 1, `clock`: numbered here, in the order
  // the events are published.
  const google::protobuf::FieldDescriptor* field = message.GetDescriptor()->FindFieldByNumber(1);
  if (field == nullptr || field->message_type() != sla::v1::SlaClock::descriptor()) {
    return absl::InternalError(
        absl::StrCat(message.GetDescriptor()->full_name(), " carries no SlaClock"));
  }
  c.set_events_emitted(c.events_emitted() + 1);
  static_cast<sla::v1::SlaClock*>(message.GetReflection()->MutableMessage(&message, field))
      ->set_sequence(c.events_emitted());
  events::CloudEvent e;
  // Derived from the clock and what happened to it (in which of its lives, for a clock that came
  // back): a replay or a second replica firing the same thing produces the same id, which
  // consumers de-duplicate.
  e.id = base::DerivedUuid(c.revivals() == 0
                               ? absl::StrCat(c.clock_id(), "/", what)
                               : absl::StrCat(c.clock_id(), "/", what, "/v", c.revivals()));
  e.source = kEventSource;
  e.type = std::string(message.GetDescriptor()->full_name());
  e.time = at;
  e.subject = ctx.incident_id;
  e.data = message.SerializeAsString();
  ctx.out.events.push_back(std::move(e));
  c.set_last_event_us(std::max(c.last_event_us(), Us(at)));
  return absl::OkStatus();
}

bool TimerLogic::Revives(const TimerClock& cancelled, const slamodel::Action& a) {
  if (a.type != ActionType::kStart || StageOf(cancelled) != Stage::kCancelled) return false;
  // A reset's clock is a new one by definition, whatever instants a late event gave the two.
  if (a.reason == "reset") return false;
  return a.at < FromUs(cancelled.history(cancelled.history_size() - 1).at_us());
}

std::string TimerLogic::Armed(const TimerClock& c, const std::string& what) {
  // The first arming keeps the ids published before re-arming existed.
  return c.rearmed() == 0 ? what : absl::StrCat(what, "/r", c.rearmed());
}

absl::StatusOr<const TimerLogic::Replayed*> TimerLogic::ReplayedAt(Ctx& ctx, const TimerClock& c,
                                                                   absl::Time t) {
  // Within one decision a clock's history only grows (a restart is a clock of another id; a
  // revived clock's entries here are dropped as it is revived).
  const int64_t last_us = c.history_size() > 0 ? c.history(c.history_size() - 1).at_us() : 0;
  for (const Replayed& r : ctx.replayed) {
    if (r.at == t && r.history_size == c.history_size() && r.last_transition_us == last_us &&
        r.clock_id == c.clock_id()) {
      return &r;
    }
  }
  ITSM_ASSIGN_OR_RETURN(const businesstime::Calendar* cal, CompiledCalendar(c));
  ITSM_ASSIGN_OR_RETURN(DefinitionPtr def,
                        source_.Definition(c.definition_id(), c.definition_version()));
  ITSM_ASSIGN_OR_RETURN(slamodel::Clock clock, slamodel::Clock::Replay(History(c), *cal, t));
  std::vector<slamodel::Milestone> milestones = clock.Milestones(*cal, Thresholds(*def), t);
  return &ctx.replayed.emplace_back(Replayed{.clock_id = c.clock_id(),
                                             .history_size = c.history_size(),
                                             .last_transition_us = last_us,
                                             .at = t,
                                             .clock = std::move(clock),
                                             .milestones = std::move(milestones)});
}

absl::StatusOr<std::vector<slamodel::Milestone>> TimerLogic::MilestonesOf(Ctx& ctx,
                                                                          const TimerClock& c,
                                                                          absl::Time t) {
  ITSM_ASSIGN_OR_RETURN(const Replayed* replayed, ReplayedAt(ctx, c, t));
  return replayed->milestones;
}

absl::Status TimerLogic::FireUpTo(Ctx& ctx, absl::Time t) {
  for (TimerClock& c : *ctx.out.state.mutable_clocks()) {
    ITSM_RETURN_IF_ERROR(FireClock(ctx, c, t, absl::InfiniteFuture()));
  }
  return absl::OkStatus();
}

absl::Status TimerLogic::FireClock(Ctx& ctx, TimerClock& c, absl::Time t, absl::Time limit) {
  // A paused clock fires too: a target lowered while it is paused (a priority raise on hold)
  // can make it breached at that instant, and it is announced then, not at the resume.
  const Stage stage = StageOf(c);
  if (stage != Stage::kRunning && stage != Stage::kPaused) return absl::OkStatus();
  // Thresholds skipped over by a shorter target stay unfired.
  if (c.breach_fired()) return absl::OkStatus();
  ITSM_ASSIGN_OR_RETURN(std::vector<slamodel::Milestone> milestones, MilestonesOf(ctx, c, t));
  for (const slamodel::Milestone& m : milestones) {
    // Ascending: once one is not reached (or not before `limit`), no later one is.
    if (!m.reached || !m.at || *m.at >= limit) break;
    const bool breach = &m == &milestones.back();
    if (!breach && WarningFired(c, m.percent)) continue;
    const absl::Time at = std::max(*m.at, FromUs(c.last_event_us()));
    if (breach) {
      c.set_breach_fired(true);
      // Without a cache the definition was read as the breach fired: nothing to look at again.
      if (options_.definition_cache_ttl > absl::ZeroDuration()) {
        c.set_retirement_check_us(Us(t + options_.definition_cache_ttl));
      }
      ITSM_ASSIGN_OR_RETURN(auto snap, Snapshot(ctx, c, at, kCauseTargetReached, false));
      snap.set_breached(true);
      sla::v1::SlaBreached e;
      *e.mutable_clock() = std::move(snap);
      ITSM_RETURN_IF_ERROR(Emit(ctx, c, e, Armed(c, "breached"), at));
    } else {
      c.add_warnings_fired(m.percent);
      ITSM_ASSIGN_OR_RETURN(auto snap, Snapshot(ctx, c, at, kCauseWarningThreshold, false));
      sla::v1::SlaWarningReached e;
      *e.mutable_clock() = std::move(snap);
      e.set_threshold_percent(m.percent);
      ITSM_RETURN_IF_ERROR(Emit(ctx, c, e, Armed(c, absl::StrCat("warning/", m.percent)), at));
    }
    ctx.out.fired.push_back({c.clock_kind(), breach, *m.at});
  }
  return absl::OkStatus();
}

std::optional<absl::Time> TimerLogic::RetiredAt(const std::string& definition_id,
                                                int64_t pinned_version) {
  // The current version, cached by the source for its TTL: this is how the timer learns of a
  // retirement (it does not consume the SLA service's events).
  absl::StatusOr<DefinitionPtr> current = source_.Definition(definition_id, 0);
  if (!current.ok()) return std::nullopt;
  if (!(*current)->retired()) {
    // Made active again since: a retirement in between still ended the clock (found from
    // outside: retired and made active again within seconds, clocks the timer had not looked at
    // meanwhile went on to breach). The versions are immutable, read once each.
    constexpr int64_t kMaxSteps = 1000;
    for (int64_t v = pinned_version + 1;
         v < (*current)->version() && v <= pinned_version + kMaxSteps; ++v) {
      absl::StatusOr<DefinitionPtr> between = source_.Definition(definition_id, v);
      if (!between.ok()) return std::nullopt;
      if ((*between)->retired()) return base::FromProtoTimestamp((*between)->update_time());
    }
    return std::nullopt;
  }
  DefinitionPtr first = *current;
  for (int64_t v = first->version() - 1; v > pinned_version; --v) {
    absl::StatusOr<DefinitionPtr> earlier = source_.Definition(definition_id, v);
    if (!earlier.ok() || !(*earlier)->retired()) break;
    first = *earlier;
  }
  return base::FromProtoTimestamp(first->update_time());
}

absl::StatusOr<CalendarPtr> TimerLogic::CalendarInForceAt(const std::string& id, absl::Time at) {
  ITSM_ASSIGN_OR_RETURN(CalendarPtr cal, source_.CurrentCalendar(id, at));
  // Each step reads an immutable version (cached for good); edits of one calendar between a
  // record's start and its processing are few, but the walk is bounded all the same.
  constexpr int kMaxSteps = 1000;
  for (int step = 0;
       step < kMaxSteps && cal->version() > 1 && base::FromProtoTimestamp(cal->update_time()) > at;
       ++step) {
    ITSM_ASSIGN_OR_RETURN(cal, source_.Calendar(id, cal->version() - 1));
  }
  return cal;
}

absl::StatusOr<DefinitionPtr> TimerLogic::DefinitionInForceAt(
    DefinitionPtr current, absl::Time at, const slamodel::CoverageFields& coverage) {
  constexpr int kMaxSteps = 1000;
  DefinitionPtr def = std::move(current);
  for (int step = 0;
       step < kMaxSteps && def->version() > 1 && base::FromProtoTimestamp(def->update_time()) > at;
       ++step) {
    ITSM_ASSIGN_OR_RETURN(DefinitionPtr earlier, source_.Definition(def->id(), def->version() - 1));
    // An earlier version that did not apply to the record: the answer found stands.
    if (earlier->retired() || !slamodel::Covers(*earlier, coverage)) break;
    def = std::move(earlier);
  }
  return def;
}

absl::Status TimerLogic::RepinForPriority(sla::v1::TimerDefinitionRef& ref, DefinitionPtr found,
                                          absl::Time at, const slamodel::CoverageFields& coverage,
                                          const std::string& priority) {
  const auto has_target = [this,
                           &priority](const sla::v1::SlaDefinition& d) -> absl::StatusOr<bool> {
    for (ClockKind kind : kKinds) {
      ITSM_ASSIGN_OR_RETURN(const slamodel::ClockPolicy* policy, Policy(d, kind));
      if (policy->TargetFor(priority)) return true;
    }
    return false;
  };
  ITSM_ASSIGN_OR_RETURN(DefinitionPtr pinned, source_.Definition(ref.id(), ref.version()));
  ITSM_ASSIGN_OR_RETURN(bool pinned_has, has_target(*pinned));
  if (pinned_has) return absl::OkStatus();
  ITSM_ASSIGN_OR_RETURN(DefinitionPtr in_force,
                        DefinitionInForceAt(std::move(found), at, coverage));
  if (in_force->version() <= ref.version()) return absl::OkStatus();
  ITSM_ASSIGN_OR_RETURN(bool in_force_has, has_target(*in_force));
  if (in_force_has) ref.set_version(in_force->version());
  return absl::OkStatus();
}

absl::Status TimerLogic::CancelRetired(Ctx& ctx, absl::Time t) {
  TimerState& st = ctx.out.state;
  for (int i = 0; i < st.clocks_size(); ++i) {
    TimerClock& c = *st.mutable_clocks(i);
    const Stage stage = StageOf(c);
    if (stage != Stage::kRunning && stage != Stage::kPaused) continue;
    const std::optional<absl::Time> retired = RetiredAt(c.definition_id(), c.definition_version());
    // The check after a breach is made once the SLA service has answered it: while it cannot, the
    // definition read last says nothing of a retirement since, and the clock is looked at again
    // a cache period later (an outside tester's outage hid a retirement's withdrawals for good).
    if (c.retirement_check_us() != 0 && Us(t) >= c.retirement_check_us()) {
      if (source_.CurrentDefinitionIsFresh(c.definition_id())) {
        c.clear_retirement_check_us();
      } else {
        c.set_retirement_check_us(
            Us(t + std::max(options_.definition_cache_ttl, absl::Seconds(1))));
      }
    }
    if (!retired || *retired > t) continue;
    ITSM_ASSIGN_OR_RETURN(DefinitionPtr def,
                          source_.Definition(c.definition_id(), c.definition_version()));
    // What was reached before the retirement was owed, and is announced at its instant.
    ITSM_RETURN_IF_ERROR(FireClock(ctx, c, *retired, *retired));
    // A breach fired for an instant at or after the retirement, before the timer could know of
    // it, was not owed: withdrawn below, once the clock is cancelled.
    bool withdraw = false;
    if (c.breach_fired()) {
      ITSM_ASSIGN_OR_RETURN(std::vector<slamodel::Milestone> milestones, MilestonesOf(ctx, c, t));
      withdraw = milestones.back().at && *milestones.back().at >= *retired;
    }
    const ClockKind kind = c.clock_kind() == sla::v1::CLOCK_KIND_RESPONSE ? ClockKind::kResponse
                                                                          : ClockKind::kResolution;
    // At the retirement instant (or the clock's last transition, if the timer applied a change
    // of the record after it before it knew).
    ITSM_RETURN_IF_ERROR(
        ApplyAction(ctx, *def, kind,
                    {.type = ActionType::kCancel, .at = *retired, .reason = "definition_retired"},
                    c.priority(), *retired));
    if (!withdraw) continue;
    TimerClock& cancelled = *st.mutable_clocks(i);
    cancelled.set_rearmed(cancelled.rearmed() + 1);
    cancelled.set_breach_fired(false);
    cancelled.clear_warnings_fired();
    const absl::Time at = FromUs(cancelled.last_event_us());
    sla::v1::SlaBreachWithdrawn e;
    ITSM_ASSIGN_OR_RETURN(*e.mutable_clock(),
                          Snapshot(ctx, cancelled, at, kCauseDefinitionRetired, false));
    e.set_reason("definition_retired");
    ITSM_RETURN_IF_ERROR(Emit(ctx, cancelled, e, Armed(cancelled, "breach-withdrawn"), at));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> TimerLogic::TargetOf(const sla::v1::SlaDefinition& def,
                                                    const TimerClock& c, const slamodel::Action& a,
                                                    absl::Time from) {
  if (a.business_days <= 0) return a.target;
  ITSM_ASSIGN_OR_RETURN(const businesstime::Calendar* cal, CompiledCalendar(c));
  absl::StatusOr<slamodel::BusinessDaysDue> due = slamodel::BusinessDaysTarget(
      *cal, from, a.business_days, slamodel::BusinessDayRuleFromProto(def.business_day_rule()));
  if (due.ok()) return due->target;
  if (due.status().code() != absl::StatusCode::kFailedPrecondition) return due.status();
  // Too little open time within the search horizon (validated at save, so only a calendar
  // changed since): like a duration target the calendar cannot reach, a clock that never comes
  // due, rather than a record whose events are retried for ever.
  return businesstime::kSearchHorizon;
}

absl::Status TimerLogic::Rearm(Ctx& ctx, absl::Time t, const std::string& reason) {
  for (TimerClock& c : *ctx.out.state.mutable_clocks()) {
    if (StageOf(c) == Stage::kNone || StageOf(c) == Stage::kCancelled) continue;
    if (!c.breach_fired() && c.warnings_fired_size() == 0) continue;
    // Judged as of the clock's last event, not only the change's instant: a change stamped
    // before a breach already fired (a note relayed late, a host running behind) that leaves
    // the history as it was must not make the breach untrue for the instants between. A late
    // stop, pause or longer target still lowers the elapsed time there, and withdraws it.
    const absl::Time judged = std::max(t, FromUs(c.last_event_us()));
    ITSM_ASSIGN_OR_RETURN(std::vector<slamodel::Milestone> milestones,
                          MilestonesOf(ctx, c, judged));
    const bool withdraw = c.breach_fired() && !milestones.back().reached;
    std::vector<double> still;
    for (double p : c.warnings_fired()) {
      for (const auto& m : milestones) {
        if (m.percent == p && m.reached) still.push_back(p);
      }
    }
    if (!withdraw && static_cast<int>(still.size()) == c.warnings_fired_size()) continue;
    // What is no longer true is armed again, under new event ids (Armed): if it becomes true
    // again it is announced again, not dropped by consumers as a duplicate.
    c.set_rearmed(c.rearmed() + 1);
    c.clear_warnings_fired();
    for (double p : still) c.add_warnings_fired(p);
    if (!withdraw) continue;
    c.set_breach_fired(false);
    const absl::Time at = std::max(t, FromUs(c.last_event_us()));
    sla::v1::SlaBreachWithdrawn e;
    // A longer target withdraws it (a priority change), or an earlier change applied late.
    ITSM_ASSIGN_OR_RETURN(*e.mutable_clock(), Snapshot(ctx, c, at,
                                                       reason == "retargeted" || reason == "revived"
                                                           ? kCausePriorityChange
                                                           : kCauseLateEvent,
                                                       true));
    e.set_reason(reason);
    ITSM_RETURN_IF_ERROR(Emit(ctx, c, e, Armed(c, "breach-withdrawn"), at));
  }
  return absl::OkStatus();
}

absl::Status TimerLogic::ScheduleNext(Ctx& ctx) {
  ctx.out.next_fire.reset();
  const auto consider = [&ctx](absl::Time at) {
    if (!ctx.out.next_fire || at < *ctx.out.next_fire) ctx.out.next_fire = at;
  };
  for (const TimerClock& c : ctx.out.state.clocks()) {
    // A retirement known in advance cancels at its instant; a breach fired is looked at again
    // once the definition has surely been read again (paused clocks too: CancelRetired).
    const Stage stage = StageOf(c);
    if (stage == Stage::kRunning || stage == Stage::kPaused) {
      if (c.retirement_check_us() != 0) consider(FromUs(c.retirement_check_us()));
      if (auto retired = RetiredAt(c.definition_id(), c.definition_version())) consider(*retired);
    }
  }
  for (const TimerClock& c : ctx.out.state.clocks()) {
    // Only a running clock moves towards a milestone; the rest change only with an event.
    if (StageOf(c) != Stage::kRunning || c.breach_fired()) continue;
    ITSM_ASSIGN_OR_RETURN(std::vector<slamodel::Milestone> milestones,
                          MilestonesOf(ctx, c, FromUs(c.last_event_us())));
    for (const slamodel::Milestone& m : milestones) {
      const bool breach = &m == &milestones.back();
      if (!breach && WarningFired(c, m.percent)) continue;
      // A calendar with too little open time never falls due: nothing to schedule.
      if (m.at && (!ctx.out.next_fire || *m.at < *ctx.out.next_fire)) ctx.out.next_fire = *m.at;
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status TimerLogic::ApplyAction(Ctx& ctx, const sla::v1::SlaDefinition& def, ClockKind kind,
                                     const slamodel::Action& a, incident::v1::Priority priority,
                                     absl::Time change_time,
                                     const std::vector<slamodel::Action>& replayed) {
  const auto pkind = slamodel::ToProto(kind);
  TimerState& st = ctx.out.state;
  int index = -1;
  for (int i = 0; i < st.clocks_size(); ++i) {
    if (st.clocks(i).definition_id() == def.id() && st.clocks(i).clock_kind() == pkind) index = i;
  }
  if (a.type == ActionType::kStart) {
    const bool revive = index >= 0 && Revives(st.clocks(index), a);
    int32_t sequence = 1;
    if (revive) {
      sequence = st.clocks(index).sequence();
    } else if (index >= 0) {
      sequence = st.clocks(index).sequence() + 1;
    } else {
      index = st.clocks_size();
      st.add_clocks();
    }
    // A clock that comes back counts again from its own start, never from before it: a reset's
    // clock from the reset, one whose start condition held late from then (found from outside:
    // counted from the record's creation, it breached early). The record's pauses before that
    // start leave only the stage the clock had then.
    absl::Time start_at = a.at;
    std::vector<slamodel::Action> kept = replayed;
    if (revive) {
      const absl::Time own_start = FromUs(st.clocks(index).history(0).at_us());
      if (own_start > a.at) {
        start_at = own_start;
        bool paused = false;
        kept.clear();
        for (const slamodel::Action& r : replayed) {
          if (r.at < own_start) {
            paused = r.type == ActionType::kPause;
          } else {
            kept.push_back(r);
          }
        }
        if (paused) {
          kept.insert(kept.begin(), {ActionType::kPause, own_start, slamodel::kReplayedReason});
        }
      }
    }
    ITSM_ASSIGN_OR_RETURN(CalendarPtr cal, CalendarInForceAt(def.calendar_id(), start_at));
    TimerClock c;
    if (revive) {
      // The clock keeps its id and what it announced (warnings, breach, event count); its
      // history is counted again from the start, under the rules in force now. Rearm then
      // withdraws an announcement the new target makes untrue.
      c = st.clocks(index);
      c.clear_history();
      for (Replayed& r : ctx.replayed) {
        if (r.clock_id == c.clock_id()) r.clock_id.clear();  // its old history's, stale now
      }
      c.set_revivals(c.revivals() + 1);
      ctx.revived = true;
    }
    c.set_definition_id(def.id());
    c.set_definition_version(def.version());
    c.set_clock_kind(pkind);
    c.set_sequence(sequence);
    // A service request's clock ids also name the record type (an incident's stay as they
    // were, so that replays keep producing the ids consumers saw).
    const std::string record_prefix =
        st.record_type().empty() ? "" : absl::StrCat(st.record_type(), "/");
    c.set_clock_id(base::DerivedUuid(absl::StrCat(record_prefix, ctx.incident_id, "/", def.id(),
                                                  "/", KindName(pkind), "/", sequence)));
    c.set_calendar_id(cal->id());
    c.set_calendar_version(cal->version());
    ITSM_ASSIGN_OR_RETURN(std::string zone, ZoneFor(def, *cal, ctx.ci_id));
    c.set_time_zone(zone);
    c.set_priority(priority);
    c.set_retroactive(start_at < change_time);
    // Business days become business time once, here, on the clock's own calendar and zone.
    ITSM_ASSIGN_OR_RETURN(const absl::Duration target, TargetOf(def, c, a, start_at));
    AddTransition(c, ActionType::kStart, start_at, target);
    // The pauses of the record's history before this change belong to the start: its event
    // carries their effect (paused duration, stage), none of their own is invented afterwards.
    for (const slamodel::Action& r : kept) AddTransition(c, r.type, r.at);
    *st.mutable_clocks(index) = std::move(c);
    TimerClock& clock = *st.mutable_clocks(index);
    ITSM_ASSIGN_OR_RETURN(auto snap, Snapshot(ctx, clock, change_time, CauseOf(a), true));
    sla::v1::SlaClockStarted m;
    *m.mutable_clock() = std::move(snap);
    m.set_retroactive(clock.retroactive());
    for (const slamodel::Action& r : kept) {
      auto* t = m.add_replayed();
      t->set_type(r.type == ActionType::kPause ? "pause" : "resume");
      *t->mutable_time() = base::ToProtoTimestamp(r.at);
    }
    return Emit(ctx, clock, m, "started", change_time);
  }
  if (index < 0) {
    return absl::InternalError(
        absl::StrCat("action ", slamodel::ActionName(a.type), " without a clock"));
  }
  TimerClock& c = *st.mutable_clocks(index);
  const absl::Time at = std::max(change_time, FromUs(c.last_event_us()));
  // Event ids of transitions that can repeat carry their position in the history.
  const std::string n = absl::StrCat(c.history_size());
  switch (a.type) {
    case ActionType::kPause: {
      AddTransition(c, a.type, a.at);
      sla::v1::SlaClockPaused m;
      ITSM_ASSIGN_OR_RETURN(*m.mutable_clock(), Snapshot(ctx, c, at, CauseOf(a), true, true));
      return Emit(ctx, c, m, "paused/" + n, at);
    }
    case ActionType::kResume: {
      AddTransition(c, a.type, a.at);
      sla::v1::SlaClockResumed m;
      ITSM_ASSIGN_OR_RETURN(*m.mutable_clock(), Snapshot(ctx, c, at, CauseOf(a), true, true));
      return Emit(ctx, c, m, "resumed/" + n, at);
    }
    case ActionType::kStop: {
      // One change can re-target a clock (or start it from the record's creation) and stop it:
      // a breach it makes true at that instant is announced before the clock completes, as
      // every breach is (SlaBreached, then SlaClockCompleted), not only told by the completion.
      ITSM_RETURN_IF_ERROR(FireClock(ctx, c, a.at, absl::InfiniteFuture()));
      const absl::Time stop_at = std::max(change_time, FromUs(c.last_event_us()));
      AddTransition(c, a.type, a.at);
      ITSM_ASSIGN_OR_RETURN(auto snap, Snapshot(ctx, c, stop_at, CauseOf(a), true, true));
      if (snap.breached()) {
        sla::v1::SlaClockCompleted m;
        *m.mutable_clock() = std::move(snap);
        return Emit(ctx, c, m, "stopped", stop_at);
      }
      sla::v1::SlaMet m;
      *m.mutable_clock() = std::move(snap);
      return Emit(ctx, c, m, "stopped", stop_at);
    }
    case ActionType::kCancel:
    case ActionType::kReset: {
      // A breach due before the cancellation is announced first, as for a stop (the timer may
      // be behind), and the cancelled clock keeps it.
      ITSM_RETURN_IF_ERROR(FireClock(ctx, c, a.at, absl::InfiniteFuture()));
      AddTransition(c, ActionType::kCancel, a.at);
      sla::v1::SlaClockCancelled m;
      ITSM_ASSIGN_OR_RETURN(*m.mutable_clock(), Snapshot(ctx, c, at, CauseOf(a), true, true));
      m.set_reason(a.type == ActionType::kReset && a.reason.empty() ? "reset" : a.reason);
      return Emit(ctx, c, m, "cancelled", at);
    }
    case ActionType::kRetarget: {
      const int64_t previous_target = [&c] {
        int64_t t = 0;
        for (const auto& h : c.history()) {
          if (h.type() == static_cast<int>(ActionType::kStart) ||
              h.type() == static_cast<int>(ActionType::kRetarget)) {
            t = h.target_s();
          }
        }
        return t;
      }();
      const auto previous_priority = c.priority();
      // A target in business days counts from the clock's start, as if it had been set then.
      ITSM_ASSIGN_OR_RETURN(const absl::Duration target,
                            TargetOf(def, c, a, FromUs(c.history(0).at_us())));
      AddTransition(c, a.type, a.at, target);
      c.set_priority(priority);
      sla::v1::SlaClockRetargeted m;
      ITSM_ASSIGN_OR_RETURN(*m.mutable_clock(), Snapshot(ctx, c, at, CauseOf(a), true, true));
      *m.mutable_previous_target() = base::ToProtoDuration(absl::Seconds(previous_target));
      m.set_previous_priority(previous_priority);
      return Emit(ctx, c, m, "retargeted/" + n, at);
    }
    case ActionType::kStart:
      break;
  }
  return absl::OkStatus();
}

TimerLogic::Record TimerLogic::RecordOf(const incident::v1::Incident& incident) {
  Record r;
  r.id = incident.id();
  r.number = incident.number();
  r.version = incident.version();
  r.service = incident.service();
  r.priority = incident.priority();
  r.fields = slamodel::FromIncident(incident);
  r.query = RecordQuery::Of(incident);
  // The first item is the one the record is about (GetDueTime's ci_id is one item too).
  if (incident.configuration_item_ids_size() > 0) r.ci_id = incident.configuration_item_ids(0);
  return r;
}

TimerLogic::Record TimerLogic::RecordOf(const incident::v1::ServiceRequest& request) {
  Record r;
  r.id = request.id();
  r.number = request.number();
  r.version = request.version();
  r.service = request.service();
  r.priority = request.priority();
  r.fields = slamodel::FromServiceRequest(request);
  r.query = RecordQuery::Of(request);
  r.record_type = kServiceRequestRecord;
  return r;
}

TimerLogic::Record TimerLogic::RecordOf(const change::v1::Change& change) {
  Record r;
  r.id = change.id();
  r.number = change.number();
  r.version = change.version();
  r.query = RecordQuery::Of(change);
  r.service = r.query.service;
  r.priority = r.query.priority;
  r.fields = slamodel::FromChange(change);
  r.record_type = kChangeRecord;
  // The first CI, as for an incident: definitions narrowed to CI classes and CI-location zones.
  if (change.configuration_item_ids_size() > 0) r.ci_id = change.configuration_item_ids(0);
  return r;
}

TimerLogic::Record TimerLogic::RecordOf(const RecordChange& c) {
  return c.incident  ? RecordOf(*c.incident)
         : c.request ? RecordOf(*c.request)
                     : RecordOf(*c.change);
}

bool TimerLogic::SameForClocks(const Record& a, const Record& b) {
  const auto fields = [](const slamodel::RecordFields& f) {
    return std::tie(f.state, f.priority, f.assignment_group, f.assignee, f.responded,
                    f.major_incident, f.category, f.hold_reason, f.create_time);
  };
  const auto query = [](const RecordQuery& q) {
    return std::tie(q.service, q.priority, q.category, q.ci_class, q.request_type, q.record_kind,
                    q.create_time);
  };
  return a.id == b.id && a.service == b.service && a.priority == b.priority && a.ci_id == b.ci_id &&
         a.record_type == b.record_type && fields(a.fields) == fields(b.fields) &&
         query(a.query) == query(b.query);
}

absl::StatusOr<Outcome> TimerLogic::OnIncident(const TimerState* stored,
                                               const incident::v1::Incident& incident,
                                               int32_t partition, absl::Time change_time) {
  return OnRecord(stored, RecordOf(incident), partition, change_time);
}

absl::StatusOr<Outcome> TimerLogic::OnServiceRequest(const TimerState* stored,
                                                     const incident::v1::ServiceRequest& request,
                                                     int32_t partition, absl::Time change_time) {
  return OnRecord(stored, RecordOf(request), partition, change_time);
}

absl::StatusOr<Outcome> TimerLogic::OnChange(const TimerState* stored,
                                             const change::v1::Change& change, int32_t partition,
                                             absl::Time change_time) {
  return OnRecord(stored, RecordOf(change), partition, change_time);
}

absl::StatusOr<std::vector<DefinitionPtr>> TimerLogic::Resolve(Ctx& ctx, const Record& record) {
  // Every definition covers listed services and has targets per priority: without either, none
  // can apply. Not a question for the SLA service (which refuses it).
  if (record.service.empty()) {
    ctx.out.no_sla_reason = "no_service";
    return std::vector<DefinitionPtr>{};
  }
  if (record.priority == incident::v1::PRIORITY_UNSPECIFIED) {
    ctx.out.no_sla_reason = "no_priority";
    return std::vector<DefinitionPtr>{};
  }
  absl::StatusOr<std::vector<DefinitionPtr>> found = source_.Resolve(record.query);
  switch (found.status().code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
      break;
    default:
      return found;  // OK, or a failure that can heal (the event waits with its record)
  }
  // Refused for this record's data: asking again gives the same answer. Holding the record
  // (and its partition) for it would stall every other record's clocks.
  ctx.out.no_sla_reason = "refused";
  ctx.out.no_sla_detail = found.status().ToString();
  return std::vector<DefinitionPtr>{};
}

absl::StatusOr<std::string> TimerLogic::CiClass(const std::string& ci_id) {
  if (ci_id.empty() || options_.configuration_items == nullptr) return std::string();
  absl::StatusOr<std::string> cls = options_.configuration_items->ClassOf(ci_id);
  if (cls.ok() || cls.status().code() != absl::StatusCode::kNotFound) {
    if (!cls.ok()) {
      return absl::UnavailableError(
          absl::StrCat("class of CI ", ci_id, ": ", cls.status().message()));
    }
    return cls;
  }
  return std::string();  // no such CI: no class (a record's data, not a reason to retry)
}

absl::Status TimerLogic::Detach(Ctx& ctx, const slamodel::CoverageFields& coverage,
                                incident::v1::Priority priority, absl::Time change_time) {
  TimerState& st = ctx.out.state;
  for (int i = 0; i < st.definitions_size();) {
    const sla::v1::TimerDefinitionRef ref = st.definitions(i);
    ITSM_ASSIGN_OR_RETURN(DefinitionPtr def, source_.Definition(ref.id(), ref.version()));
    // Judged by the version attached, as its clocks are: an edit of the definition since does
    // not end them; a change of the record does.
    if (slamodel::Covers(*def, coverage)) {
      ++i;
      continue;
    }
    for (const TimerClock& c : st.clocks()) {
      const Stage stage = StageOf(c);
      if (c.definition_id() != def->id() || (stage != Stage::kRunning && stage != Stage::kPaused)) {
        continue;
      }
      const ClockKind kind = c.clock_kind() == sla::v1::CLOCK_KIND_RESPONSE
                                 ? ClockKind::kResponse
                                 : ClockKind::kResolution;
      ITSM_RETURN_IF_ERROR(
          ApplyAction(ctx, *def, kind,
                      {.type = ActionType::kCancel, .at = change_time, .reason = "not_applicable"},
                      priority, change_time));
    }
    st.mutable_definitions()->erase(st.mutable_definitions()->begin() + i);
  }
  return absl::OkStatus();
}

absl::StatusOr<Outcome> TimerLogic::OnRecord(const TimerState* stored, const Record& in,
                                             int32_t partition, absl::Time change_time) {
  Ctx ctx;
  ctx.incident_id = in.id;
  ctx.ci_id = in.ci_id;
  Record record = in;
  if (stored != nullptr) {
    if (stored->record_type() != record.record_type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "record ", record.id, " is stored as ",
          stored->record_type().empty() ? "an incident" : stored->record_type(), ", not as ",
          record.record_type.empty() ? "an incident" : record.record_type));
    }
    ctx.out.state = *stored;
    // Record versions grow by one per change: anything not newer was applied already.
    if (record.version != 0 && record.version <= stored->incident_version()) {
      ITSM_RETURN_IF_ERROR(ScheduleNext(ctx));
      return std::move(ctx.out);
    }
  } else {
    ctx.out.state.set_incident_id(record.id);
    ctx.out.state.set_record_type(record.record_type);
  }
  TimerState& st = ctx.out.state;
  st.set_partition(partition);
  if (!record.number.empty()) st.set_record_number(record.number);
  const auto open_before = OpenClocks(st);

  // Warnings and breaches due before this change happened come first, at their own instants:
  // a late resolution is "breached, then completed", whether or not the firing loop was quick.
  // Clocks of definitions retired before it end at their retirement.
  ITSM_RETURN_IF_ERROR(CancelRetired(ctx, change_time));
  ITSM_RETURN_IF_ERROR(FireUpTo(ctx, change_time));

  const slamodel::RecordFields& after = record.fields;
  std::optional<slamodel::RecordFields> before;
  std::optional<slamodel::CoverageFields> before_coverage;
  if (stored != nullptr && stored->incident_version() > 0) {
    before = FromRecord(stored->record());
    before_coverage = {.service = stored->record().service(),
                       .category = stored->record().category(),
                       .ci_class = stored->record().ci_class(),
                       .request_type = stored->record().request_type(),
                       .record_kind = record.query.record_kind};
  }
  // The CI's class is asked for when the record's CI changes, not on every event: a record's
  // events do not wait on the configuration service unless its CI is new to the timer.
  if (before && stored->record().ci_id() == record.ci_id) {
    record.query.ci_class = stored->record().ci_class();
  } else {
    ITSM_ASSIGN_OR_RETURN(record.query.ci_class, CiClass(record.ci_id));
  }
  const slamodel::CoverageFields coverage = {.service = record.query.service,
                                             .category = record.query.category,
                                             .ci_class = record.query.ci_class,
                                             .request_type = record.query.request_type,
                                             .record_kind = record.query.record_kind};
  ctx.changed_fields = ChangedFields(
      before ? &*before : nullptr, before_coverage ? &*before_coverage : nullptr, after, coverage);
  ctx.record_version = record.version;
  const auto record_of = [&record](const slamodel::RecordFields& f) {
    sla::v1::TimerRecord r = ToRecord(f, record.service);
    r.set_ci_id(record.ci_id);
    r.set_ci_class(record.query.ci_class);
    r.set_request_type(record.query.request_type);
    return r;
  };

  // Which definitions apply: asked when the record is first seen, and again whenever a field a
  // definition matches on changes (service, category, CI class, request type, priority).
  // Attached definitions that no longer cover the record are detached and their clocks
  // cancelled, with the record as it was (the clock was the old service's); found ones stay
  // attached at the version first seen, so that a clock keeps the rules it started under. A
  // missing target for a new priority is the policy's (priority_not_covered), not a detach: the
  // clock comes back if the priority does.
  std::set<std::string> attached_now;
  const bool reevaluate =
      !before || before->priority != after.priority || *before_coverage != coverage;
  if (reevaluate && before) {
    ITSM_RETURN_IF_ERROR(Detach(ctx, coverage, record.priority, change_time));
  }
  // Set the service before any snapshot reads it.
  *st.mutable_record() = record_of(before ? *before : after);
  if (reevaluate) {
    ITSM_ASSIGN_OR_RETURN(std::vector<DefinitionPtr> found, Resolve(ctx, record));
    for (const DefinitionPtr& d : found) {
      // An answer cached from before a retirement the timer already knows of.
      if (auto retired = RetiredAt(d->id(), d->version()); retired && *retired <= change_time) {
        continue;
      }
      sla::v1::TimerDefinitionRef* known = nullptr;
      for (auto& ref : *st.mutable_definitions()) {
        if (ref.id() == d->id()) known = &ref;
      }
      if (known != nullptr) {
        ITSM_RETURN_IF_ERROR(RepinForPriority(*known, d, change_time, coverage, after.priority));
        continue;
      }
      ITSM_ASSIGN_OR_RETURN(DefinitionPtr in_force, DefinitionInForceAt(d, change_time, coverage));
      auto* ref = st.add_definitions();
      ref->set_id(in_force->id());
      ref->set_version(in_force->version());
      if (before) attached_now.insert(d->id());
    }
  }
  const std::vector<slamodel::RecordChange> history = FieldHistory(st, after.create_time);
  bool retargeted = false;
  for (int i = 0; i < st.definitions_size(); ++i) {
    const sla::v1::TimerDefinitionRef ref = st.definitions(i);
    // A retired definition applies to nothing: no clock starts for it any more.
    if (auto retired = RetiredAt(ref.id(), ref.version()); retired && *retired <= change_time) {
      continue;
    }
    ITSM_ASSIGN_OR_RETURN(DefinitionPtr def, source_.Definition(ref.id(), ref.version()));
    for (ClockKind kind : kKinds) {
      ITSM_ASSIGN_OR_RETURN(const slamodel::ClockPolicy* policy, Policy(*def, kind));
      Stage stage = Stage::kNone;
      for (const auto& c : st.clocks()) {
        if (c.definition_id() == def->id() && c.clock_kind() == slamodel::ToProto(kind)) {
          stage = StageOf(c);
        }
      }
      // A definition that now covers the record (it did not before this change) attaches as
      // a new clock; the others follow the record's change.
      const std::vector<slamodel::Action> actions =
          attached_now.contains(def->id())
              ? policy->Attach(after, change_time, history)
              : policy->Decide(stage, before ? &*before : nullptr, after, change_time, history);
      for (size_t k = 0; k < actions.size(); ++k) {
        const slamodel::Action& a = actions[k];
        retargeted |= a.type == ActionType::kRetarget;
        std::vector<slamodel::Action> replayed;
        while (a.type == ActionType::kStart && k + 1 < actions.size() &&
               actions[k + 1].reason == slamodel::kReplayedReason) {
          replayed.push_back(actions[++k]);
        }
        ITSM_RETURN_IF_ERROR(
            ApplyAction(ctx, *def, kind, a, record.priority, change_time, replayed));
      }
    }
  }
  RecordFieldChange(st, before ? &*before : nullptr, after, change_time);
  *st.mutable_record() = record_of(after);
  st.set_incident_version(record.version);
  // A change of target or history may have made an announced breach (or warning) untrue: it is
  // withdrawn and armed again. Then a clock stopped, re-targeted or paused may owe warnings or
  // a breach at this very instant.
  ITSM_RETURN_IF_ERROR(Rearm(ctx, change_time,
                             retargeted    ? "retargeted"
                             : ctx.revived ? "revived"
                                           : "history"));
  ITSM_RETURN_IF_ERROR(FireUpTo(ctx, change_time));
  ITSM_RETURN_IF_ERROR(ScheduleNext(ctx));
  ctx.out.changed = true;
  auto open_after = OpenClocks(st);
  for (const auto& [k, v] : open_before) open_after[k] -= v;
  for (const auto& [k, v] : open_after) {
    if (v != 0) ctx.out.open_delta[k] = v;
  }
  return std::move(ctx.out);
}

absl::StatusOr<Outcome> TimerLogic::OnRecordChange(const TimerState* stored, const RecordChange& c,
                                                   int32_t partition) {
  if (c.incident) return OnIncident(stored, *c.incident, partition, c.change_time);
  if (c.request) return OnServiceRequest(stored, *c.request, partition, c.change_time);
  return OnChange(stored, *c.change, partition, c.change_time);
}

absl::StatusOr<Outcome> TimerLogic::Apply(const TimerState* stored, const RecordChange& change,
                                          int32_t partition, const PublishedFirings* published) {
  if (stored == nullptr || published == nullptr) return ApplyAfterParked(stored, change, partition);
  ITSM_ASSIGN_OR_RETURN(Outcome refired, Refire(*stored, *published));
  if (!refired.changed) return ApplyAfterParked(stored, change, partition);
  ITSM_ASSIGN_OR_RETURN(Outcome out, ApplyAfterParked(&refired.state, change, partition));
  Then(refired, std::move(out));
  return refired;
}

absl::StatusOr<Outcome> TimerLogic::Refire(const TimerState& stored,
                                           const PublishedFirings& published) {
  Outcome total;
  total.state = stored;
  // Parked events come first (Fire); while they wait, nothing of the record fires.
  if (stored.parked_size() > 0) return total;
  for (const PublishedFiring& f : published.Of(stored.incident_id())) {
    // Published times are cut to the microsecond: fired up to the end of that microsecond.
    ITSM_ASSIGN_OR_RETURN(Outcome fired, FireClocks(total.state, f.at + absl::Microseconds(1) -
                                                                     absl::Nanoseconds(1)));
    const bool as_published =
        !fired.events.empty() &&
        std::all_of(fired.events.begin(), fired.events.end(),
                    [&](const events::CloudEvent& e) { return published.Contains(e.id, e.time); });
    if (!as_published) continue;
    fired.fired.clear();
    Then(total, std::move(fired));
  }
  return total;
}

absl::StatusOr<Outcome> TimerLogic::ApplyAfterParked(const TimerState* stored,
                                                     const RecordChange& change,
                                                     int32_t partition) {
  if (stored == nullptr || stored->parked_size() == 0) {
    absl::StatusOr<Outcome> out = OnRecordChange(
        stored != nullptr && NothingApplied(*stored) ? nullptr : stored, change, partition);
    if (out.ok() || !WaitsWithItsRecord(out.status())) return out;
    return Park(stored != nullptr ? *stored : TimerState(), change, partition, out.status(), {});
  }
  // An event of the other record type never joins the queue: OnRecord refuses it first.
  if (stored->record_type() != RecordTypeOf(change)) {
    return OnRecordChange(stored, change, partition);
  }
  absl::StatusOr<Outcome> replayed = ApplyParked(*stored);
  if (!replayed.ok()) {
    if (!WaitsWithItsRecord(replayed.status())) return replayed.status();
    // A redelivery of an event applied or parked already is a replay, as OnRecord would say.
    const int64_t version = VersionOf(change);
    const int64_t known =
        std::max(stored->incident_version(), VersionOf(FromParked(*stored->parked().rbegin())));
    if (version != 0 && version <= known) {
      Outcome same;
      same.state = *stored;
      same.next_fire = FromUs(stored->parked(0).change_us());
      return same;
    }
    return Park(*stored, change, partition, replayed.status(), {});  // behind the others
  }
  Outcome so_far = *std::move(replayed);
  absl::StatusOr<Outcome> out =
      OnRecordChange(NothingApplied(so_far.state) ? nullptr : &so_far.state, change, partition);
  if (!out.ok()) {
    if (!WaitsWithItsRecord(out.status())) return out.status();
    TimerState state = std::move(so_far.state);
    return Park(std::move(state), change, partition, out.status(), std::move(so_far));
  }
  Then(so_far, *std::move(out));
  return so_far;
}

absl::StatusOr<Outcome> TimerLogic::Park(TimerState state, const RecordChange& change,
                                         int32_t partition, const absl::Status& why,
                                         Outcome so_far) {
  if (state.incident_id().empty()) {  // the record's first event
    state.set_incident_id(RecordIdOf(change));
    state.set_record_type(RecordTypeOf(change));
  }
  state.set_partition(partition);
  auto& parked = *state.mutable_parked();
  if (parked.size() >= kMaxParkedEvents) {
    // Full: make room by dropping an event that changed nothing the clocks read (a note, a
    // description), which leaves every clock as it would have been. Dropping one that did
    // could lose a resolution's instant, and with it turn a met clock into a breach.
    if (SameForClocks(RecordOf(change), RecordOf(FromParked(*parked.rbegin())))) {
      // Nothing new for the clocks; the parked one keeps the instant of the change.
      so_far.state = std::move(state);
      so_far.next_fire = FromUs(so_far.state.parked(0).change_us());
      return so_far;
    } else {
      int idle = -1;
      for (int k = 1; k < parked.size() && idle < 0; ++k) {
        if (SameForClocks(RecordOf(FromParked(parked[k])), RecordOf(FromParked(parked[k - 1])))) {
          idle = k;
        }
      }
      if (idle < 0) {
        // A service that will answer again: the event waits in its partition (retried), as
        // any event did before parking, rather than being lost.
        if (why.code() != absl::StatusCode::kFailedPrecondition) return why;
        return absl::InvalidArgumentError(
            absl::StrCat("record ", state.incident_id(), " has ", parked.size(),
                         " parked events that each change its clocks; this one cannot wait with "
                         "them (",
                         why.message(), ")"));
      }
      parked.erase(parked.begin() + idle);
      *state.add_parked() = ToParked(change, why);
    }
  } else {
    *state.add_parked() = ToParked(change, why);
  }
  so_far.state = std::move(state);
  so_far.changed = true;
  so_far.parked = why.ToString();
  // Due at once: the next firing pass tries the parked events again (and fires nothing of the
  // record while they cannot apply).
  so_far.next_fire = FromUs(so_far.state.parked(0).change_us());
  return so_far;
}

absl::StatusOr<Outcome> TimerLogic::ApplyParked(const TimerState& stored) {
  Outcome total;
  total.state = stored;
  total.state.clear_parked();
  total.changed = true;  // the parked events leave the state
  for (const sla::v1::TimerParkedEvent& p : stored.parked()) {
    absl::StatusOr<Outcome> out = OnRecordChange(
        NothingApplied(total.state) ? nullptr : &total.state, FromParked(p), stored.partition());
    if (!out.ok()) {
      if (out.status().code() != absl::StatusCode::kInvalidArgument) return out.status();
      // As the handler would have rejected it: held for it, the record would never fire again.
      total.dropped.push_back(absl::StrCat(p.event_id(), ": ", out.status().message()));
      continue;
    }
    Then(total, *std::move(out));
  }
  return total;
}

absl::StatusOr<Outcome> TimerLogic::Fire(const TimerState& stored, absl::Time now) {
  if (stored.parked_size() == 0) return FireClocks(stored, now);
  ITSM_ASSIGN_OR_RETURN(Outcome applied, ApplyParked(stored));
  ITSM_ASSIGN_OR_RETURN(Outcome fired, FireClocks(applied.state, now));
  Then(applied, std::move(fired));
  return applied;
}

absl::StatusOr<Outcome> TimerLogic::FireClocks(const TimerState& stored, absl::Time now) {
  Ctx ctx;
  ctx.incident_id = stored.incident_id();
  ctx.out.state = stored;
  const auto open_before = OpenClocks(stored);
  ITSM_RETURN_IF_ERROR(CancelRetired(ctx, now));
  ITSM_RETURN_IF_ERROR(FireUpTo(ctx, now));
  ITSM_RETURN_IF_ERROR(ScheduleNext(ctx));
  ctx.out.changed =
      !ctx.out.events.empty() || ctx.out.state.SerializeAsString() != stored.SerializeAsString();
  // A retirement cancels open clocks here too.
  auto open_after = OpenClocks(ctx.out.state);
  for (const auto& [k, v] : open_before) open_after[k] -= v;
  for (const auto& [k, v] : open_after) {
    if (v != 0) ctx.out.open_delta[k] = v;
  }
  return std::move(ctx.out);
}

}  // namespace itsm::sla_timer
