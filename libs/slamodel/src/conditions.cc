#include "itsm/slamodel/conditions.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"

namespace itsm::slamodel {
namespace {

const std::vector<std::string>& States(RecordKind kind) {
  static const std::vector<std::string> kStates = {"NEW",      "ASSIGNED", "IN_PROGRESS", "ON_HOLD",
                                                   "RESOLVED", "CLOSED",   "CANCELLED"};
  // change.v1.ChangeState without its prefix (docs/sla.md 3.5).
  static const std::vector<std::string> kChangeStates = {
      "NEW", "ASSESS", "AUTHORISE", "SCHEDULED", "IMPLEMENT", "REVIEW", "CLOSED", "CANCELLED"};
  return kind == RecordKind::kChange ? kChangeStates : kStates;
}
const std::vector<std::string>& Priorities() {
  static const std::vector<std::string> kPriorities = {"P1", "P2", "P3", "P4", "P5"};
  return kPriorities;
}
const std::vector<std::string>& HoldReasons() {
  static const std::vector<std::string> kReasons = {"awaiting_caller", "awaiting_supplier",
                                                    "awaiting_change"};
  return kReasons;
}
const std::vector<std::string>& Booleans() {
  static const std::vector<std::string> kBooleans = {"false", "true"};
  return kBooleans;
}

const char* FieldName(Field f) {
  switch (f) {
    case Field::kState:
      return "state";
    case Field::kPriority:
      return "priority";
    case Field::kAssignmentGroup:
      return "assignment_group";
    case Field::kAssignee:
      return "assignee";
    case Field::kResponded:
      return "responded";
    case Field::kMajorIncident:
      return "major_incident";
    case Field::kCategory:
      return "category";
    case Field::kHoldReason:
      return "hold_reason";
  }
  return "?";
}

// The whole domain of an enumerable field; nullptr for free text.
const std::vector<std::string>* FiniteDomain(Field f, RecordKind kind) {
  switch (f) {
    case Field::kState:
      return &States(kind);
    case Field::kPriority:
      return &Priorities();
    case Field::kResponded:
    case Field::kMajorIncident:
      return &Booleans();
    default:
      return nullptr;
  }
}

absl::StatusOr<Field> FieldFromProto(sla::v1::ConditionField f) {
  switch (f) {
    case sla::v1::CONDITION_FIELD_STATE:
      return Field::kState;
    case sla::v1::CONDITION_FIELD_PRIORITY:
      return Field::kPriority;
    case sla::v1::CONDITION_FIELD_ASSIGNMENT_GROUP:
      return Field::kAssignmentGroup;
    case sla::v1::CONDITION_FIELD_ASSIGNEE:
      return Field::kAssignee;
    case sla::v1::CONDITION_FIELD_RESPONDED:
      return Field::kResponded;
    case sla::v1::CONDITION_FIELD_MAJOR_INCIDENT:
      return Field::kMajorIncident;
    case sla::v1::CONDITION_FIELD_CATEGORY:
      return Field::kCategory;
    case sla::v1::CONDITION_FIELD_HOLD_REASON:
      return Field::kHoldReason;
    default:
      return absl::InvalidArgumentError("unknown field");
  }
}

sla::v1::ConditionField FieldToProto(Field f) {
  switch (f) {
    case Field::kState:
      return sla::v1::CONDITION_FIELD_STATE;
    case Field::kPriority:
      return sla::v1::CONDITION_FIELD_PRIORITY;
    case Field::kAssignmentGroup:
      return sla::v1::CONDITION_FIELD_ASSIGNMENT_GROUP;
    case Field::kAssignee:
      return sla::v1::CONDITION_FIELD_ASSIGNEE;
    case Field::kResponded:
      return sla::v1::CONDITION_FIELD_RESPONDED;
    case Field::kMajorIncident:
      return sla::v1::CONDITION_FIELD_MAJOR_INCIDENT;
    case Field::kCategory:
      return sla::v1::CONDITION_FIELD_CATEGORY;
    case Field::kHoldReason:
      return sla::v1::CONDITION_FIELD_HOLD_REASON;
  }
  return sla::v1::CONDITION_FIELD_UNSPECIFIED;
}

// Normalises one value of an enumerable field, or says why it is not one.
absl::StatusOr<std::string> NormaliseValue(Field f, const std::string& raw, RecordKind kind) {
  switch (f) {
    case Field::kState: {
      std::string v = absl::AsciiStrToUpper(raw);
      std::string_view sv = v;
      const std::string_view prefix =
          kind == RecordKind::kChange ? "CHANGE_STATE_" : "INCIDENT_STATE_";
      if (sv.starts_with(prefix)) v = v.substr(prefix.size());
      const std::vector<std::string>& states = States(kind);
      if (std::find(states.begin(), states.end(), v) == states.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown ", kind == RecordKind::kChange ? "change state" : "state", " \"",
                         raw, "\" (", absl::StrJoin(states, ", "), ")"));
      }
      return v;
    }
    case Field::kPriority: {
      std::string v = absl::AsciiStrToUpper(raw);
      if (std::string_view(v).starts_with("PRIORITY_")) v = v.substr(9);
      if (std::find(Priorities().begin(), Priorities().end(), v) == Priorities().end()) {
        return absl::InvalidArgumentError(absl::StrCat("unknown priority \"", raw, "\" (P1..P5)"));
      }
      return v;
    }
    case Field::kResponded:
    case Field::kMajorIncident: {
      std::string v = absl::AsciiStrToLower(raw);
      if (v != "true" && v != "false") {
        return absl::InvalidArgumentError(absl::StrCat("\"", raw, "\" is not true or false"));
      }
      return v;
    }
    case Field::kHoldReason:
      // The API's own spelling (HOLD_REASON_AWAITING_CALLER) names the same reason. An unknown
      // one is kept as written (it never matches): definitions stored before the SLA service
      // refused them still load.
      return NormaliseHoldReason(raw).value_or(raw);
    default:
      return raw;
  }
}

