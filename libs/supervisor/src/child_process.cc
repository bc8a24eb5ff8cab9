#include "itsm/supervisor/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

extern char** environ;

namespace itsm::supervisor {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const Options& options) {
  // Everything the child needs is prepared before fork: after fork only async-signal-safe calls.
  std::vector<std::string> argv_storage;
  argv_storage.push_back(options.binary);
  for (const auto& a : options.args) argv_storage.push_back(a);
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    absl::string_view entry(*e);
    absl::string_view key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [k, v] : options.env) overridden |= (k == key);
    if (!overridden) env_storage.emplace_back(entry);
  }
  // A later entry for the same variable replaces an earlier one.
  std::vector<std::pair<std::string, std::string>> env = options.env;
  for (size_t i = 0; i < env.size(); ++i) {
    bool replaced_later = false;
    for (size_t j = i + 1; j < env.size(); ++j) replaced_later |= env[j].first == env[i].first;
    if (!replaced_later) env_storage.push_back(absl::StrCat(env[i].first, "=", env[i].second));
  }
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int log_fd = -1;
  if (!options.log_file.empty()) {
    std::filesystem::create_directories(std::filesystem::path(options.log_file).parent_path());
    log_fd = open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot open log file ", options.log_file, ": ", std::strerror(errno)));
    }
  }
  uid_t uid = 0;
  gid_t gid = 0;
  if (!options.user.empty()) {
    struct passwd* pw = getpwnam(options.user.c_str());
    if (!pw) return absl::NotFoundError(absl::StrCat("no such user: ", options.user));
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }

  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    if (log_fd >= 0) close(log_fd);
    return absl::ResourceExhaustedError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // A child of its own process group, so a terminal's Ctrl-C reaches only the launcher, which
    // then stops the children in order.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    if (!options.user.empty()) {
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
    }
    // The child ends with its parent, however that ends (kill -9 included): SIGTERM, so it shuts
    // down as when stopped. After setuid, which clears the setting; and a parent gone before it
    // took effect is caught by the check after it.
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) _exit(126);
    if (getppid() != parent) _exit(0);
    if (options.binary.find('/') == std::string::npos) {
      execvpe(argv[0], argv.data(), envp.data());
    } else {
      execve(argv[0], argv.data(), envp.data());
    }
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, std::filesystem::path(options.binary).filename().string()));
}

ChildProcess::~ChildProcess() {
  if (Running()) Kill();
}

bool ChildProcess::Reap(bool block) {
  if (exit_status_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == pid_) {
    exit_status_ = status;
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    exit_status_ = 0;
    return true;
  }
  return false;
}

bool ChildProcess::Running() { return !Reap(false); }

void ChildProcess::Signal(int sig) {
  if (Running()) kill(pid_, sig);
}

void ChildProcess::Kill() {
  if (!Running()) return;
  kill(pid_, SIGKILL);
  Reap(true);
}

int ChildProcess::Stop(absl::Duration grace) {
  if (Running()) kill(pid_, SIGTERM);
  return Wait(grace);
}

int ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (Running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  if (Running()) Kill();
  const int status = exit_status_.value_or(0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return status;
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return absl::StrCat("exit code ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    return absl::StrCat("signal ", sig, " (", strsignal(sig), ")");
  }
  return absl::StrCat("wait status ", wait_status);
}

absl::Status WaitUntil(const std::function<bool()>& ready, absl::Duration timeout,
                       absl::string_view what, absl::Duration interval) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (ready()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(what, " not ready after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(interval);
  }
}

int FindFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

absl::StatusOr<std::string> FindSuiteBinary(absl::string_view name) {
  std::vector<std::string> candidates;
  if (const char* dir = std::getenv("ITSM_BIN_DIR"); dir && *dir) {
    candidates.push_back(absl::StrCat(dir, "/", name));
  }
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back((self.parent_path() / std::string(name)).string());
    candidates.push_back((self.parent_path().parent_path() / "bin" / std::string(name)).string());
  }
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':')) {
      if (!dir.empty()) candidates.push_back(absl::StrCat(dir, "/", name));
    }
  }
  for (const auto& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return absl::NotFoundError(
      absl::StrCat("cannot find ", name, " in: ", absl::StrJoin(candidates, ", ")));
}

int64_t FileSize(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<int64_t>(size);
}

std::string LastLogLine(const std::string& log_file, int64_t from_byte) {
  std::ifstream in(log_file, std::ios::binary);
  if (!in) return "";
  // Only the end is read: a log can be large, its last line is short.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  // A log shorter than where the process began was emptied since (the launcher's rotation):
  // all of it is the process's.
  if (from_byte > size) from_byte = 0;
  const std::streamoff from =
      std::max<std::streamoff>({0, size - 4096, static_cast<std::streamoff>(from_byte)});
  if (from >= size) return "";
  in.seekg(from);
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  std::vector<absl::string_view> lines = absl::StrSplit(tail, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "";
  absl::string_view last = absl::StripAsciiWhitespace(lines.back());
  return std::string(last.substr(0, 400));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 bool owner_only) {
  // Write beside, then rename: a reader never sees half a file.
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    if (owner_only && chmod(tmp.c_str(), 0600) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot make ", tmp, " private"));
    }
    out << contents;
    if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace itsm::supervisor
