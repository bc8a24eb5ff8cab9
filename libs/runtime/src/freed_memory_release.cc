#include "itsm/runtime/freed_memory_release.h"

#include <malloc.h>
#include <pthread.h>

namespace itsm::runtime {

FreedMemoryRelease::FreedMemoryRelease(size_t threshold, absl::Duration period)
    : threshold_(threshold), period_(period), thread_([this] { Loop(); }) {}

FreedMemoryRelease::~FreedMemoryRelease() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

size_t FreedMemoryRelease::ReleaseIfAbove() const {
  // fordblks: the bytes of free chunks in every arena, which RSS still counts where touched.
  const size_t free_bytes = mallinfo2().fordblks;
  if (free_bytes > threshold_) malloc_trim(0);
  return free_bytes;
}

void FreedMemoryRelease::Loop() {
  pthread_setname_np(pthread_self(), "memory-release");
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stop_), period_)) {
    mu_.Unlock();
    ReleaseIfAbove();
    mu_.Lock();
  }
}

}  // namespace itsm::runtime
