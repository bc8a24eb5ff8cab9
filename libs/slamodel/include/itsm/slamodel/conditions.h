// SLA clock conditions and the decision "what happens to this clock after this record change".
//
// Plain classes: no gRPC, SQL or Kafka. The SLA service validates definitions with them; the
// SLA timer calls ClockPolicy::Decide on every incident event and applies the actions to its
// clocks (clock.h). docs/sla.md states the semantics with worked examples.
//
// Usage (the SLA timer, for one definition and clock kind):
//   ITSM_ASSIGN_OR_RETURN(ClockPolicy policy,
//                         ClockPolicy::FromDefinition(definition, ClockKind::kResolution));
//   RecordFields before = FromIncident(previous), after = FromIncident(incident);
//   for (const Action& a : policy.Decide(clock ? clock->stage() : Stage::kNone, &before, after,
//                                        change_time)) {
//     switch (a.type) { case ActionType::kStart: ...; case ActionType::kPause: ...; }
//   }
//
// Conditions are in disjunctive normal form: a Condition holds when any of its clauses holds,
// a clause when all of its predicates hold. Every predicate tests one record field against a
// set of values (IN / NOT_IN; IS_SET is NOT_IN {""}, IS_EMPTY is IN {""}).
#ifndef ITSM_SLAMODEL_CONDITIONS_H_
#define ITSM_SLAMODEL_CONDITIONS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::slamodel {

enum class Field {
  kState,
  kPriority,
  kAssignmentGroup,
  kAssignee,
  kResponded,
  kMajorIncident,
  kCategory,
  kHoldReason,
};

// The record fields conditions read, as text: state "ON_HOLD", priority "P1", booleans
// "true"/"false", other fields as stored ("" when empty).
struct RecordFields {
  std::string state = {};
  std::string priority = {};
  std::string assignment_group = {};
  std::string assignee = {};
  bool responded = false;
  bool major_incident = false;
  std::string category = {};
  std::string hold_reason = {};
  // For a retroactive start; InfinitePast when unknown.
  absl::Time create_time = absl::InfinitePast();

  std::string Get(Field field) const;
};

// The record's fields as they were from `at` on: one step of its history. A clock attached
// retroactively replays the pauses and resumes that history caused (ClockPolicy::Attach).
struct RecordChange {
  absl::Time at = absl::InfinitePast();
  RecordFields fields = {};
};

// The records a definition's conditions read: incidents and service requests (the incident
// vocabulary of states), or changes (change states; docs/sla.md 3.5). Set by the definition's
// record_kind.
enum class RecordKind { kIncident, kChange };
RecordKind RecordKindOf(const sla::v1::SlaDefinition& definition);

// The fields of an incident. hold_reason: "awaiting_caller", "awaiting_supplier",
// "awaiting_change", or "" when unspecified.
RecordFields FromIncident(const incident::v1::Incident& incident);
// A hold reason as conditions read it ("awaiting_caller" for "HOLD_REASON_AWAITING_CALLER" or
// "Awaiting_Caller"); nullopt for a reason that does not exist.
std::optional<std::string> NormaliseHoldReason(absl::string_view raw);
// The fields of a service request, in the incident vocabulary the conditions (and their
// defaults) understand (docs/sla.md 3.4):
//   SUBMITTED -> NEW, APPROVED -> ASSIGNED, FULFILLING -> IN_PROGRESS, FULFILLED -> RESOLVED,
//   CLOSED -> CLOSED, REJECTED and CANCELLED -> CANCELLED.
// So by default the response clock stops when the request leaves SUBMITTED (or gets an
// assignee), the resolution clock stops on FULFILLED or CLOSED, a rejected or cancelled request
// cancels both, and nothing pauses (a request is never ON_HOLD). responded and major_incident
// are false, hold_reason and category "" (the catalogue item is the request type of coverage,
// not a condition field).
RecordFields FromServiceRequest(const incident::v1::ServiceRequest& request);
// The fields of a change, in its own vocabulary (docs/sla.md 3.5): state NEW, ASSESS, AUTHORISE,
// SCHEDULED, IMPLEMENT, REVIEW, CLOSED, CANCELLED; responded "true" once its approval is decided
// (APPROVED, REJECTED or PRE_APPROVED); priority ChangePriority; assignment group, assignee and
// category the change's; major_incident false, hold_reason "".
RecordFields FromChange(const change::v1::Change& change);
// The priority a change's targets are looked up by: P1 for an emergency change, else by risk
// (HIGH P2, MEDIUM P3, LOW P4; not assessed P5).
std::string ChangePriority(const change::v1::Change& change);
// "P1".."P5", "" for PRIORITY_UNSPECIFIED.
std::string PriorityName(incident::v1::Priority priority);

struct Predicate {
  Field field = Field::kState;
  // NOT_IN when true.
  bool negated = false;
  std::set<std::string> values = {};
};