bool PredicateHolds(const Predicate& p, const RecordFields& r) {
  return p.values.contains(r.Get(p.field)) != p.negated;
}

bool ClauseHolds(const Clause& c, const RecordFields& r) {
  for (const Predicate& p : c.all_of) {
    if (!PredicateHolds(p, r)) return false;
  }
  return true;
}

void SetField(RecordFields& r, Field f, const std::string& v) {
  switch (f) {
    case Field::kState:
      r.state = v;
      break;
    case Field::kPriority:
      r.priority = v;
      break;
    case Field::kAssignmentGroup:
      r.assignment_group = v;
      break;
    case Field::kAssignee:
      r.assignee = v;
      break;
    case Field::kResponded:
      r.responded = v == "true";
      break;
    case Field::kMajorIncident:
      r.major_incident = v == "true";
      break;
    case Field::kCategory:
      r.category = v;
      break;
    case Field::kHoldReason:
      r.hold_reason = v;
      break;
  }
}

// Every combination of the values the conditions mention, one record per combination. Free-text
// fields also get "" and a value no condition names, so that "any other group" is represented.
// Fields no condition mentions keep one value: they cannot change any outcome.
// Beyond this many records the check is not made (a fraction of a second to enumerate).
constexpr size_t kMaxCheckedCombinations = 100'000;

std::vector<RecordFields> AbstractRecords(const std::vector<const Condition*>& conditions,
                                          RecordKind kind) {
  std::map<Field, std::set<std::string>> domains;
  for (const Condition* c : conditions) {
    for (const Clause& clause : c->any_of()) {
      for (const Predicate& p : clause.all_of) {
        auto& d = domains[p.field];
        if (const auto* finite = FiniteDomain(p.field, kind)) {
          d.insert(finite->begin(), finite->end());
        } else {
          d.insert(p.values.begin(), p.values.end());
          d.insert("");
          d.insert("\x01(any other value)");
        }
      }
    }
  }
  // Counted before any is built: definitions are saved under the SLA service's write lock, and
  // a few clauses of many values each multiply into millions of records (an outside test held
  // every SLA write for a minute). Real definitions mention a few values.
  size_t combinations = 1;
  for (const auto& [field, values] : domains) {
    combinations *= values.size();
    if (combinations > kMaxCheckedCombinations) return {};
  }
  std::vector<RecordFields> records(1);
  records[0].state = "NEW";
  records[0].priority = "P3";
  for (const auto& [field, values] : domains) {
    std::vector<RecordFields> next;
    next.reserve(records.size() * values.size());
    for (const RecordFields& r : records) {
      for (const std::string& v : values) {
        RecordFields copy = r;
        SetField(copy, field, v);
        next.push_back(std::move(copy));
      }
    }
    records = std::move(next);
  }
  return records;
}

std::string Describe(const RecordFields& r, const std::vector<const Condition*>& conditions) {
  std::set<Field> used;
  for (const Condition* c : conditions) {
    for (const Clause& clause : c->any_of()) {
      for (const Predicate& p : clause.all_of) used.insert(p.field);
    }
  }
  std::vector<std::string> parts;
  for (Field f : used) {
    std::string v = r.Get(f);
    if (!v.empty() && v[0] == '\x01') v = v.substr(1);
    parts.push_back(absl::StrCat(FieldName(f), "=", v.empty() ? "(empty)" : v));
  }
  return parts.empty() ? "any record" : absl::StrJoin(parts, ", ");
}

}  // namespace

