// The SLA timer's decisions, with no Redis or Kafka: given the stored state of one incident and
// an incident event (or the current time), the new state and the clock events to publish.
//
//   TimerLogic logic(source, {});
//   auto out = logic.OnIncident(stored_or_null, event.incident(), partition, change_time);
//   // out->changed: write out->state, schedule out->next_fire, publish out->events atomically
//   auto fired = logic.Fire(state, clock.Now());   // warnings and breaches due by now
//
// The conditions and the clock arithmetic are the SLA model's (itsm::slamodel::ClockPolicy::Decide,
// itsm::slamodel::Clock); this class only keeps each clock's history and fired markers, and turns
// the model's actions into events. Everything is deterministic in its inputs (clock and event
// ids are derived, event times are the instants of the changes or thresholds), so replaying the
// incident topic rebuilds the same clocks and the same events, ids included.
#ifndef ITSM_SERVICES_SLA_TIMER_TIMER_LOGIC_H_
#define ITSM_SERVICES_SLA_TIMER_TIMER_LOGIC_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/configitems/configuration_items.h"
#include "itsm/events/cloud_event.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/timer_state.pb.h"
#include "itsm/slamodel/clock.h"
#include "itsm/slamodel/conditions.h"
#include "itsm/slamodel/coverage.h"
#include "services/sla-timer/src/definition_source.h"
#include "services/sla-timer/src/published_firings.h"

namespace itsm::sla_timer {

inline constexpr char kIncidentTopic[] = "itsm.incident.v1";
inline constexpr char kChangeTopic[] = "itsm.change.v1";
inline constexpr char kSlaTopic[] = "itsm.sla.v1";
inline constexpr char kEventSource[] = "itsm/sla-timer";
// TimerState::record_type and SlaClock::record_type of a service request ("" is an incident).
inline constexpr char kServiceRequestRecord[] = "service_request";
// ... and of a change.
inline constexpr char kChangeRecord[] = "change";
// Bound of a record's condition history (TimerState::field_changes): a record changed more
// often keeps its creation, with the oldest changes after it folded in, and the last ones.
inline constexpr int kMaxFieldChanges = 64;
// Bound of a record's parked events (TimerState::parked). A full queue keeps only events that
// change what the clocks read; when all of them do, the next such event is refused.
inline constexpr int kMaxParkedEvents = 64;

// One record event as the timer applies it: exactly one of the three records is set.
struct RecordChange {
  const incident::v1::Incident* incident = nullptr;
  const incident::v1::ServiceRequest* request = nullptr;
  const change::v1::Change* change = nullptr;
  absl::Time change_time;  // the record's update_time
  // Kept with the event if it is parked.
  std::string_view event_id = {};
  std::string_view event_type = {};
};

// A warning or breach that fired, for the metrics.
struct Fired {
  sla::v1::ClockKind clock_kind = sla::v1::CLOCK_KIND_UNSPECIFIED;
  bool breach = false;
  absl::Time due = absl::InfinitePast();  // the threshold or due instant
};

struct Outcome {
  sla::v1::TimerState state;
  // The state differs from the stored one and must be written (with `events`, atomically).
  bool changed = false;
  std::vector<events::CloudEvent> events;
  // The earliest pending warning or breach of a running clock; none: nothing to schedule.
  std::optional<absl::Time> next_fire;
  std::vector<Fired> fired;
  // Change in the number of open clocks, keyed "response:running", "resolution:paused", ...
  std::map<std::string, int> open_delta;
  // Set when the record's definitions could not be resolved for good, so it has no clock (of
  // a definition not attached before): "no_service", "no_priority" (it lacks what every
  // definition needs), "refused" (the SLA service refused the question; see no_sla_detail).
  std::string no_sla_reason = {};
  std::string no_sla_detail = {};
  // Set when the event was parked with its record instead of applied (TimerLogic::Apply): why.
  std::string parked = {};
  // Parked events dropped when tried again because they no longer fit the record
  // (INVALID_ARGUMENT, what the handler rejects): "<event id>: <error>".
  std::vector<std::string> dropped = {};
};

class TimerLogic {
 public:
  struct Options {
    // Zone for definitions whose zone comes from the caller (the record carries no caller
    // zone) or from a CI location that has none; empty: the calendar's zone.
    std::string default_time_zone = {};
    // Where the class and location zone of a record's configuration item are looked up (not
    // owned). Null: records have no CI class and CI-location definitions use the default.
    configitems::ConfigurationItems* configuration_items = nullptr;
    // How long a change of a definition can go unseen: the DefinitionSource's cache TTL. A
    // clock whose breach fired is looked at again this long after, so a retirement before the
    // breach withdraws it (docs/sla-timer.md, "Retired definitions").
    absl::Duration definition_cache_ttl = absl::Seconds(30);
  };
  TimerLogic(DefinitionSource& source, Options options);

