// Counts of durations in fixed buckets, precise enough for a scorecard's p50/p90 and small
// enough to keep one per signature and month (scorecard_rollups.h). No I/O.
//
// Buckets (log-linear, as HdrHistogram's): durations below 128 µs each have their own bucket;
// above, each power of two [2^e, 2^(e+1)) is cut into 128 equal buckets of width 2^(e-7) µs. A
// percentile is the **upper edge** of the bucket the exact nearest-rank value falls in: never
// below the exact value, and above it by less than 1/128 of it (0.79 %: under 29 s on an hour,
// under 12 min on a day). Counts may be added and subtracted (a roll-up moves an incident from one
// month to another), but a stored histogram never holds a negative count.
//
//   DurationHistogram h;
//   h.Add(absl::ToInt64Microseconds(resolve - create));
//   int64_t p90_us = h.Percentile(90);
//   row.blob = h.Encode();
#ifndef ITSM_SERVICES_SUPPLIER_DURATION_HISTOGRAM_H_
#define ITSM_SERVICES_SUPPLIER_DURATION_HISTOGRAM_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::supplier {

class DurationHistogram {
 public:
  // The bucket of a duration (negative ones count as 0), and the largest duration in a bucket.
  static int32_t BucketOf(int64_t micros);
  static int64_t UpperEdge(int32_t bucket);

  // Adds `count` (negative: removes) durations of `micros`.
  void Add(int64_t micros, int64_t count = 1);
  // Adds every count of `other` times `sign` (+1 or -1).
  void Merge(const DurationHistogram& other, int64_t sign = 1);

  // The number of durations held (the sum of the counts).
  int64_t Count() const { return count_; }
  bool empty() const { return buckets_.empty(); }
  // Whether some bucket holds a negative count (a subtraction of what was never added).
  bool HasNegative() const;

  // The upper edge of the bucket of the nearest-rank percentile `percent` (1..100): the bucket
  // where the running count first reaches ceil(percent × Count() / 100). 0 when empty.
  int64_t Percentile(int percent) const;

  // Varints: (bucket − previous bucket, count) pairs, buckets ascending. Only for histograms
  // without negative counts. Decode: DATA_LOSS for bytes Encode did not write.
  std::string Encode() const;
  static absl::StatusOr<DurationHistogram> Decode(absl::string_view bytes);

  bool operator==(const DurationHistogram&) const = default;

 private:
  absl::btree_map<int32_t, int64_t> buckets_;  // no zero counts
  int64_t count_ = 0;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_DURATION_HISTOGRAM_H_
