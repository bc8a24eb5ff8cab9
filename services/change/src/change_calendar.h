// The change calendar: over a time range, the changes whose scheduled slot overlaps it (each
// with its conflicts) and the occurrences of the windows, filtered by service, CI or team; and
// the same as an iCalendar document. Reads only.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_CALENDAR_H_
#define ITSM_SERVICES_CHANGE_CHANGE_CALENDAR_H_

#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "itsm/base/clock.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/storage/database.h"

namespace itsm::change {

// What the CMDB says of the CI a calendar is filtered by: the windows that concern a change
// on it are those of its classes (and their ancestors) and of the business services it reaches.
struct CiWindowScope {
  std::set<std::string> service_ids = {};
  std::set<std::string> ci_classes = {};
};

class ChangeCalendar {
 public:
  explicit ChangeCalendar(const base::Clock& clock) : clock_(clock) {}

  // `ci_scope`: of the request's configuration_item_id, when the CMDB could say (without it,
  // every window is shown, as without a CI filter).
  absl::Status Get(storage::Transaction& txn, const v1::GetChangeCalendarRequest& request,
                   v1::GetChangeCalendarResponse& out,
                   const std::optional<CiWindowScope>& ci_scope = std::nullopt) const;
  absl::Status Export(storage::Transaction& txn, const v1::ExportChangeCalendarRequest& request,
                      v1::ExportChangeCalendarResponse& out,
                      const std::optional<CiWindowScope>& ci_scope = std::nullopt) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_CALENDAR_H_
