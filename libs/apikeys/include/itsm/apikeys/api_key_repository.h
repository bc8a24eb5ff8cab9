// API keys in the gateway's database. A key's row keeps its name and state as columns (an
// active name is unique) and the whole record as a serialised message; its secrets are rows of
// their own, by lookup id, holding only the SHA-256 of each secret and when it stops working
// (a rotated-out secret lives on for its grace period).
#ifndef ITSM_APIKEYS_API_KEY_REPOSITORY_H_
#define ITSM_APIKEYS_API_KEY_REPOSITORY_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/gateway/v1/api_keys.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::apikeys {

struct StoredSecret {
  std::string key_id;
  std::string secret_hash;
  absl::Time expires = absl::InfiniteFuture();
};

class ApiKeyRepository {
 public:
  // Applied under the component name "apikeys", after the record toolkit's audit table
  // (ApiKeyManagement::Schema).
  static const std::vector<storage::Migration>& Migrations();

  // By id, or the active key of that name. NOT_FOUND names the field `id`.
  static absl::StatusOr<gateway::v1::ApiKey> Get(storage::Transaction& txn,
                                                 const std::string& id_or_name);
  // ALREADY_EXISTS naming `name` when an active key has it.
  static absl::Status Insert(storage::Transaction& txn, gateway::v1::ApiKey& key);
  static absl::Status Update(storage::Transaction& txn, const gateway::v1::ApiKey& key,
                             int64_t expected_version);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry);

  static absl::Status InsertSecret(storage::Transaction& txn, const std::string& lookup_id,
                                   const std::string& key_id, const std::string& secret_hash);
  // Every secret of the key stops working at `at` at the latest.
  static absl::Status ExpireSecrets(storage::Transaction& txn, const std::string& key_id,
                                    absl::Time at);
  static absl::StatusOr<std::optional<StoredSecret>> FindSecret(storage::Transaction& txn,
                                                                const std::string& lookup_id);

  // Keys by name then id, after the position (name, id) of the previous page.
  static absl::StatusOr<std::vector<gateway::v1::ApiKey>> List(storage::Transaction& txn,
                                                               bool include_revoked,
                                                               const std::string& after_name,
                                                               const std::string& after_id,
                                                               int limit);
};

}  // namespace itsm::apikeys

#endif  // ITSM_APIKEYS_API_KEY_REPOSITORY_H_
