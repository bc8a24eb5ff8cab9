#include "services/webhooks/src/dispatcher.h"

#include <pthread.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/logging.h"
#include "services/webhooks/src/signature.h"

namespace itsm::webhooks {
namespace {

constexpr absl::Duration kCountsInterval = absl::Seconds(15);
constexpr absl::Duration kPruneInterval = absl::Hours(1);
// A lease outlives its attempt by this much, so that a slow result write never lets another
// round (or replica) start the same delivery while the first attempt is still being recorded.
constexpr absl::Duration kLeaseMargin = absl::Seconds(5);
constexpr size_t kMaxErrorLength = 1000;

}  // namespace

Dispatcher::Dispatcher(storage::Database& db, storage::GroupCommitter& committer,
                       HttpSender& sender, const base::Clock& clock, Options options,
                       WebhookMetrics* metrics)
    : db_(db),
      committer_(committer),
      sender_(sender),
      clock_(clock),
      options_(options),
      metrics_(metrics) {}

void Dispatcher::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "webhook-queue");
    Loop();
  });
}

void Dispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void Dispatcher::Loop() {
  absl::Time next = absl::InfinitePast();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      // Deliveries still due after a round wait for a slot (a finished attempt wakes the loop)
      // or a lease of another replica: the poll interval then, not a busy loop.
      const absl::Duration until_next = next - clock_.Now();
      const absl::Duration wait =
          until_next > absl::ZeroDuration()
              ? std::min(until_next, options_.poll_interval)
              : (next == absl::InfinitePast() ? absl::ZeroDuration() : options_.poll_interval);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), wait);
      if (stopping_) return;
      wake_ = false;
    }
    absl::StatusOr<absl::Time> round = Round();
    if (!round.ok()) {
      runtime::log::Warn("webhook dispatch round failed", {{"error", round.status().ToString()}});
      next = clock_.Now() + options_.poll_interval;
    } else {
      next = *round;
    }
  }
}

absl::StatusOr<absl::Time> Dispatcher::Round() {
  const absl::Time now = clock_.Now();
  std::vector<ActiveSubscription> subscriptions;
  absl::Time next_due = absl::InfiniteFuture();
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(subscriptions, WebhookRepository::Active(*txn));
    if (metrics_ != nullptr && now - last_counts_ >= kCountsInterval) {
      last_counts_ = now;
      ITSM_ASSIGN_OR_RETURN(auto counts, WebhookRepository::CountByState(*txn));
      for (int s = v1::DeliveryState_MIN + 1; s <= v1::DeliveryState_MAX; ++s) {
        metrics_->SetCount(static_cast<v1::DeliveryState>(s), 0);
      }
      for (const auto& [state, n] : counts) metrics_->SetCount(state, static_cast<double>(n));
    }
  }
  if (now - last_prune_ >= kPruneInterval) {
    last_prune_ = now;
    ITSM_RETURN_IF_ERROR(committer_.Run([&](storage::Transaction& txn) {
      return WebhookRepository::Prune(txn, now - options_.retention).status();
    }));
  }
  // Free slots per subscription, as the loop sees them now; an attempt that ends meanwhile
  // only frees a slot for the next round.
  std::vector<std::pair<const ActiveSubscription*, int>> wanted;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& s : subscriptions) {
      const int free = options_.max_in_flight - in_flight_[s.subscription.id()];
      if (free > 0) wanted.emplace_back(&s, free);
    }
  }
  std::vector<std::pair<const ActiveSubscription*, DueDelivery>> leased;
  int64_t expired = 0;
  if (!subscriptions.empty()) {
    const absl::Time lease_until = now + options_.attempt_timeout + kLeaseMargin;
    ITSM_RETURN_IF_ERROR(committer_.Run([&](storage::Transaction& txn) -> absl::Status {
      leased.clear();
      expired = 0;
      // Whatever waited past its retry period (for a slot a hanging receiver holds, say) is
      // dead-lettered now, not attempted late when a slot frees: slots or not.
      for (const ActiveSubscription& s : subscriptions) {
        ITSM_ASSIGN_OR_RETURN(int64_t n,
                              WebhookRepository::ExpireUnattempted(txn, s.subscription.id(), now));
        expired += n;
      }
      for (const auto& [s, free] : wanted) {
        ITSM_ASSIGN_OR_RETURN(
            std::vector<DueDelivery> due,
            WebhookRepository::Claim(txn, s->subscription.id(), now, lease_until, free));
        for (auto& d : due) leased.emplace_back(s, std::move(d));
      }
      return absl::OkStatus();
    }));
  }
  if (metrics_ != nullptr && expired > 0) metrics_->DeadLettered(expired);
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [s, d] : leased) {
      ++in_flight_[s->subscription.id()];
      ++total_in_flight_;
    }
    if (metrics_ != nullptr) metrics_->SetInFlight(total_in_flight_);
  }
  for (const auto& [s, d] : leased) Send(*s, d);
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(next_due, WebhookRepository::NextDue(*txn));
  }
  return next_due;
}

