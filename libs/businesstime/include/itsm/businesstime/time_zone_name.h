// A time zone named the way the IANA database names it ("Europe/Istanbul", "UTC",
// "America/Argentina/Buenos_Aires", "Etc/GMT+5"), the only form the suite accepts from clients.
//
// absl::LoadTimeZone also reads any file the name leads to: "/etc/localtime", "./UTC",
// "Europe/../Europe/Berlin", "localtime". Such a name means whatever the host holds (another
// replica may hold something else), and whether it loads tells a caller which files exist.
//
//   ITSM_ASSIGN_OR_RETURN(absl::TimeZone zone, businesstime::LoadIanaTimeZone(name));
#ifndef ITSM_BUSINESSTIME_TIME_ZONE_NAME_H_
#define ITSM_BUSINESSTIME_TIME_ZONE_NAME_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace itsm::businesstime {

// Whether `name` has the form of an IANA zone name: at most 64 characters of letters, digits,
// '_', '-' and '+', in components separated by single '/', neither first nor last; and is not
// "localtime".
bool IsIanaTimeZoneName(absl::string_view name);

// The zone `name` names. INVALID_ARGUMENT, its message a description without the field (the
// caller names it), when `name` is not of that form or the database has no such zone.
absl::StatusOr<absl::TimeZone> LoadIanaTimeZone(absl::string_view name);

}  // namespace itsm::businesstime

#endif  // ITSM_BUSINESSTIME_TIME_ZONE_NAME_H_
