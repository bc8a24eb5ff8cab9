// The scorecards' roll-ups: what each group of like incidents and each UC definition adds to
// each month, kept up to date in the transaction that applies an event, so that a scorecard
// reads a bounded number of rows whatever the number of incidents (decision 108).
//
// Incidents are rolled up by **signature** — the set of every assignment group and CI an
// incident ever had, and of the groups of the changes linked as possibly having caused it — and
// UTC month: the row (signature, month) holds the tally of the incidents
// with that signature created or first resolved in that month (counts and duration histograms).
// A supplier's incidents are those whose signature names one of its groups or CIs, so its
// scorecard is the sum over those signatures' rows, each incident counted once however many of
// the supplier's groups and CIs it had, with the supplier's groups and CIs as they are now
// (decision 91). Its caused incidents are those of the signatures naming one of its CIs and one of
// its groups as a causing group (decision 109): the same rows, no other read. UC clocks are rolled
// up by (definition, UTC month of the stop).
//
// A month in another zone than UTC starts up to 14 hours before or after the UTC month: its
// tally is the UTC month's, corrected at both ends by the facts stored between the two instants
// (read exactly, through indexes on (signature, time)).
//
//   RollupDeltas deltas;
//   for (...) deltas.AddIncident(signature, facts, +1);   // as facts change, in the transaction
//   ITSM_RETURN_IF_ERROR(deltas.Flush(txn));
//   ITSM_ASSIGN_OR_RETURN(auto months, ScorecardRollups::SupplierMonths(txn, id, range, zone));
#ifndef ITSM_SERVICES_SUPPLIER_SCORECARD_ROLLUPS_H_
#define ITSM_SERVICES_SUPPLIER_SCORECARD_ROLLUPS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/storage/database.h"
#include "services/supplier/src/month_range.h"
#include "services/supplier/src/scorecard.h"
#include "services/supplier/src/scorecard_facts.h"

namespace itsm::supplier {

// Changes to the roll-ups gathered while a batch of events is applied, written by Flush in key
// order: each row is read and written once per batch, and concurrent batches (replicas sharing
// PostgreSQL) lock rows in one order.
class RollupDeltas {
 public:
  // `incident` added (+1) to or taken back (−1) from signature `signature` (0: no group and no
  // CI, belongs to no supplier, not rolled up).
  void AddIncident(int64_t signature, const IncidentFacts& incident, int64_t sign);
  void AddClock(const UcClockFacts& clock, int64_t sign);

  // Writes every change and forgets them. INTERNAL when a row would hold a negative count.
  absl::Status Flush(storage::Transaction& txn);

 private:
  absl::btree_map<std::pair<int64_t, int64_t>, PeriodTally> incidents_;   // signature, month
  absl::btree_map<std::pair<std::string, int64_t>, PeriodTally> clocks_;  // definition, month
};

class ScorecardRollups {
 public:
  // The signature of an incident with these groups, CIs and causing changes' groups (any order,
  // repeats allowed), created when new; 0 when all are empty.
  static absl::StatusOr<int64_t> SignatureOf(storage::Transaction& txn,
                                             std::vector<std::string> groups,
                                             std::vector<std::string> cis,
                                             std::vector<std::string> causing_groups = {});

  // The supplier's tally of each month of `range` in `zone` (range.size() entries).
  static absl::StatusOr<std::vector<PeriodTally>> SupplierMonths(storage::Transaction& txn,
                                                                 const std::string& supplier_id,
                                                                 const MonthRange& range,
                                                                 absl::TimeZone zone);

  // Recomputes every incident's signature and every roll-up from the stored facts. Run once by
  // the first start after schema migration 2 (RebuildIfPending), and by tests as the reference
  // the incremental roll-ups must equal.
  static absl::Status Rebuild(storage::Transaction& txn);
  // Rebuild when migration 2 asked for it and no replica did it yet; whether it ran.
  static absl::StatusOr<bool> RebuildIfPending(storage::Transaction& txn);
};

// The month index (year × 12 + month − 1) of a Unix-microsecond instant in UTC.
int64_t UtcMonthIndex(int64_t micros);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SCORECARD_ROLLUPS_H_
