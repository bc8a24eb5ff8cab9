#include "itsm/auth/key_source.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"

namespace itsm::auth {

absl::StatusOr<std::unique_ptr<JwksFileSource>> JwksFileSource::Open(std::string path,
                                                                     const base::Clock& clock,
                                                                     absl::Duration check_interval,
                                                                     absl::Duration min_refresh) {
  std::unique_ptr<JwksFileSource> source(
      new JwksFileSource(std::move(path), clock, check_interval, min_refresh));
  absl::MutexLock lock(&source->mu_);
  ITSM_RETURN_IF_ERROR(source->ReadIfChanged());
  source->last_check_ = clock.Now();
  return source;
}

absl::Status JwksFileSource::ReadIfChanged() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path_, ": cannot be read"));
  }
  int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime_ns == file_mtime_ns_ && st.st_size == file_size_) return absl::OkStatus();
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<KeySet> keys = ParseJwks(text.str());
  if (!keys.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", keys.status().message()));
  }
  keys_ = std::make_shared<const KeySet>(*std::move(keys));
  file_mtime_ns_ = mtime_ns;
  file_size_ = st.st_size;
  return absl::OkStatus();
}

std::shared_ptr<const KeySet> JwksFileSource::Current() {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  if (now - last_check_ >= check_interval_) {
    last_check_ = now;
    (void)ReadIfChanged();  // a bad file keeps the keys last read
  }
  return keys_;
}

void JwksFileSource::Refresh() {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_.Now();
  if (now - last_check_ < min_refresh_) return;
  last_check_ = now;
  (void)ReadIfChanged();
}

}  // namespace itsm::auth