std::string RecordFields::Get(Field field) const {
  switch (field) {
    case Field::kState:
      return state;
    case Field::kPriority:
      return priority;
    case Field::kAssignmentGroup:
      return assignment_group;
    case Field::kAssignee:
      return assignee;
    case Field::kResponded:
      return responded ? "true" : "false";
    case Field::kMajorIncident:
      return major_incident ? "true" : "false";
    case Field::kCategory:
      return category;
    case Field::kHoldReason:
      return hold_reason;
  }
  return "";
}

std::string PriorityName(incident::v1::Priority priority) {
  if (priority < incident::v1::PRIORITY_P1 || priority > incident::v1::PRIORITY_P5) return "";
  return absl::StrCat("P", static_cast<int>(priority));
}

RecordFields FromIncident(const incident::v1::Incident& incident) {
  RecordFields r;
  const std::string state = incident::v1::IncidentState_Name(incident.state());
  r.state = std::string_view(state).starts_with("INCIDENT_STATE_") ? state.substr(15) : state;
  r.priority = PriorityName(incident.priority());
  r.assignment_group = incident.assignment_group();
  r.assignee = incident.assignee();
  r.responded = incident.has_first_response_time();
  r.major_incident = incident.major_incident();
  r.category = incident.category();
  switch (incident.hold_reason()) {
    case incident::v1::HOLD_REASON_AWAITING_CALLER:
      r.hold_reason = "awaiting_caller";
      break;
    case incident::v1::HOLD_REASON_AWAITING_SUPPLIER:
      r.hold_reason = "awaiting_supplier";
      break;
    case incident::v1::HOLD_REASON_AWAITING_CHANGE:
      r.hold_reason = "awaiting_change";
      break;
    default:  // unspecified (or a reason newer than this code): "", which pauses by default
      break;
  }
  if (incident.has_create_time()) r.create_time = base::FromProtoTimestamp(incident.create_time());
  return r;
}

RecordKind RecordKindOf(const sla::v1::SlaDefinition& definition) {
  return definition.record_kind() == sla::v1::RECORD_KIND_CHANGE ? RecordKind::kChange
                                                                 : RecordKind::kIncident;
}

std::string ChangePriority(const change::v1::Change& change) {
  if (change.type() == change::v1::CHANGE_TYPE_EMERGENCY) return "P1";
  switch (change.risk().level()) {
    case change::v1::RISK_LEVEL_HIGH:
      return "P2";
    case change::v1::RISK_LEVEL_MEDIUM:
      return "P3";
    case change::v1::RISK_LEVEL_LOW:
      return "P4";
    default:
      return "P5";
  }
}

RecordFields FromChange(const change::v1::Change& change) {
  RecordFields r;
  const std::string state = change::v1::ChangeState_Name(change.state());
  r.state = std::string_view(state).starts_with("CHANGE_STATE_") ? state.substr(13) : state;
  r.priority = ChangePriority(change);
  r.assignment_group = change.assignment_group();
  r.assignee = change.assignee();
  const change::v1::ApprovalOutcome decided = change.approval().outcome();
  r.responded = decided == change::v1::APPROVAL_OUTCOME_APPROVED ||
                decided == change::v1::APPROVAL_OUTCOME_REJECTED ||
                decided == change::v1::APPROVAL_OUTCOME_PRE_APPROVED;
  r.category = change.category();
  if (change.has_create_time()) r.create_time = base::FromProtoTimestamp(change.create_time());
  return r;
}

std::optional<std::string> NormaliseHoldReason(absl::string_view raw) {
  std::string v = absl::AsciiStrToLower(raw);
  if (std::string_view(v).starts_with("hold_reason_")) v = v.substr(sizeof("hold_reason_") - 1);
  const std::vector<std::string>& reasons = HoldReasons();
  if (std::find(reasons.begin(), reasons.end(), v) == reasons.end()) return std::nullopt;
  return v;
}

RecordFields FromServiceRequest(const incident::v1::ServiceRequest& request) {
  RecordFields r;
  switch (request.state()) {
    case incident::v1::SERVICE_REQUEST_STATE_SUBMITTED:
      r.state = "NEW";
      break;
    case incident::v1::SERVICE_REQUEST_STATE_APPROVED:
      r.state = "ASSIGNED";
      break;
    case incident::v1::SERVICE_REQUEST_STATE_FULFILLING:
      r.state = "IN_PROGRESS";
      break;
    case incident::v1::SERVICE_REQUEST_STATE_FULFILLED:
      r.state = "RESOLVED";
      break;
    case incident::v1::SERVICE_REQUEST_STATE_CLOSED:
      r.state = "CLOSED";
      break;
    case incident::v1::SERVICE_REQUEST_STATE_REJECTED:
    case incident::v1::SERVICE_REQUEST_STATE_CANCELLED:
      r.state = "CANCELLED";
      break;
    default:  // unspecified (or a state newer than this code): like an incident's UNSPECIFIED
      r.state = "UNSPECIFIED";
      break;
  }
  r.priority = PriorityName(request.priority());
  r.assignment_group = request.assignment_group();
  r.assignee = request.assignee();
  if (request.has_create_time()) r.create_time = base::FromProtoTimestamp(request.create_time());
  return r;
}

