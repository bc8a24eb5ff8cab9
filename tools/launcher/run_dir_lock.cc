#include "run_dir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "itsm/runtime/logging.h"

namespace itsm::launcher {
namespace {

namespace log = runtime::log;

constexpr char kLauncherCommand[] = "itsm-launch";

std::string Describe(const std::vector<FileHolder>& holders) {
  return absl::StrJoin(holders, ", ", [](std::string* out, const FileHolder& h) {
    absl::StrAppend(out, h.command, " (pid ", h.pid, ")");
  });
}

// The holders other than this process.
std::vector<FileHolder> OtherHolders(const std::string& path) {
  std::vector<FileHolder> holders = ProcessesHolding(path);
  std::erase_if(holders, [](const FileHolder& h) { return h.pid == getpid(); });
  return holders;
}

}  // namespace

std::vector<FileHolder> ProcessesHolding(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::canonical(path, ec);
  std::vector<FileHolder> holders;
  if (ec) return holders;
  for (const auto& process : std::filesystem::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(process.path().filename().string(), &pid)) continue;
    std::error_code fd_ec;
    for (const auto& fd : std::filesystem::directory_iterator(process.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      if (std::filesystem::read_symlink(fd.path(), link_ec) == target && !link_ec) {
        std::ifstream comm(process.path() / "comm");
        std::string command;
        std::getline(comm, command);
        holders.push_back({.pid = pid, .command = command});
        break;
      }
    }
  }
  return holders;
}

absl::StatusOr<RunDirLock> RunDirLock::Take(const std::string& run_dir, absl::Duration wait,
                                            const std::function<bool()>& give_up) {
  const std::string path = run_dir + "/launch.lock";
  // Not O_CLOEXEC: the children inherit it (see the header).
  const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  const absl::Time deadline = absl::Now() + wait;
  absl::Time next_report = absl::InfinitePast();
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      const int error = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
    }
    const std::vector<FileHolder> holders = OtherHolders(path);
    for (const FileHolder& h : holders) {
      if (h.command == kLauncherCommand) {
        close(fd);
        return absl::FailedPreconditionError(
            absl::StrCat("another itsm-launch (pid ", h.pid, ") runs the suite in ", run_dir,
                         ": stop it first, or give this one another run directory"));
      }
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      close(fd);
      return absl::DeadlineExceededError(absl::StrCat(
          "processes of an earlier launch in ", run_dir, " did not stop within ",
          absl::FormatDuration(wait), ": ", holders.empty() ? "(not visible)" : Describe(holders)));
    }
    if (give_up()) {
      close(fd);
      return absl::CancelledError("stopped while waiting for an earlier launch's processes");
    }
    if (now >= next_report) {
      log::Warn(
          "waiting for the processes of an earlier launch in this run directory to stop "
          "(its launcher is gone; they were sent SIGTERM)",
          {{"run_dir", run_dir}, {"processes", Describe(holders)}});
      next_report = now + absl::Seconds(10);
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return RunDirLock(fd);
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace itsm::launcher
