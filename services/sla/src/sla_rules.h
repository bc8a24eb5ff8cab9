// The SLA service's domain rules, with no gRPC or SQL: validation of calendars and definitions
// (every error names its field), the overlap rule, and which definition applies to a record.
// Compiling a calendar and choosing its time zone are libs/slamodel's (calendar.h): the SLA
// timer does both too.
#ifndef ITSM_SERVICES_SLA_SLA_RULES_H_
#define ITSM_SERVICES_SLA_SLA_RULES_H_

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::sla {

// A record's clocks are kept by the record's id: INVALID_ARGUMENT naming `field` when it is
// empty or a record's number (INC0000179, REQ0000004), which would find no clock and read as
// "no SLA applies".
absl::Status CheckRecordId(const std::string& id, const char* field);

// Validates a calendar record: name, then Calendar::Create's checks with its messages, field
// names translated to the record's (weekly[0].end -> weekly_hours[0].end).
absl::Status ValidateCalendar(const v1::Calendar& calendar);

// Validates `definition` and fills its defaults (warning thresholds 50/75/90, clock conditions
// of docs/sla.md made explicit). INVALID_ARGUMENT names the first bad field. Does not look at
// other definitions or check that the calendar exists.
absl::Status ValidateAndNormalise(v1::SlaDefinition& definition);

// ALREADY_EXISTS naming the first definition of `others` (not retired, same kind, not the same
// id) that covers a service and priority of `definition` in overlapping effective dates.
absl::Status CheckNoOverlap(const v1::SlaDefinition& definition,
                            const std::vector<v1::SlaDefinition>& others);

// Every target of `definition` falls due within the search horizon for a clock started at any
// instant from the horizon before `now` (running clocks) to the end of its effective dates, not
// only from `now`, in the zone its clocks read `calendar` in (any zone when each record gives
// it): a calendar whose listed holidays close it for years from some date on would otherwise
// leave later clocks with no due time, so no breach. INVALID_ARGUMENT naming the target and the
// first start that falls short otherwise.
// `known` keeps the least open times found by zone and range of starts, for checking all the
// definitions on an edited calendar: most pass on the range every definition shares.
using LeastOpenTimes =
    std::map<std::tuple<std::string, absl::Time, absl::Time>, businesstime::LeastOpenTime>;
absl::Status CheckTargetsReachable(const v1::SlaDefinition& definition,
                                   const v1::Calendar& calendar, absl::Time now,
                                   LeastOpenTimes* known = nullptr);

// Whether `definition` applies to the record described by `request` at `at`: not retired, of the
// kind asked for (any when unspecified), effective at `at`, with a target for the priority, and
// covering the record's fields (slamodel::Covers).
bool Applies(const v1::SlaDefinition& definition, const v1::ResolveApplicableSlaRequest& request,
             absl::Time at);
// Applies, whatever the date: everything but the effective dates.
bool AppliesOnSomeDate(const v1::SlaDefinition& definition,
                       const v1::ResolveApplicableSlaRequest& request);
// When `definition` is effective: [effective_from, effective_until), infinite where unset.
absl::Time EffectiveFrom(const v1::SlaDefinition& definition);
absl::Time EffectiveUntil(const v1::SlaDefinition& definition);

// The target of `definition` for `priority`, if it has one.
const v1::PriorityTarget* TargetFor(const v1::SlaDefinition& definition,
                                    incident::v1::Priority priority);

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_RULES_H_