Condition Condition::In(Field field, std::set<std::string> values) {
  return Condition({Clause{{Predicate{field, false, std::move(values)}}}});
}

Condition Condition::NotIn(Field field, std::set<std::string> values) {
  return Condition({Clause{{Predicate{field, true, std::move(values)}}}});
}

Condition Condition::Or(const Condition& other) const {
  std::vector<Clause> clauses = any_of_;
  clauses.insert(clauses.end(), other.any_of_.begin(), other.any_of_.end());
  return Condition(std::move(clauses));
}

absl::StatusOr<Condition> Condition::FromProto(const sla::v1::Condition& proto,
                                               absl::string_view path, RecordKind kind) {
  std::vector<Clause> clauses;
  for (int i = 0; i < proto.any_of_size(); ++i) {
    Clause clause;
    const auto& pc = proto.any_of(i);
    for (int j = 0; j < pc.all_of_size(); ++j) {
      const sla::v1::FieldPredicate& pp = pc.all_of(j);
      const std::string where = absl::StrCat(path, ".any_of[", i, "].all_of[", j, "]");
      auto field = FieldFromProto(pp.field());
      if (!field.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(where,
                                                       ".field: required (state, priority, "
                                                       "assignment_group, assignee, responded, "
                                                       "major_incident, category, hold_reason)"));
      }
      Predicate p{.field = *field};
      switch (pp.operator_()) {
        case sla::v1::CONDITION_OPERATOR_IN:
        case sla::v1::CONDITION_OPERATOR_NOT_IN:
          if (pp.values_size() == 0) {
            return absl::InvalidArgumentError(
                absl::StrCat(where, ".values: at least one value for IN / NOT_IN"));
          }
          p.negated = pp.operator_() == sla::v1::CONDITION_OPERATOR_NOT_IN;
          for (int k = 0; k < pp.values_size(); ++k) {
            auto v = NormaliseValue(p.field, pp.values(k), kind);
            if (!v.ok()) {
              return absl::InvalidArgumentError(
                  absl::StrCat(where, ".values[", k, "]: ", v.status().message()));
            }
            p.values.insert(*v);
          }
          break;
        case sla::v1::CONDITION_OPERATOR_IS_SET:
        case sla::v1::CONDITION_OPERATOR_IS_EMPTY:
          if (pp.values_size() != 0) {
            return absl::InvalidArgumentError(
                absl::StrCat(where, ".values: IS_SET / IS_EMPTY take no values"));
          }
          if (FiniteDomain(p.field, kind) != nullptr) {
            return absl::InvalidArgumentError(absl::StrCat(where, ".operator: ", FieldName(p.field),
                                                           " is never empty; use IN or NOT_IN"));
          }
          p.negated = pp.operator_() == sla::v1::CONDITION_OPERATOR_IS_SET;
          p.values = {""};
          break;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat(where, ".operator: required (IN, NOT_IN, IS_SET, IS_EMPTY)"));
      }
      clause.all_of.push_back(std::move(p));
    }
    clauses.push_back(std::move(clause));
  }
  return Condition(std::move(clauses));
}

sla::v1::Condition Condition::ToProto() const {
  sla::v1::Condition out;
  for (const Clause& clause : any_of_) {
    auto* pc = out.add_any_of();
    for (const Predicate& p : clause.all_of) {
      auto* pp = pc->add_all_of();
      pp->set_field(FieldToProto(p.field));
      if (FiniteDomain(p.field, RecordKind::kIncident) == nullptr &&
          p.values == std::set<std::string>{""}) {
        pp->set_operator_(p.negated ? sla::v1::CONDITION_OPERATOR_IS_SET
                                    : sla::v1::CONDITION_OPERATOR_IS_EMPTY);
        continue;
      }
      pp->set_operator_(p.negated ? sla::v1::CONDITION_OPERATOR_NOT_IN
                                  : sla::v1::CONDITION_OPERATOR_IN);
      for (const auto& v : p.values) pp->add_values(v);
    }
  }
  return out;
}

