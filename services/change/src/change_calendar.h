// The change calendar: over a time range, the changes whose planned slot overlaps it (each
// with its conflicts) and the occurrences of the windows, filtered by service, CI or team; and
// the same as an iCalendar document. Reads only.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_CALENDAR_H_
#define ITSM_SERVICES_CHANGE_CHANGE_CALENDAR_H_

#include "absl/status/status.h"
#include "itsm/base/clock.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/storage/database.h"

namespace itsm::change {

class ChangeCalendar {
 public:
  explicit ChangeCalendar(const base::Clock& clock) : clock_(clock) {}

  absl::Status Get(storage::Transaction& txn, const v1::GetChangeCalendarRequest& request,
                   v1::GetChangeCalendarResponse& out) const;
  absl::Status Export(storage::Transaction& txn, const v1::ExportChangeCalendarRequest& request,
                      v1::ExportChangeCalendarResponse& out) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_CALENDAR_H_
