#include "itsm/storage/group_commit.h"

#include <future>

#include "absl/time/clock.h"

namespace itsm::storage {

GroupCommitter::GroupCommitter(Database& db, Options options) : db_(db), options_(options) {
  completer_ = std::thread([this] { CompletionLoop(); });
  for (int i = 0; i < std::max(1, options_.writers); ++i) {
    writers_.emplace_back([this] { WriterLoop(); });
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
    }
    RunBatch(batch);
  }
}

void GroupCommitter::RunBatch(std::vector<Unit>& batch) {
  std::vector<absl::Status> results(batch.size());
  absl::Status batch_status = absl::OkStatus();
  const absl::Time start = absl::Now();
  auto txn_or = db_.Begin(TransactionMode::kReadWrite);
  if (!txn_or.ok()) {
    batch_status = txn_or.status();
  } else {
    Transaction& txn = **txn_or;
    for (size_t i = 0; i < batch.size() && batch_status.ok(); ++i) {
      batch_status = txn.Savepoint("unit");
      if (!batch_status.ok()) break;
      results[i] = batch[i].work(txn);
      batch_status =
          results[i].ok() ? txn.ReleaseSavepoint("unit") : txn.RollbackToSavepoint("unit");
      if (batch_status.ok() && !results[i].ok()) batch_status = txn.ReleaseSavepoint("unit");
    }
    if (batch_status.ok()) batch_status = txn.Commit();
  }
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
  if (observer) observer(batch.size(), elapsed);
  if (batch_status.ok() && after) after();
}

}  // namespace itsm::storage
