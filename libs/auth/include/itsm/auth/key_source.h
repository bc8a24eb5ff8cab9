// Where a verifier finds an issuer's current public keys. Key rotation is publishing a new key
// beside the old one, then (once no token signed with the old one is valid) removing the old:
// a verifier that meets an unknown kid asks its source to look again (at most every
// `min_refresh`), so a new key works at once and a removed one stops working on the next look.
#ifndef ITSM_AUTH_KEY_SOURCE_H_
#define ITSM_AUTH_KEY_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/auth/keys.h"
#include "itsm/base/clock.h"

namespace itsm::auth {

class KeySource {
 public:
  virtual ~KeySource() = default;
  // The keys as last read (never null; empty before the first successful read).
  virtual std::shared_ptr<const KeySet> Current() = 0;
  // Asked after an unknown kid: look again now if the last look is old enough.
  virtual void Refresh() {}
};

class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(KeySet keys) : keys_(std::make_shared<const KeySet>(std::move(keys))) {}
  std::shared_ptr<const KeySet> Current() override { return keys_; }

 private:
  std::shared_ptr<const KeySet> keys_;
};

// A JWKS file, read again when it changed (checked at most every `check_interval`, and on
// Refresh at most every `min_refresh`). A file that fails to parse keeps the keys last read,
// so a half-written file during rotation never locks everybody out.
class JwksFileSource final : public KeySource {
 public:
  static absl::StatusOr<std::unique_ptr<JwksFileSource>> Open(
      std::string path, const base::Clock& clock, absl::Duration check_interval = absl::Seconds(10),
      absl::Duration min_refresh = absl::Seconds(1));
  std::shared_ptr<const KeySet> Current() override;
  void Refresh() override;

 private:
  JwksFileSource(std::string path, const base::Clock& clock, absl::Duration check_interval,
                 absl::Duration min_refresh)
      : path_(std::move(path)),
        clock_(clock),
        check_interval_(check_interval),
        min_refresh_(min_refresh) {}
  // Reads the file if its modification time or size changed.
  absl::Status ReadIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const base::Clock& clock_;
  const absl::Duration check_interval_;
  const absl::Duration min_refresh_;
  absl::Mutex mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_) = std::make_shared<const KeySet>();
  absl::Time last_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t file_mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t file_size_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace itsm::auth

#endif  // ITSM_AUTH_KEY_SOURCE_H_
