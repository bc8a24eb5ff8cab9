#include "itsm/runtime/executor.h"

#include <pthread.h>

#include <algorithm>

namespace itsm::runtime {

Executor::Executor(std::string name, int threads, size_t max_queue)
    : name_(std::move(name)), max_queue_(std::max<size_t>(1, max_queue)) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this] {
      // The kernel keeps 15 characters of a thread's name.
      pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
      Work();
    });
  }
}

Executor::~Executor() { Stop(); }

bool Executor::TrySubmit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_queue_) return false;
  queue_.push_back(std::move(task));
  return true;
}

void Executor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

absl::Status Executor::Overloaded() {
  return absl::ResourceExhaustedError("the service is overloaded; retry later");
}

void Executor::Work() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace itsm::runtime
