#include "services/sla/src/clock_explanations.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/slamodel/calendar.h"
#include "services/sla/src/clock_explanation.h"
#include "services/sla/src/sla_repository.h"
#include "services/sla/src/sla_rules.h"

namespace itsm::sla {
namespace {

using CalendarKey = std::pair<std::string, int64_t>;  // id, version

// What the request's one read transaction gathers.
struct Inputs {
  std::vector<v1::SlaClock> clocks;
  std::map<std::string, std::vector<StoredClockEvent>> events;  // by clock id
  std::map<CalendarKey, absl::StatusOr<v1::Calendar>> calendars;
  std::map<CalendarKey, absl::StatusOr<v1::SlaDefinition>> definitions;
  std::optional<v1::SlaDefinition> what_if_definition;
  std::optional<v1::Calendar> what_if_calendar;
};

absl::Status CheckRequest(const v1::ExplainClocksRequest& r) {
  ITSM_RETURN_IF_ERROR(CheckRecordId(r.record_id(), "record_id"));
  if (r.what_if_definition_version() < 0) {
    return base::FieldError("what_if_definition_version", "must be 0 (current) or more");
  }
  if (r.what_if_calendar_version() < 0) {
    return base::FieldError("what_if_calendar_version", "must be 0 (current) or more");
  }
  if (r.what_if_definition_version() != 0 && r.what_if_definition_id().empty()) {
    return base::FieldError("what_if_definition_version", "needs what_if_definition_id");
  }
  if (r.what_if_calendar_version() != 0 && r.what_if_calendar_id().empty()) {
    return base::FieldError("what_if_calendar_version", "needs what_if_calendar_id");
  }
  return absl::OkStatus();
}

// NOT_FOUND about a what-if record names the request's field.
absl::Status WhatIfNotFound(const char* field, const absl::Status& s) {
  if (s.code() != absl::StatusCode::kNotFound) return s;
  return absl::NotFoundError(absl::StrCat(field, ": ", s.message()));
}

}  // namespace

absl::Status ClockExplanations::Explain(const v1::ExplainClocksRequest& r,
                                        v1::ExplainClocksResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckRequest(r));
  const absl::Time now = clock_.Now();
  *out.mutable_as_of() = base::ToProtoTimestamp(now);