struct Clause {
  std::vector<Predicate> all_of = {};
};

class Condition {
 public:
  static Condition Always() { return Condition({Clause{}}); }
  static Condition Never() { return Condition({}); }
  // A single-predicate condition, for defaults and tests.
  static Condition In(Field field, std::set<std::string> values);
  static Condition NotIn(Field field, std::set<std::string> values);
  // Any clauses (each a conjunction of predicates).
  static Condition AnyOf(std::vector<Clause> clauses) { return Condition(std::move(clauses)); }

  // Validates and normalises (state and priority names are upper-cased, "INCIDENT_STATE_" and
  // "PRIORITY_" prefixes dropped). INVALID_ARGUMENT names `path`, e.g.
  // "resolution_conditions.pause.any_of[0].all_of[1].values[0]: unknown state \"HOLD\"".
  // States are validated in the vocabulary of `kind`.
  static absl::StatusOr<Condition> FromProto(const sla::v1::Condition& proto,
                                             absl::string_view path,
                                             RecordKind kind = RecordKind::kIncident);
  sla::v1::Condition ToProto() const;

  bool Holds(const RecordFields& record) const;
  bool IsNever() const { return any_of_.empty(); }
  const std::vector<Clause>& any_of() const { return any_of_; }
  // "state in {ON_HOLD} and hold_reason in {, awaiting_caller}" / "always" / "never".
  std::string ToString() const;

  // OR of two conditions.
  Condition Or(const Condition& other) const;

 private:
  explicit Condition(std::vector<Clause> any_of) : any_of_(std::move(any_of)) {}
  std::vector<Clause> any_of_;
};

enum class ClockKind { kResponse, kResolution };
sla::v1::ClockKind ToProto(ClockKind kind);

struct ClockConditions {
  Condition start = Condition::Never();
  Condition pause = Condition::Never();
  // Absent: a paused clock resumes as soon as `pause` no longer holds.
  std::optional<Condition> resume = std::nullopt;
  Condition stop = Condition::Never();
  Condition cancel = Condition::Never();
  // Absent: never. Edge-triggered: acts when it becomes true.
  std::optional<Condition> reset = std::nullopt;
  // MEASURE_FROM_RECORD_CREATION: a clock started by `start` after the record's creation counts
  // from the creation (less the pauses of the record's history), not from the start.
  bool measure_from_creation = false;
  // The vocabulary the conditions are in (Check enumerates its states).
  RecordKind record_kind = RecordKind::kIncident;

  // The defaults of docs/sla.md:
  //   start   state not in {RESOLVED, CLOSED, CANCELLED} (i.e. on creation)
  //   response:   stop on first response, assignment to a person or leaving NEW; no pause
  //   resolution: stop on RESOLVED or CLOSED; pause while ON_HOLD with hold reason empty,
  //               awaiting_caller or awaiting_supplier
  //   cancel  state CANCELLED
  // For changes (docs/sla.md 3.5):
  //   response (time to authorise): start in AUTHORISE; stop once the approval is decided
  //               (responded) or the change is SCHEDULED or later; pause while in ASSESS (rework)
  //   resolution (time to implement): start on creation; stop in REVIEW or CLOSED; no pause
  //   cancel  state CANCELLED
  static ClockConditions Defaults(ClockKind kind, RecordKind record_kind = RecordKind::kIncident);

  // Unset conditions of `proto` take the defaults. Validates each condition, then Check().
  static absl::StatusOr<ClockConditions> FromProto(const sla::v1::ClockConditions& proto,
                                                   ClockKind kind, absl::string_view path,
                                                   RecordKind record_kind = RecordKind::kIncident);
  sla::v1::ClockConditions ToProto() const;

  // Rejects conditions that can never work together, with the reason, naming `path`:
  //  - start or stop can never hold;
  //  - start implies stop (the clock would stop the moment it starts), or implies cancel;
  //  - pause holds only where the clock stops or is cancelled (it could never pause);
  //  - a pause that can never end (no record state that neither stops nor cancels the clock
  //    resumes it);
  //  - resume holds wherever pause holds (the clock could never pause);
  //  - reset holds wherever start holds (every clock would be reset at once).
  // Exact: it enumerates every combination of the values the conditions mention (plus one
  // "other" value per free-text field), so the error carries an example record.
  absl::Status Check(absl::string_view path) const;
};

enum class Stage { kNone, kRunning, kPaused, kCompleted, kCancelled };
sla::v1::ClockStage ToProto(Stage stage);
Stage StageFromProto(sla::v1::ClockStage stage);

enum class ActionType {
  kStart,  // start a new clock at `at` (the record's creation for a retroactive start)
  kPause,
  kResume,
  kStop,    // complete: met when business elapsed < target (before the due instant), else breached
  kCancel,  // `reason` says why
  kReset,   // cancel the current clock because of the reset condition (a kStart may follow)
  kRetarget,  // same clock, the target of the record's new priority
};
std::string ActionName(ActionType type);

