#include "itsm/apikeys/api_key_verifier.h"

#include "itsm/apikeys/api_key_secret.h"

namespace itsm::apikeys {

CachedApiKeyVerifier::CachedApiKeyVerifier(storage::Database& db, const ApiKeyManagement& keys,
                                           const base::Clock& clock, Options options)
    : db_(db), keys_(keys), clock_(clock), options_(options) {}

std::optional<absl::StatusOr<auth::Identity>> CachedApiKeyVerifier::Cached(
    absl::string_view presented, const std::string& hash, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(hash);
  if (it == cache_.end() || now - it->second.fetched >= options_.ttl) return std::nullopt;
  const auto& result = it->second.result;
  // A key may expire inside the cache's lifetime.
  if (result.ok() && result->expires <= now) {
    return RefusedKeyError(presented);
  }
  return result;
}

std::optional<absl::StatusOr<auth::Identity>> CachedApiKeyVerifier::VerifyCached(
    absl::string_view presented) {
  return Cached(presented, HashOfSecret(presented), clock_.Now());
}

void CachedApiKeyVerifier::ForgetAll() {
  absl::MutexLock lock(&mu_);
  cache_.clear();
  ++generation_;
}

absl::StatusOr<auth::Identity> CachedApiKeyVerifier::Verify(absl::string_view presented) {
  const std::string hash = HashOfSecret(presented);
  const absl::Time now = clock_.Now();
  if (auto cached = Cached(presented, hash, now)) return *std::move(cached);
  const uint64_t generation = [&] {
    absl::MutexLock lock(&mu_);
    return generation_;
  }();
  absl::StatusOr<auth::Identity> result = [&]() -> absl::StatusOr<auth::Identity> {
    auto txn = db_.Begin(storage::TransactionMode::kReadOnly);
    if (!txn.ok()) return txn.status();
    return keys_.Authenticate(**txn, presented);
  }();
  // A storage failure is not an answer about the key: ask again next time.
  if (result.ok() || absl::IsUnauthenticated(result.status())) {
    absl::MutexLock lock(&mu_);
    // A key revoked meanwhile may have been read before its revocation committed.
    if (generation != generation_) return result;
    // Bounded memory: a full cache starts over (entries live seconds anyway).
    if (cache_.size() >= options_.max_entries) cache_.clear();
    cache_[hash] = Entry{result, now};
  }
  return result;
}

}  // namespace itsm::apikeys
