// The change calendar as an iCalendar document (RFC 5545) for people's own calendar tools: one
// VEVENT per change (its planned slot; summary, state, risk and conflicts in the description)
// and per window occurrence. Times in UTC; text escaped and lines folded at 75 octets as the RFC
// requires; CRLF line ends. Pure: the same input gives the same bytes (DTSTAMP is `now`).
#ifndef ITSM_SERVICES_CHANGE_ICAL_EXPORT_H_
#define ITSM_SERVICES_CHANGE_ICAL_EXPORT_H_

#include <string>

#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"

namespace itsm::change {

std::string ToICalendar(const v1::GetChangeCalendarResponse& calendar, absl::Time now);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_ICAL_EXPORT_H_
