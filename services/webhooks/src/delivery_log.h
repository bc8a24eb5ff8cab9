// A subscription's deliveries as the API shows them, and replay: reads in a read-only
// transaction; a replay is a write of the group committer (the deliveries become due now with a
// new retry period, keeping their id and body, so the webhook-id is the same). The dispatcher is
// woken after the replay commits.
#ifndef ITSM_SERVICES_WEBHOOKS_DELIVERY_LOG_H_
#define ITSM_SERVICES_WEBHOOKS_DELIVERY_LOG_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"
#include "itsm/webhooks/v1/webhooks.pb.h"

namespace itsm::webhooks {

class DeliveryLog {
 public:
  DeliveryLog(const base::Clock& clock, absl::Duration retry_period)
      : clock_(clock), retry_period_(retry_period) {}

  absl::Status List(storage::Transaction& txn, const v1::ListDeliveriesRequest& request,
                    v1::ListDeliveriesResponse& out) const;
  absl::Status Get(storage::Transaction& txn, const v1::GetDeliveryRequest& request,
                   v1::Delivery& out) const;
  absl::Status Replay(storage::Transaction& txn, const v1::ReplayDeliveriesRequest& request,
                      v1::ReplayDeliveriesResponse& out) const;

 private:
  const base::Clock& clock_;
  const absl::Duration retry_period_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_DELIVERY_LOG_H_
