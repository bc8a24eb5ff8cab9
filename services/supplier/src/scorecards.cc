#include "services/supplier/src/scorecards.h"

#include "itsm/base/status_macros.h"
#include "itsm/records/record_ids.h"
#include "services/supplier/src/contract_dates.h"
#include "services/supplier/src/month_range.h"
#include "services/supplier/src/scorecard.h"
#include "services/supplier/src/scorecard_rollups.h"
#include "services/supplier/src/supplier_repository.h"

namespace itsm::supplier {
namespace {

constexpr int kMaxMonths = 60;
constexpr int kDefaultMonths = 12;

}  // namespace

absl::Status Scorecards::Get(storage::Transaction& txn, const v1::GetScorecardRequest& request,
                             v1::GetScorecardResponse& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.supplier_id(), "supplier_id"));
  ITSM_ASSIGN_OR_RETURN(absl::TimeZone zone, LoadZone("time_zone", request.time_zone()));
  ITSM_ASSIGN_OR_RETURN(
      MonthRange range,
      ResolveMonthRange({"from_month", request.from_month()}, {"to_month", request.to_month()},
                        kMaxMonths, kDefaultMonths, zone, clock_.Now()));
  ITSM_ASSIGN_OR_RETURN(v1::Supplier supplier, SupplierRepository::Get(txn, request.supplier_id()));
  ITSM_ASSIGN_OR_RETURN(std::vector<PeriodTally> months,
                        ScorecardRollups::SupplierMonths(txn, supplier.id(), range, zone));
  ScorecardFromMonths(range, months, out);
  *out.mutable_supplier() = std::move(supplier);
  return absl::OkStatus();
}

}  // namespace itsm::supplier