bool Condition::Holds(const RecordFields& record) const {
  for (const Clause& c : any_of_) {
    if (ClauseHolds(c, record)) return true;
  }
  return false;
}

std::string Condition::ToString() const {
  if (any_of_.empty()) return "never";
  std::vector<std::string> clauses;
  for (const Clause& c : any_of_) {
    if (c.all_of.empty()) return "always";
    std::vector<std::string> preds;
    for (const Predicate& p : c.all_of) {
      preds.push_back(absl::StrCat(FieldName(p.field), p.negated ? " not in {" : " in {",
                                   absl::StrJoin(p.values, ", "), "}"));
    }
    clauses.push_back(absl::StrJoin(preds, " and "));
  }
  return absl::StrJoin(clauses, " or ");
}

sla::v1::ClockKind ToProto(ClockKind kind) {
  return kind == ClockKind::kResponse ? sla::v1::CLOCK_KIND_RESPONSE
                                      : sla::v1::CLOCK_KIND_RESOLUTION;
}

ClockConditions ClockConditions::Defaults(ClockKind kind, RecordKind record_kind) {
  ClockConditions c;
  c.record_kind = record_kind;
  if (record_kind == RecordKind::kChange) {
    // docs/sla.md 3.5: the response clock is the time to authorise, the resolution clock the
    // time to implement.
    c.cancel = Condition::In(Field::kState, {"CANCELLED"});
    if (kind == ClockKind::kResponse) {
      c.start = Condition::In(Field::kState, {"AUTHORISE"});
      c.stop =
          Condition::In(Field::kResponded, {"true"})
              .Or(Condition::In(Field::kState, {"SCHEDULED", "IMPLEMENT", "REVIEW", "CLOSED"}));
      // Sent back for rework (AUTHORISE -> ASSESS): the time is the assessor's, not the
      // approvers'.
      c.pause = Condition::In(Field::kState, {"ASSESS"});
    } else {
      c.start = Condition::NotIn(Field::kState, {"REVIEW", "CLOSED", "CANCELLED"});
      c.stop = Condition::In(Field::kState, {"REVIEW", "CLOSED"});
      c.pause = Condition::Never();
    }
    return c;
  }
  c.start = Condition::NotIn(Field::kState, {"RESOLVED", "CLOSED", "CANCELLED"});
  c.cancel = Condition::In(Field::kState, {"CANCELLED"});
  if (kind == ClockKind::kResponse) {
    c.stop = Condition::In(Field::kResponded, {"true"})
                 .Or(Condition::NotIn(Field::kAssignee, {""}))
                 .Or(Condition::NotIn(Field::kState, {"NEW", "CANCELLED"}));
    c.pause = Condition::Never();
  } else {
    c.stop = Condition::In(Field::kState, {"RESOLVED", "CLOSED"});
    c.pause = Condition::AnyOf({Clause{
        {Predicate{Field::kState, false, {"ON_HOLD"}},
         Predicate{Field::kHoldReason, false, {"", "awaiting_caller", "awaiting_supplier"}}}}});
  }
  return c;
}

absl::StatusOr<ClockConditions> ClockConditions::FromProto(const sla::v1::ClockConditions& proto,
                                                           ClockKind kind, absl::string_view path,
                                                           RecordKind record_kind) {
  ClockConditions c = Defaults(kind, record_kind);
  if (proto.has_start()) {
    ITSM_ASSIGN_OR_RETURN(
        c.start, Condition::FromProto(proto.start(), absl::StrCat(path, ".start"), record_kind));
  }
  if (proto.has_pause()) {
    ITSM_ASSIGN_OR_RETURN(
        c.pause, Condition::FromProto(proto.pause(), absl::StrCat(path, ".pause"), record_kind));
  }
  if (proto.has_resume()) {
    ITSM_ASSIGN_OR_RETURN(
        c.resume, Condition::FromProto(proto.resume(), absl::StrCat(path, ".resume"), record_kind));
  }
  if (proto.has_stop()) {
    ITSM_ASSIGN_OR_RETURN(
        c.stop, Condition::FromProto(proto.stop(), absl::StrCat(path, ".stop"), record_kind));
  }
  if (proto.has_cancel()) {
    ITSM_ASSIGN_OR_RETURN(
        c.cancel, Condition::FromProto(proto.cancel(), absl::StrCat(path, ".cancel"), record_kind));
  }
  if (proto.has_reset()) {
    ITSM_ASSIGN_OR_RETURN(
        c.reset, Condition::FromProto(proto.reset(), absl::StrCat(path, ".reset"), record_kind));
  }
  if (!sla::v1::MeasureFrom_IsValid(proto.measure_from())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".measure_from: unknown value"));
  }
  c.measure_from_creation = proto.measure_from() == sla::v1::MEASURE_FROM_RECORD_CREATION;
  ITSM_RETURN_IF_ERROR(c.Check(path));
  return c;
}

