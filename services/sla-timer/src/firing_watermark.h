// When the firing loop may fire a partition's clocks: only once it knows every event of the
// partition up to the instant it fires for. A clock due at T fires only after the events the
// broker held at some instant >= T have all been applied (the consumer's position reached the
// high watermark asked at that instant). Otherwise a resolution waiting in the partition's
// backlog (Redis down, the timer restarting) would come after a breach that never happened.
//
//   FiringWatermark w;
//   // each firing pass, for an owned partition with something due:
//   absl::Time complete = w.Advance(now, consumer.Applied(topic, p),
//                                   [&] { return consumer.QueryHighWatermark(topic, p, 1s); });
//   // fire what is due at or before `complete` (never later than now)
//
// Plain logic (no Kafka): SlaTimer keeps one per owned partition and resets it on assignment.
#ifndef ITSM_SERVICES_SLA_TIMER_FIRING_WATERMARK_H_
#define ITSM_SERVICES_SLA_TIMER_FIRING_WATERMARK_H_

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace itsm::sla_timer {

class FiringWatermark {
 public:
  // The broker's high watermark of the partition, asked when called.
  using HighWatermark = std::function<absl::StatusOr<int64_t>()>;

  // One pass at `now`. `applied`: the offset of the first event of the partition not applied
  // yet (every earlier one is), nullopt when unknown. Asks the broker only when no mark taken
  // earlier is still waiting to be reached. Returns CompleteUntil().
  absl::Time Advance(absl::Time now, std::optional<int64_t> applied,
                     const HighWatermark& high_watermark);
  // Every event the broker held at this instant has been applied: clocks due at or before it
  // may fire. InfinitePast until the first mark is reached.
  absl::Time CompleteUntil() const { return complete_until_; }
  // A mark waits for the consumer (the instant it was taken): firing is held back.
  std::optional<absl::Time> Waiting() const;

 private:
  struct Mark {
    absl::Time taken;
    int64_t high_watermark;
  };
  absl::Time complete_until_ = absl::InfinitePast();
  std::optional<Mark> mark_;
  std::optional<int64_t> last_applied_;
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_FIRING_WATERMARK_H_
