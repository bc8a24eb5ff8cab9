#include "services/change/src/change_calendar.h"

#include <algorithm>

#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "services/change/src/change_repository.h"
#include "services/change/src/ical_export.h"
#include "services/change/src/window_schedule.h"

namespace itsm::change {
namespace {

constexpr absl::Duration kMaxRange = absl::Hours(92 * 24);

absl::Status CheckRange(const v1::GetChangeCalendarRequest& r) {
  if (!r.has_start_time()) return absl::InvalidArgumentError("start_time: required");
  if (!r.has_end_time()) return absl::InvalidArgumentError("end_time: required");
  const absl::Time start = base::FromProtoTimestamp(r.start_time());
  const absl::Time end = base::FromProtoTimestamp(r.end_time());
  if (end <= start) return absl::InvalidArgumentError("end_time: must be after start_time");
  if (end - start > kMaxRange) {
    return absl::InvalidArgumentError("end_time: at most 92 days after start_time");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ChangeCalendar::Get(storage::Transaction& txn,
                                 const v1::GetChangeCalendarRequest& request,
                                 v1::GetChangeCalendarResponse& out,
                                 const std::optional<CiWindowScope>& ci_scope) const {
  ITSM_RETURN_IF_ERROR(CheckRange(request));
  const absl::Time start = base::FromProtoTimestamp(request.start_time());
  const absl::Time end = base::FromProtoTimestamp(request.end_time());
  ITSM_RETURN_IF_ERROR(
      ChangeRepository::InSlotInto(txn,
                                   {.start = start,
                                    .end = end,
                                    .service_id = request.service_id(),
                                    .ci_id = request.configuration_item_id(),
                                    .assignment_group = request.assignment_group()},
                                   *out.mutable_changes()));
  ITSM_ASSIGN_OR_RETURN(std::vector<v1::ChangeWindow> windows, WindowStore::List(txn, false));
  std::vector<v1::WindowOccurrence> occurrences;
  for (const v1::ChangeWindow& w : windows) {
    // A service filter keeps the windows of that service and the global ones.
    if (!request.service_id().empty() && !WindowCovers(w, {request.service_id()}, {})) continue;
    // A CI filter keeps the windows that concern a change on that CI, and the global ones.
    if (ci_scope && !WindowCovers(w, ci_scope->service_ids, ci_scope->ci_classes)) continue;
    for (const Interval& i : Occurrences(w, start, end)) {
      v1::WindowOccurrence o;
      o.set_window_id(w.id());
      o.set_name(w.name());
      o.set_kind(w.kind());
      *o.mutable_start_time() = base::ToProtoTimestamp(i.start);
      *o.mutable_end_time() = base::ToProtoTimestamp(i.end);
      occurrences.push_back(std::move(o));
    }
  }
  std::stable_sort(occurrences.begin(), occurrences.end(),
                   [](const v1::WindowOccurrence& a, const v1::WindowOccurrence& b) {
                     return base::FromProtoTimestamp(a.start_time()) <
                            base::FromProtoTimestamp(b.start_time());
                   });
  for (auto& o : occurrences) *out.add_windows() = std::move(o);
  return absl::OkStatus();
}

absl::Status ChangeCalendar::Export(storage::Transaction& txn,
                                    const v1::ExportChangeCalendarRequest& request,
                                    v1::ExportChangeCalendarResponse& out,
                                    const std::optional<CiWindowScope>& ci_scope) const {
  v1::GetChangeCalendarRequest get;
  *get.mutable_start_time() = request.start_time();
  *get.mutable_end_time() = request.end_time();
  if (!request.has_start_time()) get.clear_start_time();
  if (!request.has_end_time()) get.clear_end_time();
  get.set_service_id(request.service_id());
  get.set_configuration_item_id(request.configuration_item_id());
  get.set_assignment_group(request.assignment_group());
  v1::GetChangeCalendarResponse calendar;
  ITSM_RETURN_IF_ERROR(Get(txn, get, calendar, ci_scope));
  out.set_ics(ToICalendar(calendar, clock_.Now()));
  return absl::OkStatus();
}

}  // namespace itsm::change
