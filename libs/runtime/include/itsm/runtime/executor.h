// Threads for blocking work, so that none runs on gRPC's callback threads: a read that waits for
// a pooled connection (up to the busy timeout), a write that fsyncs, an outbound call. gRPC's
// callback threads are few and shared by every call; one blocked there stalls unrelated calls.
//
// The queue is bounded: when it is full, TrySubmit refuses and the caller answers
// RESOURCE_EXHAUSTED at once, rather than letting latency grow without limit under overload.
//
//   if (!executor.TrySubmit([=] { reactor->Finish(ToGrpcStatus(read(), rid)); })) {
//     reactor->Finish(ToGrpcStatus(Executor::Overloaded(), rid));
//   }
#ifndef ITSM_RUNTIME_EXECUTOR_H_
#define ITSM_RUNTIME_EXECUTOR_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace itsm::runtime {

class Executor {
 public:
  // `threads` workers (at least 1), at most `max_queue` tasks waiting.
  Executor(std::string name, int threads, size_t max_queue);
  // Runs what is queued, then joins.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`; false (and `task` dropped) when the queue is full or the executor stopped.
  bool TrySubmit(std::function<void()> task);
  // Stops taking tasks, runs those queued, joins. Idempotent.
  void Stop();

  // RESOURCE_EXHAUSTED, for a refused submission.
  static absl::Status Overloaded();

 private:
  void Work();

  const std::string name_;
  const size_t max_queue_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_EXECUTOR_H_
