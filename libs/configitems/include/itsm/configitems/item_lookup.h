// A configuration item named the way users name one — by the configuration service's id, by
// "class_name/name", or by a name alone when one CI bears it — read from the configuration
// service. Every service that takes CI references (incidents, problems, changes, releases)
// resolves them here, so a reference one of them accepts the others accept too.
//
//   absl::StatusOr<std::optional<config::v1::ConfigurationItem>> ci =
//       configitems::LookUpItem(*stub, "web-01", absl::Seconds(2));
//   // nullopt: no such CI, or several bear that name; UNAVAILABLE: ask again later
#ifndef ITSM_CONFIGITEMS_ITEM_LOOKUP_H_
#define ITSM_CONFIGITEMS_ITEM_LOOKUP_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/config/v1/config.grpc.pb.h"

namespace itsm::configitems {

// The CI `value` names: by id or "class_name/name" first; then by name, the name as written
// before any other case ("v2-billing" is not ambiguous because a "v2-Billing" exists too).
// nullopt when no CI matches or several do. UNAVAILABLE when the configuration service cannot
// answer (each call waits at most `deadline`).
absl::StatusOr<std::optional<config::v1::ConfigurationItem>> LookUpItem(
    config::v1::ConfigurationService::StubInterface& stub, const std::string& value,
    absl::Duration deadline);

}  // namespace itsm::configitems

#endif  // ITSM_CONFIGITEMS_ITEM_LOOKUP_H_
