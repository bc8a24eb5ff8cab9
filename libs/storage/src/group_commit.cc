#include "itsm/storage/group_commit.h"

#include <pthread.h>

#include <future>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/base/status_macros.h"

namespace itsm::storage {

GroupCommitter::GroupCommitter(Database& db, Options options) : db_(db), options_(options) {
  completer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "db-complete");
    CompletionLoop();
  });
  for (int i = 0; i < std::max(1, options_.writers); ++i) {
    writers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "db-writer");
      WriterLoop();
    });
  }
}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::SetAfterCommit(std::function<void()> after_commit) {
  absl::MutexLock lock(&mu_);
  after_commit_ = std::move(after_commit);
}

void GroupCommitter::SetBatchObserver(BatchObserver observer) {
  absl::MutexLock lock(&mu_);
  observer_ = std::move(observer);
}

void GroupCommitter::Submit(Work work, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(Unit{std::move(work), std::move(done)});
      return;
    }
  }
  done(absl::UnavailableError("the service is shutting down"));
}

absl::Status GroupCommitter::Run(Work work) {
  std::promise<absl::Status> result;
  Submit(std::move(work), [&result](absl::Status s) { result.set_value(std::move(s)); });
  return result.get_future().get();
}

void GroupCommitter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && writers_.empty()) return;
    stopping_ = true;
  }
  for (auto& t : writers_) {
    if (t.joinable()) t.join();
  }
  writers_.clear();
  // Every result is out before Stop() returns.
  {
    absl::MutexLock lock(&completion_mu_);
    completions_closed_ = true;
  }
  if (completer_.joinable()) completer_.join();
}

void GroupCommitter::CompletionLoop() {
  for (;;) {
    std::deque<std::pair<Done, absl::Status>> ready;
    {
      absl::MutexLock lock(&completion_mu_);
      auto has_work = [this]() ABSL_SHARED_LOCKS_REQUIRED(completion_mu_) {
        return !completions_.empty() || completions_closed_;
      };
      completion_mu_.Await(absl::Condition(&has_work));
      if (completions_.empty()) return;
      ready.swap(completions_);
    }
    for (auto& [done, status] : ready) done(std::move(status));
  }
}

void GroupCommitter::WriterLoop() {
  for (;;) {
    std::vector<Unit> batch;
    uint64_t number = 0;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything submitted has been written
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      number = ++batches_taken_;
      under_way_.insert(number);
    }
    RunBatch(batch);
    absl::MutexLock lock(&mu_);
    under_way_.erase(number);
  }
}

absl::Status GroupCommitter::WaitForBatchesUnderWay(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t last = batches_taken_;
  auto ended = [this, last]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return under_way_.empty() || *under_way_.begin() > last;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ended), timeout)) {
    return absl::UnavailableError(
        absl::StrCat("writes under way did not end within ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

void GroupCommitter::RunBatch(std::vector<Unit>& batch) {
  std::vector<absl::Status> results(batch.size());
  const absl::Time start = absl::Now();
  std::optional<absl::Status> batch_result =
      RunInOneTransaction(batch, results, /*savepoint_per_unit=*/false);
  const bool ran_again_isolated = !batch_result.has_value();
  if (ran_again_isolated) {
    batch_result = RunInOneTransaction(batch, results, /*savepoint_per_unit=*/true);
  }
  const absl::Status batch_status = *batch_result;
  // A failed begin or commit means nothing of the batch was written, whatever the units said.
  {
    absl::MutexLock lock(&completion_mu_);
    for (size_t i = 0; i < batch.size(); ++i) {
      completions_.emplace_back(std::move(batch[i].done),
                                batch_status.ok() ? results[i] : batch_status);
    }
  }
  const absl::Duration elapsed = absl::Now() - start;
  std::function<void()> after;
  BatchObserver observer;
  {
    absl::MutexLock lock(&mu_);
    after = after_commit_;
    observer = observer_;
  }
  if (observer) observer(batch.size(), elapsed, ran_again_isolated);
  if (batch_status.ok() && after) after();
}

std::optional<absl::Status> GroupCommitter::RunInOneTransaction(std::vector<Unit>& batch,
                                                                std::vector<absl::Status>& results,
                                                                bool savepoint_per_unit) {
  auto txn_or = db_.Begin(TransactionMode::kReadWrite);
  if (!txn_or.ok()) return txn_or.status();
  Transaction& txn = **txn_or;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!savepoint_per_unit) {
      const int64_t footprint = txn.Footprint();
      results[i] = batch[i].work(txn);
      if (!results[i].ok() && txn.Footprint() != footprint) return std::nullopt;  // rolls back
      continue;
    }
    ITSM_RETURN_IF_ERROR(txn.Savepoint("unit"));
    results[i] = batch[i].work(txn);
    if (!results[i].ok()) ITSM_RETURN_IF_ERROR(txn.RollbackToSavepoint("unit"));
    ITSM_RETURN_IF_ERROR(txn.ReleaseSavepoint("unit"));
  }
  return txn.Commit();
}

}  // namespace itsm::storage
