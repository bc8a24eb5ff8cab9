// Checks the API keys callers present at the gateway, with a short cache so that a busy
// integration costs one database read per key every few seconds, not one per request. The cache
// is keyed by the secret's hash (no secret is kept in memory) and remembers refusals too, so a
// flood of wrong keys does not become a flood of reads. Its time-to-live bounds how long a
// revoked key keeps working on the other gateway replicas (10 s by default); the replica that
// revoked or rotated it forgets what it cached at once (ForgetAll).
//
//   CachedApiKeyVerifier verifier(db, keys, clock);
//   absl::StatusOr<auth::Identity> who = verifier.Verify(presented);  // blocking on a miss
//   if (auto known = verifier.VerifyCached(presented)) ...            // never blocking
#ifndef ITSM_APIKEYS_API_KEY_VERIFIER_H_
#define ITSM_APIKEYS_API_KEY_VERIFIER_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/apikeys/api_key_management.h"
#include "itsm/auth/identity.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"

namespace itsm::apikeys {

class CachedApiKeyVerifier {
 public:
  struct Options {
    absl::Duration ttl = absl::Seconds(10);
    size_t max_entries = 10000;
  };
  CachedApiKeyVerifier(storage::Database& db, const ApiKeyManagement& keys,
                       const base::Clock& clock, Options options);
  CachedApiKeyVerifier(storage::Database& db, const ApiKeyManagement& keys,
                       const base::Clock& clock)
      : CachedApiKeyVerifier(db, keys, clock, Options{}) {}

  // The identity `presented` stands for, or UNAUTHENTICATED. Reads the database on a miss:
  // call it where blocking is allowed (an executor), not on an I/O thread.
  absl::StatusOr<auth::Identity> Verify(absl::string_view presented);
  // Verify's answer when the cache has it, without blocking; nullopt when it would read the
  // database. Lets an I/O thread serve a known key without a hop to an executor.
  std::optional<absl::StatusOr<auth::Identity>> VerifyCached(absl::string_view presented);
  // Drops every cached answer, and any a Verify under way would store from a read made before:
  // called when a key was revoked or rotated here, so that it stops working at once.
  void ForgetAll();

 private:
  std::optional<absl::StatusOr<auth::Identity>> Cached(absl::string_view presented,
                                                       const std::string& hash, absl::Time now);

  struct Entry {
    absl::StatusOr<auth::Identity> result;
    absl::Time fetched;
  };

  storage::Database& db_;
  const ApiKeyManagement& keys_;
  const base::Clock& clock_;
  const Options options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
  // Counts ForgetAll calls: a Verify stores its answer only if none came since its read began.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace itsm::apikeys

#endif  // ITSM_APIKEYS_API_KEY_VERIFIER_H_
