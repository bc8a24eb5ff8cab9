// Hands memory that glibc's allocator holds free back to the system, once a second, when more
// than `threshold` of it has piled up.
//
// glibc keeps what a burst of calls freed: a client opening and resetting 40,000 streams in 8 s
// left a service at 900 MB of RSS with 36 MB in use (malloc_trim gave the rest back), and the
// next burst, served from other chunks, could add as much again — a way to exhaust a machine's
// memory without holding any. Every service runs one (ServiceRuntime).
//
//   FreedMemoryRelease release(32 << 20);  // stops with the object
#ifndef ITSM_RUNTIME_FREED_MEMORY_RELEASE_H_
#define ITSM_RUNTIME_FREED_MEMORY_RELEASE_H_

#include <cstddef>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace itsm::runtime {

class FreedMemoryRelease {
 public:
  explicit FreedMemoryRelease(size_t threshold, absl::Duration period = absl::Seconds(1));
  ~FreedMemoryRelease();
  FreedMemoryRelease(const FreedMemoryRelease&) = delete;
  FreedMemoryRelease& operator=(const FreedMemoryRelease&) = delete;

  // Releases at once if more than the threshold is free; returns the bytes free before.
  size_t ReleaseIfAbove() const;

 private:
  void Loop();

  const size_t threshold_;
  const absl::Duration period_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_FREED_MEMORY_RELEASE_H_
