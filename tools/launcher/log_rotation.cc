#include "log_rotation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace itsm::launcher {
namespace {

absl::Status Failed(absl::string_view what, const std::string& file) {
  return absl::InternalError(absl::StrCat(what, " ", file, ": ", std::strerror(errno)));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Copies `from` to `to` up to its end as it is when the copy reaches it: lines written during
// the copy are copied too, so what the emptying after it can lose is only the last instant's.
absl::Status CopyToItsEnd(int from, int to, const std::string& to_name) {
  char buffer[1 << 16];
  for (off_t at = 0;;) {
    const ssize_t n = pread(from, buffer, sizeof buffer, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failed("cannot read the log to copy to", to_name);
    if (n == 0) return absl::OkStatus();
    for (ssize_t written = 0; written < n;) {
      const ssize_t w = write(to, buffer + written, static_cast<size_t>(n - written));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Failed("cannot write", to_name);
      written += w;
    }
    at += n;
  }
}

}  // namespace

absl::StatusOr<bool> LogRotation::RotateIfLarge(const std::string& file) const {
  if (options_.max_bytes <= 0) return false;
  Fd log(open(file.c_str(), O_RDWR | O_CLOEXEC));
  if (log.get() < 0) {
    if (errno == ENOENT) return false;
    return Failed("cannot open", file);
  }
  struct stat st;
  if (fstat(log.get(), &st) != 0) return Failed("cannot read the size of", file);
  if (st.st_size <= options_.max_bytes) return false;

  for (int i = options_.keep - 1; i >= 1; --i) {
    const std::string older = absl::StrCat(file, ".", i);
    if (std::rename(older.c_str(), absl::StrCat(file, ".", i + 1).c_str()) != 0 &&
        errno != ENOENT) {
      return Failed("cannot rename", older);
    }
  }
  if (options_.keep <= 0) {
    if (ftruncate(log.get(), 0) != 0) return Failed("cannot empty", file);
    return true;
  }
  const std::string newest = absl::StrCat(file, ".1");
  Fd copy(open(newest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777));
  // A copy that fails (a full disk, most likely) still empties the log: the records' databases
  // need the space more than the log's past does.
  absl::Status copied = copy.get() < 0 ? Failed("cannot create", newest)
                                       : CopyToItsEnd(log.get(), copy.get(), newest);
  if (!copied.ok() && copy.get() >= 0) unlink(newest.c_str());
  if (ftruncate(log.get(), 0) != 0) return Failed("cannot empty", file);
  if (!copied.ok()) {
    return absl::DataLossError(absl::StrCat(copied.message(), "; the log was emptied uncopied"));
  }
  return true;
}

}  // namespace itsm::launcher
