// SLA calendar records as business calendars, and the zone whose clock their hours are read
// by. The SLA service (validating calendars, answering due times) and the SLA timer (running
// clocks) both compile calendars here, so that a calendar means exactly the same in both.
//
//   std::string zone = ResolveTimeZone(definition, calendar, caller_zone, ci_zone, "");
//   ITSM_ASSIGN_OR_RETURN(businesstime::Calendar hours, CompileCalendar(calendar, zone));
#ifndef ITSM_SLAMODEL_CALENDAR_H_
#define ITSM_SLAMODEL_CALENDAR_H_

#include <string>

#include "absl/status/statusor.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::slamodel {

// The calendar record as a businesstime spec, in `time_zone` when not empty (else the record's).
businesstime::CalendarSpec ToCalendarSpec(const sla::v1::Calendar& calendar,
                                          const std::string& time_zone = "");

// The compiled calendar in `time_zone` (the record's when empty). INVALID_ARGUMENT names the
// record's field (weekly_hours[0].end), not the businesstime spec's (weekly[0].end).
absl::StatusOr<businesstime::Calendar> CompileCalendar(const sla::v1::Calendar& calendar,
                                                       const std::string& time_zone = "");

// The zone the calendar's hours are read in: the definition's source (its own zone, the
// caller's, the CI location's) when that has one, else `tenant_default`, else the calendar's.
std::string ResolveTimeZone(const sla::v1::SlaDefinition& definition,
                            const sla::v1::Calendar& calendar, const std::string& caller_time_zone,
                            const std::string& ci_time_zone, const std::string& tenant_default);

}  // namespace itsm::slamodel

#endif  // ITSM_SLAMODEL_CALENDAR_H_