  // Applies one incident event: the incident's state after the change, at `change_time` (its
  // update_time). `stored` is the incident's state in the store, nullptr when there is none.
  // An event whose incident version is not newer than the stored one is a replay: OK, with
  // changed = false. UNAVAILABLE when the definitions cannot be read now (retry). A record no
  // definition can cover (no service, no priority, or one the SLA service refuses to resolve)
  // is applied without clocks (Outcome::no_sla_reason), never retried.
  absl::StatusOr<Outcome> OnIncident(const sla::v1::TimerState* stored,
                                     const incident::v1::Incident& incident, int32_t partition,
                                     absl::Time change_time);

  // The same for one service request event (ServiceRequestCreated / Updated / StateChanged):
  // the request's fields are read with slamodel::FromServiceRequest, definitions are resolved with
  // the catalogue item as request type, and clock ids and events carry the record type
  // "service_request". INVALID_ARGUMENT when `stored` belongs to an incident with the same id.
  absl::StatusOr<Outcome> OnServiceRequest(const sla::v1::TimerState* stored,
                                           const incident::v1::ServiceRequest& request,
                                           int32_t partition, absl::Time change_time);

  // The same for one change event (every itsm.change.v1 event that carries a change): the
  // change's fields are read with slamodel::FromChange, only definitions of record kind CHANGE
  // apply (docs/sla.md 3.5), and clock ids and events carry the record type "change".
  absl::StatusOr<Outcome> OnChange(const sla::v1::TimerState* stored,
                                   const change::v1::Change& change, int32_t partition,
                                   absl::Time change_time);

  // Applies one record event (OnIncident, OnServiceRequest or OnChange) after the events parked
  // with the record, in order. An event the timer cannot apply because of what a definition or
  // calendar holds (FAILED_PRECONDITION: a calendar whose zone this host lacks, a definition
  // this version cannot read) is parked with the record instead (Outcome::parked says why): the
  // record's clocks then wait for it (Fire) rather than go on from a state that misses it — a
  // parked resolution must not end in a breach. INVALID_ARGUMENT: the event does not fit the
  // stored record (rejected). UNAVAILABLE: retry.
  //
  // With `published`, the warnings and breaches it holds for the record that `stored` no longer
  // marks as fired (a Redis that lost its last writes) are fired again first (Refire), so that
  // the event withdraws a breach it makes untrue, as it would have with the marker kept.
  absl::StatusOr<Outcome> Apply(const sla::v1::TimerState* stored, const RecordChange& change,
                                int32_t partition, const PublishedFirings* published = nullptr);

  // The firings of `published` for `stored`'s record fired again in `stored`, each at its
  // instant, when firing the state at that instant publishes exactly what was published: the
  // same ce_ids at the same instants, and nothing that was not (a state missing an earlier
  // change of the record — the firing came after it — or one that already marks them, fires
  // something else or nothing, and is left as it is). Outcome::changed = false when nothing
  // was fired again; Outcome::fired stays empty (they were counted when they first fired).
  absl::StatusOr<Outcome> Refire(const sla::v1::TimerState& stored,
                                 const PublishedFirings& published);

  // Fires every warning and breach of `stored`'s running clocks due at or before `now`, each
  // once (the fired markers are in the returned state). A record with parked events applies
  // them first; while they still cannot apply, Fire fails with their error and fires nothing.
  absl::StatusOr<Outcome> Fire(const sla::v1::TimerState& stored, absl::Time now);

  // Open clocks ("running" or "paused") of a state, keyed as Outcome::open_delta.
  static std::map<std::string, int> OpenClocks(const sla::v1::TimerState& state);
  // The record is closed or cancelled and none of its clocks is open: nothing can change any
  // more (the state may expire).
  static bool Finished(const sla::v1::TimerState& state);

