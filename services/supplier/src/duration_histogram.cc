#include "services/supplier/src/duration_histogram.h"

#include <algorithm>
#include <bit>

namespace itsm::supplier {
namespace {

// 2^7 buckets per power of two: the relative width of a bucket is at most 1/128.
constexpr int kSubBits = 7;
constexpr int64_t kSubBuckets = int64_t{1} << kSubBits;

void PutVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(absl::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

int32_t DurationHistogram::BucketOf(int64_t micros) {
  if (micros < kSubBuckets) return static_cast<int32_t>(std::max<int64_t>(0, micros));
  const auto v = static_cast<uint64_t>(micros);
  const int e = std::bit_width(v) - 1;  // 2^e <= v < 2^(e+1), e >= kSubBits
  // Continuous with the exact buckets: for e = kSubBits this is v itself.
  return static_cast<int32_t>((e - kSubBits + 1) * kSubBuckets +
                              static_cast<int64_t>(v >> (e - kSubBits)) - kSubBuckets);
}

int64_t DurationHistogram::UpperEdge(int32_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int64_t e = bucket / kSubBuckets + kSubBits - 1;
  const int64_t mantissa = bucket % kSubBuckets + kSubBuckets;  // kSubBuckets..2 kSubBuckets-1
  const int64_t width = int64_t{1} << (e - kSubBits);
  return mantissa * width + width - 1;
}

void DurationHistogram::Add(int64_t micros, int64_t count) {
  if (count == 0) return;
  const int32_t bucket = BucketOf(micros);
  auto it = buckets_.try_emplace(bucket, 0).first;
  it->second += count;
  if (it->second == 0) buckets_.erase(it);
  count_ += count;
}

void DurationHistogram::Merge(const DurationHistogram& other, int64_t sign) {
  for (const auto& [bucket, count] : other.buckets_) {
    auto it = buckets_.try_emplace(bucket, 0).first;
    it->second += sign * count;
    if (it->second == 0) buckets_.erase(it);
  }
  count_ += sign * other.count_;
}

bool DurationHistogram::HasNegative() const {
  for (const auto& [bucket, count] : buckets_) {
    if (count < 0) return true;
  }
  return false;
}

int64_t DurationHistogram::Percentile(int percent) const {
  if (count_ <= 0) return 0;
  const int64_t rank = (count_ * percent + 99) / 100;  // ceil(p n / 100), >= 1
  int64_t seen = 0;
  for (const auto& [bucket, count] : buckets_) {
    seen += count;
    if (seen >= rank) return UpperEdge(bucket);
  }
  return UpperEdge(buckets_.rbegin()->first);
}

std::string DurationHistogram::Encode() const {
  std::string out;
  int32_t previous = 0;
  for (const auto& [bucket, count] : buckets_) {
    PutVarint(static_cast<uint64_t>(bucket - previous), out);
    PutVarint(static_cast<uint64_t>(count), out);
    previous = bucket;
  }
  return out;
}

absl::StatusOr<DurationHistogram> DurationHistogram::Decode(absl::string_view bytes) {
  DurationHistogram h;
  int64_t bucket = 0;
  while (!bytes.empty()) {
    uint64_t step = 0, count = 0;
    if (!GetVarint(bytes, step) || !GetVarint(bytes, count) || count == 0 ||
        count > (uint64_t{1} << 62) || step > (uint64_t{1} << 30) ||
        (step == 0 && !h.buckets_.empty())) {
      return absl::DataLossError("stored duration histogram does not decode");
    }
    bucket += static_cast<int64_t>(step);
    if (bucket > INT32_MAX) return absl::DataLossError("stored duration histogram does not decode");
    h.buckets_.emplace(static_cast<int32_t>(bucket), static_cast<int64_t>(count));
    h.count_ += static_cast<int64_t>(count);
  }
  return h;
}

}  // namespace itsm::supplier