  // 1. The database, in one read-only transaction, ended before any computation.
  Inputs in;
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(in.clocks, SlaRepository::ClocksOfIncident(*txn, r.record_id()));
    if (!r.clock_id().empty()) {
      std::erase_if(in.clocks, [&](const v1::SlaClock& c) { return c.clock_id() != r.clock_id(); });
      if (in.clocks.empty()) {
        return absl::NotFoundError(
            absl::StrCat("clock_id: record ", r.record_id(), " has no clock ", r.clock_id()));
      }
    }
    ITSM_ASSIGN_OR_RETURN(std::vector<StoredClockEvent> events,
                          SlaRepository::ClockEvents(*txn, r.record_id()));
    for (StoredClockEvent& e : events) in.events[e.clock_id].push_back(std::move(e));
    for (const v1::SlaClock& c : in.clocks) {
      const CalendarKey cal{c.calendar_id(), c.calendar_version()};
      if (!in.calendars.contains(cal)) {
        in.calendars.emplace(cal, SlaRepository::GetCalendar(*txn, cal.first, cal.second));
      }
      const CalendarKey def{c.sla_definition_id(), c.sla_definition_version()};
      if (!in.definitions.contains(def)) {
        in.definitions.emplace(def, SlaRepository::GetDefinition(*txn, def.first, def.second));
      }
    }
    if (!r.what_if_definition_id().empty()) {
      auto d = SlaRepository::GetDefinition(*txn, r.what_if_definition_id(),
                                            r.what_if_definition_version());
      if (!d.ok()) return WhatIfNotFound("what_if_definition_id", d.status());
      in.what_if_definition = *std::move(d);
    }
    // A what-if definition brings its own calendar unless another one is asked for.
    const std::string calendar_id = !r.what_if_calendar_id().empty() ? r.what_if_calendar_id()
                                    : in.what_if_definition ? in.what_if_definition->calendar_id()
                                                            : "";
    if (!calendar_id.empty()) {
      auto c = SlaRepository::GetCalendar(*txn, calendar_id, r.what_if_calendar_version());
      if (!c.ok()) {
        return WhatIfNotFound(
            r.what_if_calendar_id().empty() ? "what_if_definition_id" : "what_if_calendar_id",
            c.status());
      }
      in.what_if_calendar = *std::move(c);
    }
  }

  // 2. Per clock, in start order: its facts, its explanation, its what-if.
  std::sort(in.clocks.begin(), in.clocks.end(), [](const v1::SlaClock& a, const v1::SlaClock& b) {
    const absl::Time sa = base::FromProtoTimestamp(a.start_time());
    const absl::Time sb = base::FromProtoTimestamp(b.start_time());
    return std::tuple(sa, a.clock_kind(), a.clock_id()) <
           std::tuple(sb, b.clock_kind(), b.clock_id());
  });
  std::map<std::tuple<std::string, int64_t, std::string>,
           std::unique_ptr<absl::StatusOr<businesstime::Calendar>>>
      compiled;
  auto compile = [&](const v1::Calendar& calendar,
                     const std::string& zone) -> const absl::StatusOr<businesstime::Calendar>& {
    auto& slot = compiled[{calendar.id(), calendar.version(), zone}];
    if (!slot) {
      slot = std::make_unique<absl::StatusOr<businesstime::Calendar>>(
          slamodel::CompileCalendar(calendar, zone));
    }
    return *slot;
  };
  for (const v1::SlaClock& c : in.clocks) {
    ClockHistory facts;
    facts.last = c;
    std::vector<std::string> notes;
    const auto& rows = in.events[c.clock_id()];
    if (!rows.empty()) facts.omitted_events = rows.front().seq - 1;
    for (const StoredClockEvent& row : rows) {
      auto e = DecodeTimelineEvent(row.event_type, row.data, row.ce_id);
      if (!e.ok()) {
        notes.push_back(absl::StrCat("event ", row.ce_id, " skipped: ", e.status().message()));
        continue;
      }
      facts.timeline.push_back(*std::move(e));
    }
    const auto& definition = in.definitions.at({c.sla_definition_id(), c.sla_definition_version()});
    if (definition.ok()) {
      facts.thresholds.assign(definition->warning_thresholds().begin(),
                              definition->warning_thresholds().end());
      if (facts.thresholds.empty()) facts.thresholds = {50, 75, 90};
      std::sort(facts.thresholds.begin(), facts.thresholds.end());
    } else {
      notes.push_back(absl::StrCat("definition ", c.sla_definition_id(), " v",
                                   c.sla_definition_version(),
                                   " is not known here: no warning thresholds"));
    }
    const auto& calendar = in.calendars.at({c.calendar_id(), c.calendar_version()});
    if (calendar.ok()) {
      facts.calendar_name = calendar->name();
      const auto& hours = compile(*calendar, c.time_zone());
      if (hours.ok()) {
        facts.calendar = &*hours;
      } else {
        notes.push_back(absl::StrCat("calendar ", c.calendar_id(), " in zone ", c.time_zone(), ": ",
                                     hours.status().message()));
      }
    } else {
      notes.push_back(absl::StrCat("calendar ", c.calendar_id(), " v", c.calendar_version(),
                                   " is not known here: ", calendar.status().message()));
    }
    if (c.calendar_version() == 0) {
      notes.push_back(
          "the clock's events predate pinned calendar versions: counted on the current calendar");
    }
    for (const std::string& n : notes) {
      absl::StrAppend(&facts.note, facts.note.empty() ? "" : "; ", n);
    }
    v1::ClockExplanation x = ExplainClock(facts, now);

    if (in.what_if_definition || in.what_if_calendar) {
      WhatIfSpec spec;
      spec.definition = in.what_if_definition;
      // The zone rule of the clock's own definition (or the what-if one): its own zone, else
      // the zone the clock ran in stands for the caller's or CI location's.
      const v1::SlaDefinition* rule = in.what_if_definition
                                          ? &*in.what_if_definition
                                          : (definition.ok() ? &*definition : nullptr);
      const v1::Calendar& other = *in.what_if_calendar;
      spec.time_zone = rule != nullptr
                           ? slamodel::ResolveTimeZone(*rule, other, c.time_zone(), c.time_zone(),
                                                       options_.default_time_zone)
                           : other.time_zone();
      spec.calendar_id = other.id();
      spec.calendar_name = other.name();
      spec.calendar_version = other.version();
      const auto& hours = compile(other, spec.time_zone);
      if (hours.ok()) {
        spec.calendar = &*hours;
        *x.mutable_what_if() = WhatIfClock(facts, spec, now);
      } else {
        x.mutable_what_if()->set_note(absl::StrCat("calendar ", other.id(), " in zone ",
                                                   spec.time_zone, ": ", hours.status().message()));
      }
    }
    *out.add_clocks() = std::move(x);
  }
  return absl::OkStatus();
}

}  // namespace itsm::sla