 private:
  struct Ctx;       // one call's working state
  struct Replayed;  // a clock replayed as of an instant
  struct Record;    // an incident or a service request, as the clocks see it
  absl::StatusOr<Outcome> OnRecord(const sla::v1::TimerState* stored, const Record& record,
                                   int32_t partition, absl::Time change_time);
  // The record an event carries, as the clocks see it.
  static Record RecordOf(const incident::v1::Incident& incident);
  static Record RecordOf(const incident::v1::ServiceRequest& request);
  static Record RecordOf(const change::v1::Change& change);
  static Record RecordOf(const RecordChange& change);
  // Everything a clock reads is the same in both: the later changes nothing for the clocks.
  static bool SameForClocks(const Record& a, const Record& b);
  // `change` queued behind the record's parked events in `state`, with `so_far`'s events. A full
  // queue keeps the instants of the changes the clocks read: an incoming event that changes
  // nothing for them is not kept (unchanged state), else room is made by dropping a parked one
  // that changed nothing; INVALID_ARGUMENT when each of them did.
  static absl::StatusOr<Outcome> Park(sla::v1::TimerState state, const RecordChange& change,
                                      int32_t partition, const absl::Status& why, Outcome so_far);
  // Apply without published firings.
  absl::StatusOr<Outcome> ApplyAfterParked(const sla::v1::TimerState* stored,
                                           const RecordChange& change, int32_t partition);
  // OnIncident, OnServiceRequest or OnChange, whichever record `change` carries.
  absl::StatusOr<Outcome> OnRecordChange(const sla::v1::TimerState* stored,
                                         const RecordChange& change, int32_t partition);
  // `stored` after its parked events, which are cleared; their error when one still cannot
  // apply (nothing of them is kept then).
  absl::StatusOr<Outcome> ApplyParked(const sla::v1::TimerState& stored);
  // Fire without parked events.
  absl::StatusOr<Outcome> FireClocks(const sla::v1::TimerState& stored, absl::Time now);
  // The definitions that apply to the record; none, with Outcome::no_sla_reason set, when none
  // can. UNAVAILABLE: retry.
  absl::StatusOr<std::vector<DefinitionPtr>> Resolve(Ctx& ctx, const Record& record);
  // The class of configuration item `ci_id`: "" for none or a CI the configuration service does
  // not know; UNAVAILABLE when it cannot be asked now (retry).
  absl::StatusOr<std::string> CiClass(const std::string& ci_id);
  // Attached definitions whose pinned version no longer covers `coverage` are detached, their
  // open clocks cancelled ("not_applicable").
  absl::Status Detach(Ctx& ctx, const slamodel::CoverageFields& coverage,
                      incident::v1::Priority priority, absl::Time change_time);
  absl::StatusOr<const businesstime::Calendar*> CompiledCalendar(const sla::v1::TimerClock& c);
  absl::StatusOr<const slamodel::ClockPolicy*> Policy(const sla::v1::SlaDefinition& d,
                                                      slamodel::ClockKind kind);
  // The clock replayed as of `t`, with its milestones: computed once per decision, clock,
  // history and instant.
  absl::StatusOr<const Replayed*> ReplayedAt(Ctx& ctx, const sla::v1::TimerClock& c, absl::Time t);
  // The clock's warning and due instants as of `t` (slamodel::Clock::Milestones).
  absl::StatusOr<std::vector<slamodel::Milestone>> MilestonesOf(Ctx& ctx,
                                                                const sla::v1::TimerClock& c,
                                                                absl::Time t);
  // Fires what running and paused clocks have reached by `t` and not fired yet, each at the
  // instant it was reached.
  absl::Status FireUpTo(Ctx& ctx, absl::Time t);
  // FireUpTo for one clock, firing only instants before `limit`.
  absl::Status FireClock(Ctx& ctx, sla::v1::TimerClock& c, absl::Time t, absl::Time limit);
  // When the definition was retired: the update_time of the first version of the retired
  // versions that end at its current one (a later edit of a retired definition does not move
  // it). nullopt when it is not retired, or its current version cannot be read now (then a
  // breach fired meanwhile is withdrawn when it can).
  std::optional<absl::Time> RetiredAt(const std::string& definition_id, int64_t pinned_version);
  // The calendar `id` as it was at `at`: its current version, or when that was saved after `at`
  // (the timer was behind or down when the edit came, or rebuilds clocks after losing Redis), the
  // version in force then — the one a clock starting at `at` pins. Version 1 when all came later.
  absl::StatusOr<CalendarPtr> CalendarInForceAt(const std::string& id, absl::Time at);
  // The same for a definition ResolveApplicableSla answered with its current version: the
  // version in force at `at`, as long as that version also covered the record (`coverage`) and
  // was not retired; else `current`.
  absl::StatusOr<DefinitionPtr> DefinitionInForceAt(DefinitionPtr current, absl::Time at,
                                                    const slamodel::CoverageFields& coverage);
  // An attached definition found again when the record's priority or coverage changed: `ref`
  // moves to the version in force at the change when the pinned one has no target for the
  // record's priority and that one has (the definition gained the target after it attached),
  // as a definition newly covering the record would attach. Otherwise the pin stands.
  absl::Status RepinForPriority(sla::v1::TimerDefinitionRef& ref, DefinitionPtr found,
                                absl::Time at, const slamodel::CoverageFields& coverage,
                                const std::string& priority);
  // Open clocks whose definition was retired at an instant R <= `t`: what they reached before
  // R fires, they are cancelled at R ("definition_retired"), and a breach fired for an instant
  // at or after R (before the timer knew) is withdrawn.
  absl::Status CancelRetired(Ctx& ctx, absl::Time t);
  // The business time of a clock of `def` started (or re-targeted) by `a` on the clock's
  // calendar: the action's duration, or its business days converted from `from`.
  absl::StatusOr<absl::Duration> TargetOf(const sla::v1::SlaDefinition& def,
                                          const sla::v1::TimerClock& c, const slamodel::Action& a,
                                          absl::Time from);
  // Fired markers no longer true at `t` are cleared: a breach withdrawn (SlaBreachWithdrawn,
  // `reason`), warnings no longer reached armed again.
  absl::Status Rearm(Ctx& ctx, absl::Time t, const std::string& reason);
  // The event id part `what` of a clock's firing, distinct per re-arming.
  static std::string Armed(const sla::v1::TimerClock& c, const std::string& what);
  // Whether the start `a` brings `cancelled` (its slot's clock) back instead of beginning a new
  // clock: the clock is cancelled and `a` counts from before its cancellation, i.e. time it
  // already counted (a retroactive clock whose priority is covered again, a definition that
  // covers the record again). A new clock there would breach a second time for one late record.
  // A reset's start never revives: the reset ends one clock and begins the next.
  static bool Revives(const sla::v1::TimerClock& cancelled, const slamodel::Action& a);
  // `replayed`: for a kStart, the pauses and resumes of the record's history it replays
  // (slamodel::kReplayedReason), part of the start: no events of their own.
  absl::Status ApplyAction(Ctx& ctx, const sla::v1::SlaDefinition& def, slamodel::ClockKind kind,
                           const slamodel::Action& action, incident::v1::Priority priority,
                           absl::Time change_time,
                           const std::vector<slamodel::Action>& replayed = {});
  // The clock's state at `at` (ComposeClock) with the event's cause; `by_record`: a change of
  // the record caused it (its changed fields and version go with it); `transition`: the event
  // announces the clock's last transition (its instant is the change_time).
  absl::StatusOr<sla::v1::SlaClock> Snapshot(Ctx& ctx, const sla::v1::TimerClock& c, absl::Time at,
                                             const std::string& cause, bool by_record,
                                             bool transition = false);
  // Publishes `message` (a clock event: its field 1 is the SlaClock) about `c`, numbering it
  // (SlaClock.sequence).
  absl::Status Emit(Ctx& ctx, sla::v1::TimerClock& c, google::protobuf::Message& message,
                    const std::string& what, absl::Time at);
  absl::Status ScheduleNext(Ctx& ctx);
  // The zone a new clock of `def` reads its calendar in (slamodel::ResolveTimeZone), with the
  // zone of the record's CI location for CI_LOCATION definitions. UNAVAILABLE: retry.
  absl::StatusOr<std::string> ZoneFor(const sla::v1::SlaDefinition& def,
                                      const sla::v1::Calendar& cal, const std::string& ci_id);

  DefinitionSource& source_;
  Options options_;
  absl::Mutex mu_;
  // Compiled per (calendar id, version, zone) and (definition id, version, kind): immutable.
  std::map<std::tuple<std::string, int64_t, std::string>, std::unique_ptr<businesstime::Calendar>>
      calendars_ ABSL_GUARDED_BY(mu_);
  std::map<std::tuple<std::string, int64_t, int>, std::unique_ptr<slamodel::ClockPolicy>> policies_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_TIMER_LOGIC_H_
