#include "services/sla/src/sla_rules.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/businesstime/time_zone_name.h"
#include "itsm/slamodel/business_days.h"
#include "itsm/slamodel/calendar.h"
#include "itsm/slamodel/clock.h"
#include "itsm/slamodel/conditions.h"
#include "itsm/slamodel/coverage.h"

namespace itsm::sla {
namespace {

// Lengths and list sizes are the limits declared in sla.proto, checked before any rule runs.
// Calendars and definitions are named wherever their id is accepted (calendar_id, GET by id or
// name): a name with blanks around it would be a second name that reads as the first, and one
// with the form of an id would name another record.
absl::Status CheckName(const std::string& name) {
  if (base::IsBlank(name)) return absl::InvalidArgumentError("name: required");
  if (base::HasOuterBlank(name)) return absl::InvalidArgumentError("name: has blanks around it");
  if (base::IsUuid(name)) {
    return absl::InvalidArgumentError(
        "name: has the form of an id (it is accepted wherever an id is, and would name another "
        "record)");
  }
  return absl::OkStatus();
}

bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Whether one record can match both coverage lists: an empty list matches every value.
bool CanShare(const google::protobuf::RepeatedPtrField<std::string>& a,
              const google::protobuf::RepeatedPtrField<std::string>& b) {
  if (a.empty() || b.empty()) return true;
  return std::any_of(a.begin(), a.end(), [&b](const std::string& v) { return Listed(b, v); });
}

std::string KindName(v1::AgreementKind k) {
  switch (k) {
    case v1::AGREEMENT_KIND_SLA:
      return "SLA";
    case v1::AGREEMENT_KIND_OLA:
      return "OLA";
    case v1::AGREEMENT_KIND_UNDERPINNING_CONTRACT:
      return "underpinning contract";
    default:
      return "agreement";
  }
}

std::string FormatBound(absl::Time t) {
  if (t == absl::InfinitePast()) return "the beginning";
  if (t == absl::InfiniteFuture()) return "open end";
  return base::FormatRfc3339(t);
}

}  // namespace

absl::Status CheckRecordId(const std::string& id, const char* field) {
  if (id.empty()) return base::FieldError(field, "required");
  const size_t letters =
      static_cast<size_t>(std::find_if_not(id.begin(), id.end(), absl::ascii_isupper) - id.begin());
  const bool is_number = letters >= 2 && letters < id.size() &&
                         std::all_of(id.begin() + letters, id.end(), absl::ascii_isdigit);
  if (is_number) {
    // The route that answers the record's id, by the number's prefix.
    static constexpr std::pair<absl::string_view, absl::string_view> kRoutes[] = {
        {"INC", "/v1/incidents/"},
        {"REQ", "/v1/serviceRequests/"},
        {"PRB", "/v1/problems/"},
        {"CHG", "/v1/changes/"},
        {"SUP", "/v1/suppliers/"}};
    for (const auto& [prefix, route] : kRoutes) {
      if (id.substr(0, letters) != prefix) continue;
      return base::FieldError(field, absl::StrCat("give the record's id, not its number ", id,
                                                  " (GET ", route, id, " answers its id)"));
    }
    return base::FieldError(field, absl::StrCat("give the record's id, not its number ", id));
  }
  // Ids are letters, digits and dashes (UUIDs): anything else names no record, and an empty
  // answer would read as "no SLA applies".
  if (!std::all_of(id.begin(), id.end(),
                   [](char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_'; })) {
    return base::FieldError(field, "not a record id (give the id the record's own API answers)");
  }
  return absl::OkStatus();
}

absl::Status ValidateCalendar(const v1::Calendar& calendar) {
  ITSM_RETURN_IF_ERROR(CheckName(calendar.name()));
  // Without weekly hours a calendar is open only on its extra working days: a clock started
  // after the last one would never come due.
  if (!calendar.always_open() && calendar.weekly_hours().empty()) {
    return absl::InvalidArgumentError(
        "weekly_hours: required unless always_open (a calendar without weekly working time has "
        "no open time after its last extra working day, so its clocks would never come due)");
  }
  return slamodel::CompileCalendar(calendar).status();
}

namespace {

// The timer reads a hold reason it does not know as one that never matches (definitions stored
// before this check still load), so a definition naming one would never pause its clocks —
// false breaches (found from outside). Refused here, naming the value.
absl::Status CheckHoldReasons(const v1::ClockConditions& c, const std::string& path) {
  const std::pair<const char*, const v1::Condition*> conditions[] = {
      {"start", &c.start()}, {"pause", &c.pause()},   {"resume", &c.resume()},
      {"stop", &c.stop()},   {"cancel", &c.cancel()}, {"reset", &c.reset()}};
  for (const auto& [name, condition] : conditions) {
    for (int i = 0; i < condition->any_of_size(); ++i) {
      for (int j = 0; j < condition->any_of(i).all_of_size(); ++j) {
        const v1::FieldPredicate& p = condition->any_of(i).all_of(j);
        if (p.field() != v1::CONDITION_FIELD_HOLD_REASON) continue;
        for (int k = 0; k < p.values_size(); ++k) {
          if (p.values(k).empty() || slamodel::NormaliseHoldReason(p.values(k))) continue;
          return absl::InvalidArgumentError(
              absl::StrCat(path, ".", name, ".any_of[", i, "].all_of[", j, "].values[", k,
                           "]: unknown hold reason \"", p.values(k),
                           "\" (awaiting_caller, awaiting_supplier, awaiting_change)"));
        }
      }
    }
  }
  return absl::OkStatus();
}

// A warning is due at its share of a target, in whole seconds as the clocks count them
// (slamodel::Clock rounds to the nearest second). One that rounds to the clock's start or to the
// breach itself warns of nothing: refused, naming the threshold and the target. Targets in
// business days are long enough for any threshold.
absl::Status CheckWarningsFallWithinTargets(const v1::SlaDefinition& d) {
  for (int i = 0; i < d.warning_thresholds_size(); ++i) {
    const double percent = d.warning_thresholds(i);
    for (int j = 0; j < d.targets_size(); ++j) {
      const v1::PriorityTarget& t = d.targets(j);
      for (const auto& [name, has, target] :
           {std::tuple{"response_target", t.has_response_target(), &t.response_target()},
            std::tuple{"resolution_target", t.has_resolution_target(), &t.resolution_target()}}) {
        if (!has) continue;
        const int64_t seconds = target->seconds();
        const int64_t at = std::llround(static_cast<double>(seconds) * percent / 100.0);
        if (at > 0 && at < seconds) continue;
        return absl::InvalidArgumentError(absl::StrCat(
            "warning_thresholds[", i, "]: ", percent, "% of targets[", j, "].", name, " (", seconds,
            " s) falls at ", at, " s, ", at <= 0 ? "the clock's start" : "the breach itself",
            "; clocks count whole seconds"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAndNormalise(v1::SlaDefinition& d) {
  ITSM_RETURN_IF_ERROR(CheckName(d.name()));
  switch (d.kind()) {
    case v1::AGREEMENT_KIND_SLA:
      break;
    case v1::AGREEMENT_KIND_OLA:
      if (d.internal_group().empty()) {
        return absl::InvalidArgumentError("internal_group: required for an OLA");
      }
      break;
    case v1::AGREEMENT_KIND_UNDERPINNING_CONTRACT:
      if (d.supplier_id().empty()) {
        return absl::InvalidArgumentError("supplier_id: required for an underpinning contract");
      }
      // Supplier contracts link it by the supplier's id: a number stored here never matched,
      // in whatever case it was written (found from outside).
      ITSM_RETURN_IF_ERROR(CheckRecordId(absl::AsciiStrToUpper(d.supplier_id()), "supplier_id"));
      break;
    default:
      return absl::InvalidArgumentError(
          "kind: required (AGREEMENT_KIND_SLA, _OLA or _UNDERPINNING_CONTRACT)");
  }
  if (!v1::RecordKind_IsValid(d.record_kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat("record_kind: unknown kind ", d.record_kind(), " (CHANGE, or unset)"));
  }
  if (d.record_kind() == v1::RECORD_KIND_CHANGE && d.coverage().request_types_size() > 0) {
    return absl::InvalidArgumentError(
        "coverage.request_types: a definition for changes covers no service requests");
  }
  if (d.coverage().services_size() == 0) {
    return absl::InvalidArgumentError("coverage.services: at least one service");
  }
  std::set<std::string> services;
  for (int i = 0; i < d.coverage().services_size(); ++i) {
    const std::string field = absl::StrCat("coverage.services[", i, "]");
    if (d.coverage().services(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
    }
    ITSM_RETURN_IF_ERROR(base::CheckMatchedName(field, d.coverage().services(i)));
    if (!services.insert(d.coverage().services(i)).second) {
      return base::FieldError(field, "named twice");
    }
  }
  for (int i = 0; i < d.coverage().categories_size(); ++i) {
    ITSM_RETURN_IF_ERROR(base::CheckMatchedName(absl::StrCat("coverage.categories[", i, "]"),
                                                d.coverage().categories(i)));
  }
  if (d.calendar_id().empty()) return absl::InvalidArgumentError("calendar_id: required");
  if (!v1::TimeZoneSource_IsValid(d.time_zone_source())) {
    return absl::InvalidArgumentError("time_zone_source: unknown value");
  }
  if (d.time_zone_source() == v1::TIME_ZONE_SOURCE_UNSPECIFIED) {
    d.set_time_zone_source(v1::TIME_ZONE_SOURCE_DEFINITION);
  }
  if (!d.time_zone().empty()) {
    if (absl::StatusOr<absl::TimeZone> tz = businesstime::LoadIanaTimeZone(d.time_zone());
        !tz.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("time_zone: ", tz.status().message()));
    }
  }
  if (d.targets_size() == 0) {
    return absl::InvalidArgumentError("targets: at least one priority target");
  }
  std::set<int> priorities;
  bool uses_days = false;
  for (int i = 0; i < d.targets_size(); ++i) {
    const auto& t = d.targets(i);
    const std::string at = absl::StrCat("targets[", i, "]");
    if (t.priority() == incident::v1::PRIORITY_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".priority: required, P1..P5"));
    }
    if (t.priority() < incident::v1::PRIORITY_P1 || t.priority() > incident::v1::PRIORITY_P5) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".priority: unknown value ",
                                                     static_cast<int>(t.priority()), ", P1..P5"));
    }
    if (!priorities.insert(t.priority()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".priority: ", slamodel::PriorityName(t.priority()), " has a target already"));
    }
    if (!t.has_response_target() && !t.has_resolution_target() && t.response_business_days() == 0 &&
        t.resolution_business_days() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at,
                       ": set response_target or response_business_days, resolution_target or "
                       "resolution_business_days, or both"));
    }
    for (const auto& [days_name, duration_name, has_duration, days] :
         {std::tuple{"response_business_days", "response_target", t.has_response_target(),
                     t.response_business_days()},
          std::tuple{"resolution_business_days", "resolution_target", t.has_resolution_target(),
                     t.resolution_business_days()}}) {
      if (days == 0) continue;
      if (has_duration) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".", days_name, ": set either ", duration_name, " or ", days_name, ", not both"));
      }
      if (days < 0) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".", days_name, ": must be positive"));
      }
      // Each business day is a date of its own: more than the search horizon's days can never
      // be reached.
      if (days > slamodel::kMaxBusinessDays) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".", days_name, ": at most ",
                                                       slamodel::kMaxBusinessDays,
                                                       " (the due-time search horizon)"));
      }
      uses_days = true;
    }
    for (const auto& [name, has, dur] :
         {std::tuple{"response_target", t.has_response_target(), &t.response_target()},
          std::tuple{"resolution_target", t.has_resolution_target(), &t.resolution_target()}}) {
      if (has &&
          (dur->seconds() < 0 || dur->nanos() < 0 || (dur->seconds() == 0 && dur->nanos() == 0))) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".", name, ": must be positive"));
      }
      // Clocks count whole seconds: a fraction would be dropped, and the breach fall due early
      // (a positive target under a second too: it is refused for that, not as "not positive").
      if (has && dur->nanos() != 0) {
        return absl::InvalidArgumentError(absl::StrCat(at, ".", name, ": whole seconds only"));
      }
      // Due instants are searched this far ahead (and no further): a longer target could be
      // accepted here and then never computed.
      if (has && absl::Seconds(dur->seconds()) > businesstime::kSearchHorizon) {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ".", name, ": at most ", absl::ToInt64Hours(businesstime::kSearchHorizon) / 24,
            " days (the due-time search horizon)"));
      }
    }
  }
  if (!v1::BusinessDayRule_IsValid(d.business_day_rule())) {
    return absl::InvalidArgumentError("business_day_rule: unknown value");
  }
  if (uses_days && d.business_day_rule() == v1::BUSINESS_DAY_RULE_UNSPECIFIED) {
    d.set_business_day_rule(v1::BUSINESS_DAY_RULE_END_OF_DAY);
  }
  const bool thresholds_given = d.warning_thresholds_size() > 0;
  if (!thresholds_given) {
    for (double p : {50.0, 75.0, 90.0}) d.add_warning_thresholds(p);
  }
  for (int i = 0; i < d.warning_thresholds_size(); ++i) {
    const double p = d.warning_thresholds(i);
    if (!(p > 0 && p < 100)) {
      return absl::InvalidArgumentError(
          absl::StrCat("warning_thresholds[", i, "]: ", p, " is not in (0, 100)"));
    }
    if (i > 0 && !(p > d.warning_thresholds(i - 1))) {
      return absl::InvalidArgumentError(
          absl::StrCat("warning_thresholds[", i, "]: ", p, " does not follow ",
                       d.warning_thresholds(i - 1), "; thresholds must ascend"));
    }
  }
  if (thresholds_given) ITSM_RETURN_IF_ERROR(CheckWarningsFallWithinTargets(d));
  if (EffectiveFrom(d) >= EffectiveUntil(d)) {
    return absl::InvalidArgumentError("effective_until: must be after effective_from");
  }
  ITSM_RETURN_IF_ERROR(CheckHoldReasons(d.response_conditions(), "response_conditions"));
  ITSM_RETURN_IF_ERROR(CheckHoldReasons(d.resolution_conditions(), "resolution_conditions"));
  const slamodel::RecordKind record_kind = slamodel::RecordKindOf(d);
  ITSM_ASSIGN_OR_RETURN(auto response, slamodel::ClockConditions::FromProto(
                                           d.response_conditions(), slamodel::ClockKind::kResponse,
                                           "response_conditions", record_kind));
  ITSM_ASSIGN_OR_RETURN(auto resolution,
                        slamodel::ClockConditions::FromProto(d.resolution_conditions(),
                                                             slamodel::ClockKind::kResolution,
                                                             "resolution_conditions", record_kind));
  *d.mutable_response_conditions() = response.ToProto();
  *d.mutable_resolution_conditions() = resolution.ToProto();
  return absl::OkStatus();
}

