#include "services/incident/src/settled_writes.h"

#include "itsm/base/status_macros.h"

namespace itsm::incident {

absl::StatusOr<absl::Time> SettledWrites::Horizon(const v1::ListIncidentsRequest& request) const {
  const bool follows_write_stamps =
      request.order_by() == v1::INCIDENT_ORDER_UPDATE_TIME_ASC || request.has_updated_after();
  if (!follows_write_stamps || committer_.CommitsInOrder()) return absl::InfiniteFuture();
  // The horizon first: a write stamped up to it belongs to a batch taken before the wait began.
  const absl::Time horizon = clock_.Now();
  ITSM_RETURN_IF_ERROR(committer_.WaitForBatchesUnderWay(absl::Seconds(10)));
  return horizon;
}

}  // namespace itsm::incident