sla::v1::ClockConditions ClockConditions::ToProto() const {
  sla::v1::ClockConditions out;
  *out.mutable_start() = start.ToProto();
  *out.mutable_pause() = pause.ToProto();
  if (resume) *out.mutable_resume() = resume->ToProto();
  *out.mutable_stop() = stop.ToProto();
  *out.mutable_cancel() = cancel.ToProto();
  if (reset) *out.mutable_reset() = reset->ToProto();
  out.set_measure_from(measure_from_creation ? sla::v1::MEASURE_FROM_RECORD_CREATION
                                             : sla::v1::MEASURE_FROM_START_CONDITION);
  return out;
}

absl::Status ClockConditions::Check(absl::string_view path) const {
  std::vector<const Condition*> all = {&start, &pause, &stop, &cancel};
  if (resume) all.push_back(&*resume);
  if (reset) all.push_back(&*reset);
  const std::vector<RecordFields> records = AbstractRecords(all, record_kind);
  if (records.empty()) return absl::OkStatus();  // too many combinations to check exhaustively
  auto fail = [&](const char* which, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".", which, ": ", why));
  };
  const RecordFields* start_example = nullptr;
  const RecordFields* start_not_stop = nullptr;
  const RecordFields* start_not_cancel = nullptr;
  const RecordFields* start_not_reset = nullptr;
  const RecordFields* stop_example = nullptr;
  const RecordFields* can_pause = nullptr;
  const RecordFields* can_resume = nullptr;
  const RecordFields* pause_not_resume = nullptr;
  for (const RecordFields& r : records) {
    const bool st = start.Holds(r), sp = stop.Holds(r), ca = cancel.Holds(r);
    const bool pa = pause.Holds(r), re = resume ? resume->Holds(r) : !pa;
    if (st && !start_example) start_example = &r;
    if (st && !sp && !start_not_stop) start_not_stop = &r;
    if (st && !ca && !start_not_cancel) start_not_cancel = &r;
    if (st && reset && !reset->Holds(r) && !start_not_reset) start_not_reset = &r;
    if (sp && !stop_example) stop_example = &r;
    const bool live = !sp && !ca;
    if (live && pa && !(resume && re) && !can_pause) can_pause = &r;
    if (live && re && !can_resume) can_resume = &r;
    if (pa && !(resume && re) && !pause_not_resume) pause_not_resume = &r;
  }
  if (!start_example) return fail("start", "can never hold, so no clock would ever start");
  if (!stop_example) return fail("stop", "can never hold, so no clock would ever complete");
  if (!start_not_stop) {
    return fail("stop",
                absl::StrCat("holds whenever start holds (e.g. ", Describe(*start_example, all),
                             "): every clock would stop the moment it starts"));
  }
  if (!start_not_cancel) {
    return fail("cancel",
                absl::StrCat("holds whenever start holds (e.g. ", Describe(*start_example, all),
                             "): every clock would be cancelled the moment it starts"));
  }
  if (reset && !reset->IsNever() && !start_not_reset) {
    return fail("reset",
                absl::StrCat("holds whenever start holds (e.g. ", Describe(*start_example, all),
                             "): every clock would be reset as it starts"));
  }
  if (!pause.IsNever()) {
    if (resume && !pause_not_resume) {
      return fail("resume", "holds whenever pause holds, so the clock could never pause");
    }
    if (!can_pause) {
      return fail("pause",
                  "holds only when the clock stops or is cancelled, so it could never pause");
    }
    if (!can_resume) {
      return fail(resume ? "resume" : "pause",
                  absl::StrCat("a pause that can never end: no record state that neither stops "
                               "nor cancels the clock resumes it (paused e.g. at ",
                               Describe(*can_pause, all), ")"));
    }
  }
  return absl::OkStatus();
}

sla::v1::ClockStage ToProto(Stage stage) {
  switch (stage) {
    case Stage::kRunning:
      return sla::v1::CLOCK_STAGE_RUNNING;
    case Stage::kPaused:
      return sla::v1::CLOCK_STAGE_PAUSED;
    case Stage::kCompleted:
      return sla::v1::CLOCK_STAGE_COMPLETED;
    case Stage::kCancelled:
      return sla::v1::CLOCK_STAGE_CANCELLED;
    case Stage::kNone:
      break;
  }
  return sla::v1::CLOCK_STAGE_UNSPECIFIED;
}