// Action::reason of the pauses and resumes a retroactive start replays from the record's
// history (their `at` is the past instant they happened at).
inline constexpr char kReplayedReason[] = "history";

struct Action {
  ActionType type = ActionType::kStart;
  absl::Time at = absl::InfinitePast();
  std::string reason = {};
  // kStart and kRetarget: the target to use.
  absl::Duration target = absl::ZeroDuration();
  // kStart and kRetarget: when > 0 the target is this many business days, which the caller
  // converts on the clock's calendar (business_days.h: TargetDuration) at the clock's start;
  // `target` is then zero.
  int business_days = 0;
  bool operator==(const Action&) const = default;
};

// A priority's target for one clock kind: business time, or a number of business days.
struct Target {
  absl::Duration duration = absl::ZeroDuration();
  // > 0: "N business days" (duration unused).
  int business_days = 0;
  bool operator==(const Target&) const = default;
};

// One definition's rules for one clock kind: conditions, per-priority targets, retroactive start.
class ClockPolicy {
 public:
  ClockPolicy(ClockKind kind, ClockConditions conditions,
              std::map<std::string, Target> targets_by_priority, bool retroactive_start)
      : kind_(kind),
        conditions_(std::move(conditions)),
        targets_(std::move(targets_by_priority)),
        retroactive_start_(retroactive_start) {}
  // Targets in business time only.
  ClockPolicy(ClockKind kind, ClockConditions conditions,
              const std::map<std::string, absl::Duration>& targets_by_priority,
              bool retroactive_start);

  // From a stored (validated) definition. INVALID_ARGUMENT when its conditions do not parse.
  static absl::StatusOr<ClockPolicy> FromDefinition(const sla::v1::SlaDefinition& definition,
                                                    ClockKind kind);

  // The target for a priority ("P1"), if this definition has a clock of this kind for it.
  std::optional<Target> TargetFor(const std::string& priority) const;

  // What to do with this definition's clock after a change of the record.
  //   stage   the current clock's stage; kNone when there is none yet.
  //   before  the record before the change; nullptr when the record was just created.
  //   after   the record after the change.
  //   now     when the change happened.
  // Rules, in order (docs/sla.md, "Decisions"):
  //  1. No clock: start when a target exists for the priority, start holds and cancel does not
  //     (at the record's creation when a priority change attached it and retroactive_start is
  //     set, or when the conditions measure from the creation); then stop at once if stop
  //     holds, or pause if pause holds (and resume does not).
  //  2. Completed or cancelled: nothing, except a reset edge (new clock as in 1), or a priority
  //     change re-attaching a clock cancelled because the old priority had no target.
  //  3. Running or paused: reset edge -> kReset then as 1; cancel -> kCancel; priority change ->
  //     kCancel("priority_not_covered") without a target, else kRetarget (retroactive_start) or
  //     kCancel("superseded") + a new clock from now; then stop -> kStop; else pause / resume.
  // `history`: the record's fields at each change before this one, oldest first (the first at
  // its creation). A clock started from the creation (retroactive start) is paused and
  // resumed where the pause condition held in it (actions with reason kReplayedReason, at
  // their past instants), so a hold before the attach is not counted as working time.
  std::vector<Action> Decide(Stage stage, const RecordFields* before, const RecordFields& after,
                             absl::Time now, const std::vector<RecordChange>& history = {}) const;

  // The definition became applicable at `now` because the record's coverage fields (service,
  // category, CI class, request type) changed: a new clock as in rule 1 of Decide, started at
  // the record's creation when retroactive_start is set or the conditions measure from the
  // creation (replaying `history` as Decide does), else at `now`. Nothing when the priority has no
  // target or start does not hold.
  std::vector<Action> Attach(const RecordFields& after, absl::Time now,
                             const std::vector<RecordChange>& history) const;

  ClockKind kind() const { return kind_; }
  const ClockConditions& conditions() const { return conditions_; }
  bool retroactive_start() const { return retroactive_start_; }

 private:
  bool PausedBy(const RecordFields& r) const;
  bool ResumedBy(const RecordFields& r) const;
  // Starts at the record's creation, replays the pauses of `history` before `now`, then as
  // TryStart at `now`.
  void StartFromCreation(const RecordFields& after, absl::Time now, const char* reason,
                         const std::vector<RecordChange>& history, std::vector<Action>& out) const;
  void TryStart(const RecordFields& after, absl::Time at, absl::Time now, const char* reason,
                std::vector<Action>& out) const;

  ClockKind kind_;
  ClockConditions conditions_;
  std::map<std::string, Target> targets_;
  bool retroactive_start_;
};

}  // namespace itsm::slamodel

#endif  // ITSM_SLAMODEL_CONDITIONS_H_