const v1::PriorityTarget* TargetFor(const v1::SlaDefinition& definition,
                                    incident::v1::Priority priority) {
  for (const auto& t : definition.targets()) {
    if (t.priority() == priority) return &t;
  }
  return nullptr;
}

absl::Status CheckNoOverlap(const v1::SlaDefinition& d,
                            const std::vector<v1::SlaDefinition>& others) {
  if (d.retired()) return absl::OkStatus();
  for (const auto& o : others) {
    if (o.id() == d.id() || o.retired() || o.kind() != d.kind()) continue;
    // A definition for changes and one for incidents never apply to the same record.
    if (o.record_kind() != d.record_kind()) continue;
    // Half-open ranges [from, until) overlap when each starts before the other ends.
    if (!(EffectiveFrom(d) < EffectiveUntil(o) && EffectiveFrom(o) < EffectiveUntil(d))) continue;
    // Definitions narrowed to disjoint CI classes, categories or request types never apply to
    // the same record: "P1 network incidents" and "P1 hardware incidents" may differ.
    if (!CanShare(d.coverage().ci_classes(), o.coverage().ci_classes()) ||
        !CanShare(d.coverage().categories(), o.coverage().categories()) ||
        !CanShare(d.coverage().request_types(), o.coverage().request_types())) {
      continue;
    }
    for (const auto& service : d.coverage().services()) {
      if (!Listed(o.coverage().services(), service)) continue;
      for (const auto& t : d.targets()) {
        if (TargetFor(o, t.priority()) == nullptr) continue;
        return absl::AlreadyExistsError(absl::StrCat(
            "definition \"", o.name(), "\" (", o.id(), ") is an active ", KindName(o.kind()),
            " for service \"", service, "\" at ", slamodel::PriorityName(t.priority()), " from ",
            FormatBound(EffectiveFrom(o)), " to ", FormatBound(EffectiveUntil(o)),
            ": effective dates must not overlap (retire it or change its dates)"));
      }
    }
  }
  return absl::OkStatus();
}