Stage StageFromProto(sla::v1::ClockStage stage) {
  switch (stage) {
    case sla::v1::CLOCK_STAGE_RUNNING:
      return Stage::kRunning;
    case sla::v1::CLOCK_STAGE_PAUSED:
      return Stage::kPaused;
    case sla::v1::CLOCK_STAGE_COMPLETED:
      return Stage::kCompleted;
    case sla::v1::CLOCK_STAGE_CANCELLED:
      return Stage::kCancelled;
    default:
      return Stage::kNone;
  }
}

std::string ActionName(ActionType type) {
  switch (type) {
    case ActionType::kStart:
      return "start";
    case ActionType::kPause:
      return "pause";
    case ActionType::kResume:
      return "resume";
    case ActionType::kStop:
      return "stop";
    case ActionType::kCancel:
      return "cancel";
    case ActionType::kReset:
      return "reset";
    case ActionType::kRetarget:
      return "retarget";
  }
  return "?";
}

absl::StatusOr<ClockPolicy> ClockPolicy::FromDefinition(const sla::v1::SlaDefinition& definition,
                                                        ClockKind kind) {
  const bool response = kind == ClockKind::kResponse;
  ITSM_ASSIGN_OR_RETURN(
      ClockConditions conditions,
      ClockConditions::FromProto(
          response ? definition.response_conditions() : definition.resolution_conditions(), kind,
          response ? "response_conditions" : "resolution_conditions", RecordKindOf(definition)));
  std::map<std::string, Target> targets;
  for (const auto& t : definition.targets()) {
    const bool has = response ? t.has_response_target() : t.has_resolution_target();
    const int days = response ? t.response_business_days() : t.resolution_business_days();
    if (has) {
      targets[PriorityName(t.priority())] = {
          .duration =
              base::FromProtoDuration(response ? t.response_target() : t.resolution_target())};
    } else if (days > 0) {
      targets[PriorityName(t.priority())] = {.business_days = days};
    }
  }
  return ClockPolicy(kind, std::move(conditions), std::move(targets),
                     definition.retroactive_start());
}

ClockPolicy::ClockPolicy(ClockKind kind, ClockConditions conditions,
                         const std::map<std::string, absl::Duration>& targets_by_priority,
                         bool retroactive_start)
    : kind_(kind), conditions_(std::move(conditions)), retroactive_start_(retroactive_start) {
  for (const auto& [priority, d] : targets_by_priority) targets_[priority] = {.duration = d};
}

std::optional<Target> ClockPolicy::TargetFor(const std::string& priority) const {
  auto it = targets_.find(priority);
  if (it == targets_.end()) return std::nullopt;
  return it->second;
}

bool ClockPolicy::PausedBy(const RecordFields& r) const {
  return conditions_.pause.Holds(r) && !(conditions_.resume && conditions_.resume->Holds(r));
}

bool ClockPolicy::ResumedBy(const RecordFields& r) const {
  return conditions_.resume ? conditions_.resume->Holds(r) : !conditions_.pause.Holds(r);
}

void ClockPolicy::StartFromCreation(const RecordFields& after, absl::Time now, const char* reason,
                                    const std::vector<RecordChange>& history,
                                    std::vector<Action>& out) const {
  const auto target = TargetFor(after.priority);
  if (!target || !conditions_.start.Holds(after) || conditions_.cancel.Holds(after)) return;
  const absl::Time from = after.create_time;
  out.push_back({ActionType::kStart, from, reason, target->duration, target->business_days});
  // What the pause condition did to a clock running since the creation (GLPI #6902: a hold
  // before the attach is not working time). Only pauses and resumes: the clock is judged by
  // the definition as it applies now, so earlier stops or cancels of other clocks do not bind it.
  bool paused = false;
  for (const RecordChange& h : history) {
    if (h.at >= now) break;
    const absl::Time at = std::max(h.at, from);
    if (!paused && PausedBy(h.fields)) {
      out.push_back({ActionType::kPause, at, kReplayedReason});
      paused = true;
    } else if (paused && ResumedBy(h.fields)) {
      out.push_back({ActionType::kResume, at, kReplayedReason});
      paused = false;
    }
  }
  if (conditions_.stop.Holds(after)) {
    out.push_back({ActionType::kStop, now, "stop_condition"});
  } else if (!paused && PausedBy(after)) {
    out.push_back({ActionType::kPause, now, "pause_condition"});
  } else if (paused && ResumedBy(after)) {
    out.push_back({ActionType::kResume, now, "resume_condition"});
  }
}

std::vector<Action> ClockPolicy::Attach(const RecordFields& after, absl::Time now,
                                        const std::vector<RecordChange>& history) const {
  std::vector<Action> out;
  if ((retroactive_start_ || conditions_.measure_from_creation) &&
      after.create_time != absl::InfinitePast()) {
    StartFromCreation(after, now, "applicable", history, out);
  } else {
    TryStart(after, now, now, "applicable", out);
  }
  return out;
}

