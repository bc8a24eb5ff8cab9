// Starting, watching and stopping the processes of a local suite: used by the launcher, the
// integration tests and the benchmarks, so that all three start things the same way.
#ifndef ITSM_SUPERVISOR_CHILD_PROCESS_H_
#define ITSM_SUPERVISOR_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace itsm::supervisor {

class ChildProcess {
 public:
  struct Options {
    std::string binary;  // a path, or a name looked up in PATH
    std::vector<std::string> args;
    // Added to (or replacing in) the parent's environment; a later entry for the same variable
    // replaces an earlier one.
    std::vector<std::pair<std::string, std::string>> env;
    // stdout and stderr go here (appended); empty inherits the parent's.
    std::string log_file;
    // Run as this user (the process must be root); empty keeps the current user.
    std::string user;
  };

  // The child gets SIGTERM when its parent dies (PR_SET_PDEATHSIG), so that a launcher or test
  // killed with SIGKILL leaves no service behind. Linux sends it when the *thread* that called
  // Start ends: call it from a thread that lives as long as the child should (the main one).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const Options& options);
  // Kills the process (SIGKILL) if it still runs: a test that fails half-way leaves nothing behind.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // False once the process exited (reaps it).
  bool Running();
  // The wait status once exited.
  std::optional<int> exit_status() const { return exit_status_; }
  // SIGTERM, then SIGKILL after `grace`. Returns the exit code (128+signal when killed).
  int Stop(absl::Duration grace);
  // Waits for the process to exit on its own; SIGKILL after `timeout`. Returns the exit code.
  int Wait(absl::Duration timeout);
  // SIGKILL and reap, as a crash would.
  void Kill();
  void Signal(int sig);

 private:
  ChildProcess(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  bool Reap(bool block);

  pid_t pid_;
  std::string name_;
  std::optional<int> exit_status_;
};

// How a process ended, from its wait status, for logs: "exit code 1", "signal 9 (Killed)".
std::string DescribeExit(int wait_status);

// Polls `ready` every `interval` until it returns true or `timeout` passes.
absl::Status WaitUntil(const std::function<bool()>& ready, absl::Duration timeout,
                       absl::string_view what, absl::Duration interval = absl::Milliseconds(20));

// A TCP port on 127.0.0.1 that was free a moment ago. For programs that cannot report the port
// they bound (redis-server, PostgreSQL); our own services take port 0 and a ready file instead.
int FindFreePort();

// Finds one of the suite's binaries: $ITSM_BIN_DIR, then the folder of the running executable and
// its ../bin, then PATH. NOT_FOUND names every place looked at.
absl::StatusOr<std::string> FindSuiteBinary(absl::string_view name);

// The last line of a process's log that says something (at most 400 characters), written at or
// after byte `from` (where the log ended when the process started: a line of the process before
// it is not this one's; a log emptied since is read whole), or "" when there is none: what a
// launcher's own error quotes of a process that would not start.
std::string LastLogLine(const std::string& log_file, int64_t from = 0);
// The size of a file, 0 when it does not exist.
int64_t FileSize(const std::string& path);

// Whole file contents; NOT_FOUND if it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// Written beside and renamed: a reader never sees half a file. With `owner_only`, the file is
// the owner's alone (0600) before the first byte is written, whatever the umask (keys, passwords).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 bool owner_only = false);

}  // namespace itsm::supervisor

#endif  // ITSM_SUPERVISOR_CHILD_PROCESS_H_
