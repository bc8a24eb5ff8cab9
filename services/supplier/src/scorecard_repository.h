// The scorecards' facts in the service's database (tables scorecard_* in
// supplier_repository.cc): the de-duplication marks of the events applied, incidents with their
// groups, CIs, causing groups and signature, and underpinning-contract clocks. Each change of a
// fact adds to `deltas` what it changes in the roll-ups (scorecard_rollups.h), which the caller
// flushes in the same transaction. Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_SUPPLIER_SCORECARD_REPOSITORY_H_
#define ITSM_SERVICES_SUPPLIER_SCORECARD_REPOSITORY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/storage/database.h"
#include "services/supplier/src/scorecard_facts.h"
#include "services/supplier/src/scorecard_rollups.h"

namespace itsm::supplier {

class ScorecardRepository {
 public:
  // Records that the event `ce_id` was applied; false when it already was (then apply nothing).
  static absl::StatusOr<bool> MarkApplied(storage::Transaction& txn, const std::string& ce_id,
                                          int64_t now_us);
  // Forgets marks older than `before_us`; how many.
  static absl::StatusOr<int64_t> PruneMarks(storage::Transaction& txn, int64_t before_us);

  // Merges `seen` into the stored incident (scorecard_facts.h: Merge), adding its groups, CIs
  // and causing groups; a new one gives the incident a new signature. The stored incident's
  // contribution moves from what it was to what it is now. The incident's row is locked first
  // (PostgreSQL): callers applying several incidents in one transaction take them in id order.
  static absl::Status ApplyIncident(storage::Transaction& txn, const IncidentFacts& seen,
                                    RollupDeltas& deltas);
  // Stores `seen` unless the stored state of its clock supersedes it.
  static absl::Status ApplyUcClock(storage::Transaction& txn, const UcClockFacts& seen,
                                   RollupDeltas& deltas);
  // Met and breached completed UC clocks per supplier number (suppliers not TERMINATED with at
  // least one linked definition) stopped in [from_us, to_us): the compliance metric.
  struct SupplierCompliance {
    std::string supplier_number;
    int64_t met = 0;
    int64_t breached = 0;
  };
  static absl::StatusOr<std::vector<SupplierCompliance>> ComplianceBySupplier(
      storage::Transaction& txn, int64_t from_us, int64_t to_us);

  // One incident as stored, with its groups, CIs and causing groups sorted when `with_lists`.
  static absl::StatusOr<std::optional<IncidentFacts>> FindIncident(storage::Transaction& txn,
                                                                   const std::string& incident_id,
                                                                   bool with_lists);
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SCORECARD_REPOSITORY_H_