void ClockPolicy::TryStart(const RecordFields& after, absl::Time at, absl::Time now,
                           const char* reason, std::vector<Action>& out) const {
  const auto target = TargetFor(after.priority);
  if (!target || !conditions_.start.Holds(after) || conditions_.cancel.Holds(after)) return;
  out.push_back({ActionType::kStart, at, reason, target->duration, target->business_days});
  if (conditions_.stop.Holds(after)) {
    out.push_back({ActionType::kStop, now, "stop_condition"});
  } else if (PausedBy(after)) {
    out.push_back({ActionType::kPause, now, "pause_condition"});
  }
}

std::vector<Action> ClockPolicy::Decide(Stage stage, const RecordFields* before,
                                        const RecordFields& after, absl::Time now,
                                        const std::vector<RecordChange>& history) const {
  std::vector<Action> out;
  const bool priority_changed = before != nullptr && before->priority != after.priority;
  // A clock attached by a priority change counts from the record's creation when the
  // definition asks for a retroactive start, and any new clock (but a reset's) does when its
  // conditions measure from the creation; the creation time must be known.
  const bool from_creation =
      ((priority_changed && retroactive_start_) || conditions_.measure_from_creation) &&
      after.create_time != absl::InfinitePast();
  const auto attach = [&](const char* reason) {
    if (from_creation) {
      StartFromCreation(after, now, reason, history, out);
    } else {
      TryStart(after, now, now, reason, out);
    }
  };
  const bool reset_edge = conditions_.reset && conditions_.reset->Holds(after) &&
                          (before == nullptr || !conditions_.reset->Holds(*before));
  switch (stage) {
    case Stage::kNone:
      attach(priority_changed ? "priority_changed" : "start_condition");
      return out;
    case Stage::kCompleted:
    case Stage::kCancelled:
      if (reset_edge) {
        TryStart(after, now, now, "reset", out);
      } else if (stage == Stage::kCompleted && before != nullptr &&
                 conditions_.stop.Holds(*before) && !conditions_.stop.Holds(after)) {
        // Reopened: the work is timed again, by a new clock from now with the full target, as
        // ServiceNow attaches a new SLA and Jira Service Management starts a new cycle (found
        // from outside: resolved early and reopened, an incident stayed open untimed and "met").
        TryStart(after, now, now, "start_condition", out);
      } else if (stage == Stage::kCompleted && priority_changed && !TargetFor(before->priority) &&
                 !conditions_.stop.Holds(after)) {
        // Reopened at a priority without a target, so no clock could start then: the first
        // priority with one times the open record from this change (found from outside: it
        // stayed open untimed, its last clock met).
        TryStart(after, now, now, "priority_changed", out);
      } else if (stage == Stage::kCancelled && priority_changed && !TargetFor(before->priority)) {
        attach("priority_changed");
      }
      return out;
    case Stage::kRunning:
    case Stage::kPaused:
      break;
  }
  if (reset_edge) {
    out.push_back({ActionType::kReset, now, "reset"});
    TryStart(after, now, now, "reset", out);
    return out;
  }
  if (conditions_.cancel.Holds(after)) {
    out.push_back({ActionType::kCancel, now, "cancel_condition"});
    return out;
  }
  if (priority_changed) {
    const auto target = TargetFor(after.priority);
    if (!target) {
      out.push_back({ActionType::kCancel, now, "priority_not_covered"});
      return out;
    }
    // Measured from the record's creation, the new priority's clock would count the very
    // interval this one counted: the clock goes on with the new target instead (as with a
    // retroactive start), so one late record is one breach, not one per priority flip.
    if (!retroactive_start_ && !conditions_.measure_from_creation) {
      out.push_back({ActionType::kCancel, now, "superseded"});
      TryStart(after, now, now, "priority_changed", out);
      return out;
    }
    out.push_back(
        {ActionType::kRetarget, now, "priority_changed", target->duration, target->business_days});
  }
  if (conditions_.stop.Holds(after)) {
    out.push_back({ActionType::kStop, now, "stop_condition"});
    return out;
  }
  const bool paused_by = PausedBy(after);
  if (stage == Stage::kRunning && paused_by) {
    out.push_back({ActionType::kPause, now, "pause_condition"});
  } else if (stage == Stage::kPaused) {
    const bool resumes =
        conditions_.resume ? conditions_.resume->Holds(after) : !conditions_.pause.Holds(after);
    if (resumes) out.push_back({ActionType::kResume, now, "resume_condition"});
  }
  return out;
}

}  // namespace itsm::slamodel
