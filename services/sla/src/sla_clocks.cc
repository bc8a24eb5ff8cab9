#include "services/sla/src/sla_clocks.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/businesstime/time_zone_name.h"
#include "itsm/slamodel/business_days.h"
#include "itsm/slamodel/calendar.h"
#include "itsm/slamodel/clock.h"
#include "itsm/slamodel/conditions.h"
#include "services/sla/src/sla_repository.h"
#include "services/sla/src/sla_rules.h"

namespace itsm::sla {
namespace {

// What GetDueTime reads from the database, gathered in one read-only transaction.
struct DueTimeInputs {
  v1::SlaDefinition definition;  // empty for calendar_id + target
  // The definition's target for the priority; unset for calendar_id + target.
  std::optional<v1::PriorityTarget> priority_target;
  absl::Duration target;  // calendar_id + target
  v1::Calendar calendar;
};

// A record the request names that does not exist: INVALID_ARGUMENT naming the request's field,
// as a list's filter naming nothing is, rather than NOT_FOUND of a field the request lacks.
template <typename T>
absl::StatusOr<T> NamedIn(const char* field, absl::StatusOr<T> found) {
  if (!absl::IsNotFound(found.status())) return found;
  absl::string_view message = found.status().message();
  const std::string named = absl::StrCat(field, ": ");
  if (!absl::ConsumePrefix(&message, named)) absl::ConsumePrefix(&message, "id: ");
  return base::FieldError(field, message);
}

}  // namespace

absl::StatusOr<businesstime::Calendar> SlaClocks::LoadCalendar(const std::string& calendar_id,
                                                               int64_t version,
                                                               const std::string& time_zone) const {
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(v1::Calendar calendar,
                        SlaRepository::GetCalendar(*txn, calendar_id, version));
  return slamodel::CompileCalendar(calendar, time_zone);
}

absl::Status SlaClocks::Resolve(storage::Transaction& txn, const v1::ResolveApplicableSlaRequest& r,
                                v1::ResolveApplicableSlaResponse& out) const {
  if (r.service().empty()) return base::FieldError("service", "required");
  if (r.priority() < incident::v1::PRIORITY_P1 || r.priority() > incident::v1::PRIORITY_P5) {
    return base::FieldError("priority", "required, P1..P5");
  }
  if (!v1::AgreementKind_IsValid(r.kind())) return base::FieldError("kind", "unknown value");
  const absl::Time at = r.has_at() ? base::FromProtoTimestamp(r.at()) : clock_.Now();
  ITSM_ASSIGN_OR_RETURN(auto all, SlaRepository::AllDefinitions(txn, false));
  // The overlap rule leaves at most one per kind; order by kind for a stable answer.
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.kind() < b.kind(); });
  // The window around `at` in which no covering definition starts or stops being effective.
  absl::Time valid_from = absl::InfinitePast();
  absl::Time valid_until = absl::InfiniteFuture();
  for (auto& d : all) {
    if (!AppliesOnSomeDate(d, r)) continue;
    for (const absl::Time edge : {EffectiveFrom(d), EffectiveUntil(d)}) {
      if (edge <= at) {
        valid_from = std::max(valid_from, edge);
      } else {
        valid_until = std::min(valid_until, edge);
      }
    }
    if (!Applies(d, r, at)) continue;
    auto* applicable = out.add_applicable();
    *applicable->mutable_target() = *TargetFor(d, r.priority());
    *applicable->mutable_definition() = std::move(d);
  }
  if (valid_from != absl::InfinitePast()) {
    *out.mutable_valid_from() = base::ToProtoTimestamp(valid_from);
  }
  if (valid_until != absl::InfiniteFuture()) {
    *out.mutable_valid_until() = base::ToProtoTimestamp(valid_until);
  }
  return absl::OkStatus();
}

