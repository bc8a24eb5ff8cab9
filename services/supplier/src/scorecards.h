// Scorecards: a supplier's performance per month from the roll-ups the scorecard projection
// keeps (scorecard_rollups.h), apart from gRPC. Reads run in a read-only transaction; a year
// reads one row per signature of the supplier and month, whatever the number of incidents.
#ifndef ITSM_SERVICES_SUPPLIER_SCORECARDS_H_
#define ITSM_SERVICES_SUPPLIER_SCORECARDS_H_

#include "absl/status/status.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

class Scorecards {
 public:
  // The default range ends with the month the clock's now falls in.
  explicit Scorecards(const base::Clock& clock) : clock_(clock) {}

  // INVALID_ARGUMENT naming the field for a bad id, month range or zone; NOT_FOUND for an
  // unknown supplier.
  absl::Status Get(storage::Transaction& txn, const v1::GetScorecardRequest& request,
                   v1::GetScorecardResponse& out) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SCORECARDS_H_
