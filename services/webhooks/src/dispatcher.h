// Sends the recorded deliveries. A loop leases due deliveries per subscription — at most
// max_in_flight of each subscription at a time — and hands each to the asynchronous HTTP sender;
// when an attempt ends, its result (attempt row, the delivery's new state or next attempt) is
// written through the group committer and the subscription's slot is free again. So the queue
// is per subscription, not one FIFO: a receiver that is slow or dead holds its own slots only,
// and never a thread, while every other subscription's deliveries go on.
//
// A failed attempt is tried again after exponential backoff with full jitter (backoff.h), until
// the next attempt would start after the delivery's retry_until: then it is dead-lettered.
// Leases outlive the attempt timeout, so after a crash a leased delivery is sent again once its
// lease ran out (at least once: the receiver de-duplicates by webhook-id).
//
//   Dispatcher dispatcher(db, committer, sender, clock, {...}, &metrics);
//   dispatcher.Start();  recorder.SetOnRecorded([&] { dispatcher.Wake(); });
#ifndef ITSM_SERVICES_WEBHOOKS_DISPATCHER_H_
#define ITSM_SERVICES_WEBHOOKS_DISPATCHER_H_

#include <map>
#include <random>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "services/webhooks/src/backoff.h"
#include "services/webhooks/src/http_sender.h"
#include "services/webhooks/src/webhook_metrics.h"
#include "services/webhooks/src/webhook_repository.h"

namespace itsm::webhooks {

class Dispatcher {
 public:
  struct Options {
    int max_in_flight = 2;  // per subscription
    absl::Duration attempt_timeout = absl::Seconds(10);
    // The longest the loop sleeps without being woken (new deliveries of another replica,
    // leases running out).
    absl::Duration poll_interval = absl::Seconds(1);
    BackoffPolicy backoff = {};
    // Finished deliveries (and their attempts and events) older than this are deleted, once an
    // hour; pending ones are kept whatever their age.
    absl::Duration retention = absl::Hours(24 * 30);
  };
  Dispatcher(storage::Database& db, storage::GroupCommitter& committer, HttpSender& sender,
             const base::Clock& clock, Options options, WebhookMetrics* metrics);
  ~Dispatcher() { Stop(); }
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  // Stops leasing; attempts in flight finish (their results are recorded if the committer
  // still runs) or their leases run out.
  void Stop();
  // Look for due deliveries now (new deliveries, a replay, a slot freed).
  void Wake();

  // One round: leases and starts what is due. Returns when the next round should run at the
  // latest. (The loop's step; tests.)
  absl::StatusOr<absl::Time> Round();

 private:
  void Loop();
  void Send(const ActiveSubscription& subscription, const DueDelivery& delivery);
  void Finish(const std::string& subscription_id, const DueDelivery& delivery, absl::Time start,
              const HttpOutcome& outcome);

  storage::Database& db_;
  storage::GroupCommitter& committer_;
  HttpSender& sender_;
  const base::Clock& clock_;
  const Options options_;
  WebhookMetrics* const metrics_;

  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, int> in_flight_ ABSL_GUARDED_BY(mu_);  // by subscription id
  int total_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_){std::random_device{}()};
  absl::Time last_counts_ = absl::InfinitePast();  // loop thread only
  absl::Time last_prune_ = absl::InfinitePast();   // loop thread only
  std::thread thread_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_DISPATCHER_H_
