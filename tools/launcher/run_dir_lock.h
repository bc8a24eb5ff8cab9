// One launcher per run directory, and none while the processes of an earlier one still stop.
//
// The lock is an flock on <run dir>/launch.lock, taken on a descriptor that is not
// close-on-exec: every process the launcher starts inherits it, so the lock is held until the
// launcher and all of its children have exited. After a kill -9 of the launcher, its children
// get SIGTERM (child_process.h) and may take up to their shutdown timeout to stop, still bound
// to their ports; a launcher started meanwhile waits for them instead of failing on a port in
// use, and a second launcher started while one runs is refused before it touches anything.
//
//   absl::StatusOr<RunDirLock> lock = RunDirLock::Take(run_dir, absl::Seconds(60), stop_asked);
//   if (!lock.ok()) ...;   // keep *lock for as long as the suite runs
#ifndef ITSM_TOOLS_LAUNCHER_RUN_DIR_LOCK_H_
#define ITSM_TOOLS_LAUNCHER_RUN_DIR_LOCK_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace itsm::launcher {

class RunDirLock {
 public:
  // Takes the run directory's lock, waiting up to `wait` for processes of an earlier launch to
  // exit (logged, with their pids, when it has to wait). FAILED_PRECONDITION when a running
  // itsm-launch holds it; DEADLINE_EXCEEDED naming the processes that still hold it after
  // `wait`; CANCELLED when `give_up` (asked a few times a second) returns true.
  static absl::StatusOr<RunDirLock> Take(const std::string& run_dir, absl::Duration wait,
                                         const std::function<bool()>& give_up);

  RunDirLock(RunDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunDirLock& operator=(RunDirLock&&) = delete;
  ~RunDirLock();

 private:
  explicit RunDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// A process that has a file open: its pid and its command name (/proc/<pid>/comm).
struct FileHolder {
  pid_t pid;
  std::string command;
};
// The processes, this one included, that have `path` open (as far as /proc lets this process
// see their descriptors).
std::vector<FileHolder> ProcessesHolding(const std::string& path);

}  // namespace itsm::launcher

#endif  // ITSM_TOOLS_LAUNCHER_RUN_DIR_LOCK_H_
