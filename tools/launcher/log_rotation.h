// Keeps each log of a run under a size, so that a suite run by the launcher for months does not
// fill its disk (in production journald or the container runtime rotates stderr instead).
//
//   LogRotation rotation({.max_bytes = 100 << 20, .keep = 3});
//   rotation.RotateIfLarge(run_dir + "/logs/incident.log");   // on every tick of the launcher
//
// The processes keep writing to the file they were given (their stderr, opened with O_APPEND,
// which a restart would open again): so the log is copied, not renamed — to <file>.1, after
// moving <file>.1 to <file>.2 and so on, the oldest dropped — and then emptied in place, and its
// writer's next line lands at its start. Only what a process writes in the instant between the
// copy's end and the emptying can be lost, as with logrotate's copytruncate. A log that cannot be
// copied (a full disk) is emptied all the same.
#ifndef ITSM_TOOLS_LAUNCHER_LOG_ROTATION_H_
#define ITSM_TOOLS_LAUNCHER_LOG_ROTATION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace itsm::launcher {

class LogRotation {
 public:
  struct Options {
    // A log is rotated once it holds more; 0: never.
    int64_t max_bytes = int64_t{100} << 20;
    // The rotated copies kept beside it (<file>.1 the newest).
    int keep = 3;
  };
  explicit LogRotation(Options options) : options_(options) {}

  // Whether `file` was rotated: false when it is within the size or does not exist.
  absl::StatusOr<bool> RotateIfLarge(const std::string& file) const;

 private:
  Options options_;
};

}  // namespace itsm::launcher

#endif  // ITSM_TOOLS_LAUNCHER_LOG_ROTATION_H_