void Dispatcher::Send(const ActiveSubscription& subscription, const DueDelivery& delivery) {
  const absl::Time start = clock_.Now();
  const std::string subscription_id = subscription.subscription.id();
  absl::StatusOr<WebhookUrl> url = ParseWebhookUrl("url", subscription.subscription.url());
  const int64_t timestamp = absl::ToUnixSeconds(start);
  absl::StatusOr<std::string> signature =
      Sign(subscription.secret, delivery.id, timestamp, delivery.body);
  if (!url.ok() || !signature.ok()) {
    Finish(subscription_id, delivery, start,
           {.error = (url.ok() ? signature.status() : url.status()).ToString()});
    return;
  }
  HttpPost post{.url = *url,
                .body = delivery.body,
                .headers = {{"webhook-id", delivery.id},
                            {"webhook-timestamp", absl::StrCat(timestamp)},
                            {"webhook-signature", *signature}},
                .timeout = options_.attempt_timeout};
  sender_.Post(std::move(post), [this, subscription_id, delivery, start](HttpOutcome outcome) {
    Finish(subscription_id, delivery, start, outcome);
  });
}

void Dispatcher::Finish(const std::string& subscription_id, const DueDelivery& delivery,
                        absl::Time start, const HttpOutcome& outcome) {
  AttemptResult r;
  r.number = delivery.attempts + 1;
  r.start = start;
  r.latency = outcome.latency;
  r.response_code = outcome.status_code;
  r.succeeded = outcome.error.empty() && outcome.status_code >= 200 && outcome.status_code < 300;
  std::string result = "success";
  if (!r.succeeded) {
    r.error = outcome.error.empty() ? absl::StrCat("HTTP ", outcome.status_code) : outcome.error;
    if (r.error.size() > kMaxErrorLength) r.error.resize(kMaxErrorLength);
    result = !outcome.error.empty()
                 ? (absl::StartsWith(outcome.error, "refused") ? "refused" : "network_error")
                 : "http_error";
  }
  if (r.succeeded) {
    r.state = v1::DELIVERY_STATE_DELIVERED;
  } else {
    double draw;
    {
      absl::MutexLock lock(&mu_);
      draw = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    }
    r.next_attempt = start + outcome.latency + BackoffDelay(options_.backoff, r.number, draw);
    r.state = r.next_attempt > delivery.retry_until ? v1::DELIVERY_STATE_DEAD_LETTERED
                                                    : v1::DELIVERY_STATE_PENDING;
  }
  if (metrics_ != nullptr) metrics_->Attempted(result, absl::ToDoubleSeconds(outcome.latency));
  const std::string delivery_id = delivery.id;
  committer_.Submit(
      [delivery_id, r](storage::Transaction& txn) {
        return WebhookRepository::RecordAttempt(txn, delivery_id, r);
      },
      [this, subscription_id, delivery_id, state = r.state](absl::Status s) {
        if (!s.ok()) {
          // The lease runs out and the delivery is attempted again: at least once.
          runtime::log::Warn("cannot record a webhook attempt",
                             {{"delivery", delivery_id}, {"error", s.ToString()}});
        } else if (metrics_ != nullptr) {
          if (state == v1::DELIVERY_STATE_DELIVERED) metrics_->Delivered();
          if (state == v1::DELIVERY_STATE_DEAD_LETTERED) metrics_->DeadLettered();
        }
        absl::MutexLock lock(&mu_);
        if (--in_flight_[subscription_id] <= 0) in_flight_.erase(subscription_id);
        --total_in_flight_;
        if (metrics_ != nullptr) metrics_->SetInFlight(total_in_flight_);
        wake_ = true;
      });
}

}  // namespace itsm::webhooks