absl::Status SlaClocks::DueTime(const v1::GetDueTimeRequest& r, v1::GetDueTimeResponse& out) const {
  if (r.has_start_time()) {
    ITSM_RETURN_IF_ERROR(base::CheckTimestamp("start_time", r.start_time()));
    // Business time is computed within the range the zone data covers: outside it, no calendar
    // could answer, and the calendar is not at fault.
    const absl::Time asked = base::FromProtoTimestamp(r.start_time());
    if (asked < businesstime::kEarliestSupported || asked >= businesstime::kLatestSupported) {
      return base::FieldError("start_time",
                              "must be from 1900-01-01 to before 2400-01-01 (the range business "
                              "time is computed in)");
    }
  }
  const absl::Time start =
      r.has_start_time() ? base::FromProtoTimestamp(r.start_time()) : clock_.Now();
  *out.mutable_start_time() = base::ToProtoTimestamp(start);
  const v1::ClockKind kind =
      r.clock_kind() == v1::CLOCK_KIND_UNSPECIFIED ? v1::CLOCK_KIND_RESOLUTION : r.clock_kind();
  if (r.definition_id().empty() && r.service().empty() && r.calendar_id().empty()) {
    return base::FieldError("definition_id",
                            "required, or service (with priority), or calendar_id (with target)");
  }
  // 1. The database, in one read-only transaction ended before anything else happens.
  DueTimeInputs in;
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    std::string calendar_id;
    if (!r.definition_id().empty() || !r.service().empty()) {
      // The definition's calendar and target are used: one given too would be ignored.
      if (!r.calendar_id().empty()) {
        return base::FieldError("calendar_id",
                                "with definition_id or service, the definition's calendar is "
                                "used; leave it out (or ask with calendar_id and target alone)");
      }
      if (r.has_target()) {
        return base::FieldError("target",
                                "with definition_id or service, the definition's target for the "
                                "priority is used; leave it out");
      }
      if (!r.definition_id().empty()) {
        ITSM_ASSIGN_OR_RETURN(
            in.definition,
            NamedIn("definition_id", SlaRepository::GetDefinition(*txn, r.definition_id())));
      } else {
        v1::ResolveApplicableSlaRequest resolve;
        resolve.set_service(r.service());
        resolve.set_priority(r.priority());
        resolve.set_kind(r.kind() == v1::AGREEMENT_KIND_UNSPECIFIED ? v1::AGREEMENT_KIND_SLA
                                                                    : r.kind());
        *resolve.mutable_at() = out.start_time();
        v1::ResolveApplicableSlaResponse applicable;
        ITSM_RETURN_IF_ERROR(Resolve(*txn, resolve, applicable));
        if (applicable.applicable().empty()) {
          return absl::NotFoundError(absl::StrCat(
              "service: no active definition covers \"", r.service(), "\" at ",
              slamodel::PriorityName(r.priority()), " on ", base::FormatRfc3339(start)));
        }
        in.definition = applicable.applicable(0).definition();
      }
      const v1::PriorityTarget* t = TargetFor(in.definition, r.priority());
      const bool has =
          t != nullptr && (kind == v1::CLOCK_KIND_RESPONSE
                               ? t->has_response_target() || t->response_business_days() > 0
                               : t->has_resolution_target() || t->resolution_business_days() > 0);
      if (!has) {
        return absl::NotFoundError(absl::StrCat(
            "priority: definition \"", in.definition.name(), "\" has no ",
            kind == v1::CLOCK_KIND_RESPONSE ? "response" : "resolution", " target for ",
            slamodel::PriorityName(r.priority()).empty() ? "an unspecified priority"
                                                         : slamodel::PriorityName(r.priority())));
      }
      // Converted below, on the calendar in the zone the clock would use (business days).
      in.priority_target = *t;
      calendar_id = in.definition.calendar_id();
    } else {
      if (!r.has_target() || base::FromProtoDuration(r.target()) <= absl::ZeroDuration()) {
        return base::FieldError("target", "required and positive with calendar_id");
      }
      // As a definition's targets: clocks count whole seconds, and a fraction rounded to none
      // would put the due time at the start, outside working hours.
      if (r.target().nanos() != 0) return base::FieldError("target", "whole seconds only");
      in.target = base::FromProtoDuration(r.target());
      if (in.target > businesstime::kSearchHorizon) {
        return base::FieldError(
            "target",
            absl::StrCat("at most ", absl::ToInt64Hours(businesstime::kSearchHorizon) / 24,
                         " days (the due-time search horizon)"));
      }
      // Without a definition there is no time zone source: the calendar's hours are read in its
      // own zone, and a zone given for the caller or the CI would change nothing.
      for (const auto& [field, name] :
           {std::pair{"caller_time_zone", &r.caller_time_zone()},
            std::pair{"ci_time_zone", &r.ci_time_zone()}, std::pair{"ci_id", &r.ci_id()}}) {
        if (!name->empty()) {
          return base::FieldError(field,
                                  "only with a definition (its time_zone_source says which zone "
                                  "counts); with calendar_id, the calendar's own zone is used");
        }
      }
      calendar_id = r.calendar_id();
    }
    absl::StatusOr<v1::Calendar> calendar = SlaRepository::GetCalendar(*txn, calendar_id);
    ITSM_ASSIGN_OR_RETURN(in.calendar, r.calendar_id().empty()
                                           ? std::move(calendar)
                                           : NamedIn("calendar_id", std::move(calendar)));
  }
  // A zone the request gives is checked whether or not the definition's zone source uses it:
  // a misspelt one must not be ignored silently.
  for (const auto& [field, name] : {std::pair{"caller_time_zone", &r.caller_time_zone()},
                                    std::pair{"ci_time_zone", &r.ci_time_zone()}}) {
    if (name->empty()) continue;
    if (absl::Status bad = businesstime::LoadIanaTimeZone(*name).status(); !bad.ok()) {
      return base::FieldError(field, bad.message());
    }
  }
  // 2. The CI's zone from the configuration service, with no transaction open.
  const v1::SlaDefinition& definition = in.definition;
  std::string ci_zone = r.ci_time_zone();
  if (ci_zone.empty() && !r.ci_id().empty() &&
      definition.time_zone_source() == v1::TIME_ZONE_SOURCE_CI_LOCATION) {
    if (!options_.ci_location_zone) {
      return absl::FailedPreconditionError(
          "ci_id: this SLA service has no configuration service to look CIs up in "
          "(set configuration_address), pass ci_time_zone instead");
    }
    absl::StatusOr<std::string> zone = options_.ci_location_zone(r.ci_id());
    if (absl::IsNotFound(zone.status())) {
      return absl::NotFoundError(absl::StrCat("ci_id: ", zone.status().message()));
    }
    ITSM_ASSIGN_OR_RETURN(ci_zone, std::move(zone));
  }
  // 3. Business time.
  const std::string zone =
      definition.id().empty()
          ? in.calendar.time_zone()
          : slamodel::ResolveTimeZone(definition, in.calendar, r.caller_time_zone(), ci_zone,
                                      options_.default_time_zone);
  auto compiled = slamodel::CompileCalendar(in.calendar, zone);
  if (!compiled.ok()) {
    // Only a zone from the request can make a stored calendar invalid.
    return absl::InvalidArgumentError(
        absl::StrCat("time zone \"", zone, "\": ", compiled.status().message()));
  }
  // The field that brought the calendar: the request's own, or the definition's.
  const std::string calendar_field =
      r.calendar_id().empty() && !definition.id().empty() ? "definition_id" : "calendar_id";
  // The target as the timer converts it when the clock starts (a number of business days
  // becomes the business time to the day rule's instant).
  if (in.priority_target) {
    const absl::StatusOr<std::optional<absl::Duration>> target =
        slamodel::TargetDuration(definition, *in.priority_target,
                                 kind == v1::CLOCK_KIND_RESPONSE ? slamodel::ClockKind::kResponse
                                                                 : slamodel::ClockKind::kResolution,
                                 *compiled, start);
    if (!target.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          calendar_field, ": calendar \"", in.calendar.name(), "\": ", target.status().message()));
    }
    in.target = **target;  // present: checked above
  }
  // The instants a clock started now would reach, computed as the timer computes them.
  const std::vector<double> thresholds(definition.warning_thresholds().begin(),
                                       definition.warning_thresholds().end());
  const std::vector<slamodel::Milestone> milestones =
      slamodel::Clock::Start(start, in.target).Milestones(*compiled, thresholds, start);
  for (const slamodel::Milestone& m : milestones) {
    if (!m.at.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          calendar_field, ": calendar \"", in.calendar.name(),
          "\" has too little open time to reach ", m.percent, "% of the target within ",
          absl::FormatDuration(businesstime::kSearchHorizon)));
    }
  }
  *out.mutable_due_time() = base::ToProtoTimestamp(*milestones.back().at);
  *out.mutable_target() = base::ToProtoDuration(in.target);
  out.set_calendar_id(in.calendar.id());
  out.set_time_zone(zone);
  if (!definition.id().empty()) {
    for (size_t i = 0; i + 1 < milestones.size(); ++i) {
      auto* w = out.add_warnings();
      w->set_percent(milestones[i].percent);
      *w->mutable_time() = base::ToProtoTimestamp(*milestones[i].at);
    }
    *out.mutable_definition() = std::move(in.definition);
  }
  return absl::OkStatus();
}

absl::Status SlaClocks::IncidentStatus(const v1::GetIncidentSlaStatusRequest& request,
                                       v1::GetIncidentSlaStatusResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckRecordId(request.incident_id(), "incident_id"));
  auto lookup = [this](const std::string& calendar_id, int64_t version, const std::string& zone) {
    return LoadCalendar(calendar_id, version, zone);
  };
  ITSM_ASSIGN_OR_RETURN(auto statuses,
                        projection_.IncidentStatus(request.incident_id(), clock_.Now(), lookup));
  for (auto& s : statuses) {
    *out.add_clocks() = std::move(s);
  }
  return absl::OkStatus();
}

absl::Status SlaClocks::ComplianceReport(const v1::GetComplianceReportRequest& request,
                                         v1::GetComplianceReportResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(out, projection_.Report(request));
  return absl::OkStatus();
}

}  // namespace itsm::sla
