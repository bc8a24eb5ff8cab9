// The domain rules of recording a change, with no gRPC, SQL or Kafka in them: validation of a
// create request (every error names its field) and the new record it yields — from its
// standard change template when it has one.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_FACTORY_H_
#define ITSM_SERVICES_CHANGE_CHANGE_FACTORY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"

namespace itsm::change {

// The longest planned slot of one change.
inline constexpr absl::Duration kMaxSlot = absl::Hours(31 * 24);

// Stateless checks: INVALID_ARGUMENT naming the first bad field.
absl::Status ValidateCreate(const v1::CreateChangeRequest& request);

// INVALID_ARGUMENT unless both times are set, start < end and at most kMaxSlot apart; both
// unset is fine when `required` is false.
absl::Status CheckSlot(const google::protobuf::Timestamp* start,
                       const google::protobuf::Timestamp* end, const char* start_field,
                       const char* end_field, bool required);

// A new change in state NEW, version 1, a fresh id and no number (the repository numbers it).
// A standard change takes category, plans and assignment group from `tmpl` where the request
// leaves them empty... except the plans, which are the template's whatever the request says
// (a standard change is pre-approved for exactly those plans).
v1::Change NewChange(const v1::CreateChangeRequest& request, const v1::ChangeTemplate* tmpl,
                     const std::string& actor, absl::Time now);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_FACTORY_H_
