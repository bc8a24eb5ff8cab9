// A fixed set of connections handed out one per transaction. Shared by both backends.
#ifndef ITSM_STORAGE_SRC_CONNECTION_POOL_H_
#define ITSM_STORAGE_SRC_CONNECTION_POOL_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/storage/errors.h"

namespace itsm::storage::internal {

template <typename Connection>
class ConnectionPool {
 public:
  void Add(std::unique_ptr<Connection> c) {
    absl::MutexLock lock(&mu_);
    free_.push_back(std::move(c));
  }

  // Waits up to `timeout` for a free connection: a pool exhausted for that long means the
  // database is stuck or the pool far too small, which the caller reports as UNAVAILABLE.
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto has_free = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !free_.empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(&has_free), timeout)) {
      return MakeStorageError(ErrorKind::kUnavailable,
                              "no free database connection within the busy timeout");
    }
    std::unique_ptr<Connection> c = std::move(free_.back());
    free_.pop_back();
    return c;
  }

  // A free connection now, or null: for a caller that must never wait.
  std::unique_ptr<Connection> TryAcquire() {
    absl::MutexLock lock(&mu_);
    if (free_.empty()) return nullptr;
    std::unique_ptr<Connection> c = std::move(free_.back());
    free_.pop_back();
    return c;
  }

  void Release(std::unique_ptr<Connection> c) {
    absl::MutexLock lock(&mu_);
    free_.push_back(std::move(c));
  }

 private:
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::storage::internal

#endif  // ITSM_STORAGE_SRC_CONNECTION_POOL_H_