namespace {

// Offsets run from UTC-12 to UTC+14: a record's zone reads a date up to 26 hours apart.
constexpr absl::Duration kZonesApart = absl::Hours(26);
// What offset changes in a record's zone can take from ten years of a calendar's hours beyond
// what UTC counts: one skipped hour each spring that no autumn gives back, and then some.
constexpr absl::Duration kAnyZonesChanges = absl::Hours(48);

// Each target of `d` within `least` less `allowance`; the error names the target.
absl::Status TargetsWithin(const v1::SlaDefinition& d, const businesstime::Calendar& hours,
                           const businesstime::LeastOpenTime& least, absl::Duration allowance,
                           bool any_zone) {
  const absl::Duration usable = least.open - allowance;
  const int64_t horizon_days = absl::ToInt64Hours(businesstime::kSearchHorizon) / 24;
  const std::string too_little = absl::StrCat(
      " days on calendar \"", d.calendar_id(), "\": a clock started at ",
      base::FormatRfc3339(least.start), " has only ", absl::FormatDuration(least.open),
      " of open time in the ", horizon_days, " days after",
      any_zone ? " (read in UTC; each record gives the zone, so 48h are kept for its offset "
                 "changes)"
               : "",
      " (too little open time; list the holidays' end or add working time)");
  for (int i = 0; i < d.targets_size(); ++i) {
    const auto& t = d.targets(i);
    for (const auto& [name, has, target] :
         {std::tuple{"response_target", t.has_response_target(), &t.response_target()},
          std::tuple{"resolution_target", t.has_resolution_target(), &t.resolution_target()}}) {
      if (!has) continue;
      const absl::Duration duration = base::FromProtoDuration(*target);
      if (duration > usable) {
        return absl::InvalidArgumentError(
            absl::StrCat("targets[", i, "].", name, ": ", absl::FormatDuration(duration),
                         " of business time cannot be reached within ", horizon_days, too_little));
      }
    }
    // N business days need N + 2 dates with open time within the horizon (the start's date,
    // N more, and the next one bounds the last one's end); no date holds more than the longest,
    // and backward offset changes add at most `repeated` beyond the dates' hours.
    for (const auto& [name, days] :
         {std::pair{"response_business_days", t.response_business_days()},
          std::pair{"resolution_business_days", t.resolution_business_days()}}) {
      if (days <= 0) continue;
      if (usable <= absl::ZeroDuration() ||
          usable - least.repeated < (days + 2) * businesstime::LongestOpenDate(hours)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "targets[", i, "].", name, ": ", days, days == 1 ? " business day" : " business days",
            " cannot be reached within ", horizon_days, too_little));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTargetsReachable(const v1::SlaDefinition& d, const v1::Calendar& calendar,
                                   absl::Time now, LeastOpenTimes* known) {
  // The zone the clocks read the calendar's hours in (slamodel::ResolveTimeZone): the
  // definition's own, else the calendar's; or each record's (its caller's, its CI's), any zone,
  // which the check covers by counting in UTC over starts widened by the zones' spread and
  // keeping back what offset changes can take (found from outside: a definition in a zone 14
  // hours ahead of its calendar's passed and started a clock with no due time).
  const bool any_zone = d.time_zone_source() == v1::TIME_ZONE_SOURCE_CALLER ||
                        d.time_zone_source() == v1::TIME_ZONE_SOURCE_CI_LOCATION;
  const std::string zone =
      any_zone ? "UTC" : (d.time_zone().empty() ? calendar.time_zone() : d.time_zone());
  const absl::Duration widen = any_zone ? kZonesApart : absl::ZeroDuration();
  ITSM_ASSIGN_OR_RETURN(const businesstime::Calendar hours,
                        slamodel::CompileCalendar(calendar, zone));
  // Clocks can start at any instant the definition is in force from now on, and running ones
  // started up to the horizon ago are re-planned on an edited calendar.
  const absl::Time earliest =
      std::max(now - businesstime::kSearchHorizon - widen, businesstime::kEarliestSupported);
  const absl::Time from = std::max(EffectiveFrom(d) - widen, earliest);
  const absl::Time until = std::max(from, EffectiveUntil(d) + widen);
  if (from >= businesstime::kLatestSupported - businesstime::kSearchHorizon) {
    return base::FieldError("effective_from",
                            "after 2390-01-01: the SLA clock counts business time to 2400");
  }
  LeastOpenTimes computed;
  if (known == nullptr) known = &computed;
  const auto least_over = [&](absl::Time a,
                              absl::Time b) -> absl::StatusOr<businesstime::LeastOpenTime> {
    auto it = known->find({zone, a, b});
    if (it == known->end()) {
      ITSM_ASSIGN_OR_RETURN(businesstime::LeastOpenTime found,
                            businesstime::LeastOpenTimeWithinHorizon(hours, a, b));
      it = known->emplace(std::tuple(zone, a, b), found).first;
    }
    return it->second;
  };
  const absl::Duration allowance = any_zone ? kAnyZonesChanges : absl::ZeroDuration();
  // Every start from the earliest on, once per zone for all the definitions an edited calendar
  // carries; a definition's own dates only when that is not enough (found from outside: each
  // definition's own range cost up to half a second on a calendar of 3,700 holidays).
  ITSM_ASSIGN_OR_RETURN(const businesstime::LeastOpenTime everywhere,
                        least_over(earliest, absl::InfiniteFuture()));
  if (TargetsWithin(d, hours, everywhere, allowance, any_zone).ok()) return absl::OkStatus();
  ITSM_ASSIGN_OR_RETURN(const businesstime::LeastOpenTime own, least_over(from, until));
  return TargetsWithin(d, hours, own, allowance, any_zone);
}

absl::Time EffectiveFrom(const v1::SlaDefinition& d) {
  return d.has_effective_from() ? base::FromProtoTimestamp(d.effective_from())
                                : absl::InfinitePast();
}
absl::Time EffectiveUntil(const v1::SlaDefinition& d) {
  return d.has_effective_until() ? base::FromProtoTimestamp(d.effective_until())
                                 : absl::InfiniteFuture();
}

bool Applies(const v1::SlaDefinition& d, const v1::ResolveApplicableSlaRequest& r, absl::Time at) {
  return EffectiveFrom(d) <= at && at < EffectiveUntil(d) && AppliesOnSomeDate(d, r);
}

bool AppliesOnSomeDate(const v1::SlaDefinition& d, const v1::ResolveApplicableSlaRequest& r) {
  if (d.retired()) return false;
  if (r.kind() != v1::AGREEMENT_KIND_UNSPECIFIED && r.kind() != d.kind()) return false;
  if (TargetFor(d, r.priority()) == nullptr) return false;
  // The coverage rule the SLA timer re-judges attached definitions with: one rule, so that what
  // is resolved here and what the timer keeps attached cannot disagree.
  return slamodel::Covers(d, {.service = r.service(),
                              .category = r.category(),
                              .ci_class = r.ci_class(),
                              .request_type = r.request_type(),
                              .record_kind = r.record_kind()});
}

}  // namespace itsm::sla
