// API key management, apart from gRPC: create, rotate and revoke keys through the record
// toolkit's unit of work (versioned record, audit entry naming the verified caller), and
// authenticate a presented secret. Writes run in the group committer's transaction, reads in a
// read-only one.
//
//   ApiKeyManagement keys(clock);
//   committer.Submit([&](storage::Transaction& txn) {
//     return keys.Create(txn, caller, request, response);
//   }, done);
//   ITSM_ASSIGN_OR_RETURN(auth::Identity who, keys.Authenticate(*read_txn, presented));
#ifndef ITSM_APIKEYS_API_KEY_MANAGEMENT_H_
#define ITSM_APIKEYS_API_KEY_MANAGEMENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "itsm/auth/identity.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/gateway/v1/api_keys.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::apikeys {

class ApiKeyManagement {
 public:
  explicit ApiKeyManagement(const base::Clock& clock) : clock_(clock) {}

  // The tables, as schema components of the database that holds them.
  static std::vector<storage::SchemaComponent> Schema();

  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const gateway::v1::CreateApiKeyRequest& request,
                      gateway::v1::CreateApiKeyResponse& out) const;
  absl::Status Rotate(storage::Transaction& txn, const base::Caller& caller,
                      const gateway::v1::RotateApiKeyRequest& request,
                      gateway::v1::RotateApiKeyResponse& out) const;
  absl::Status Revoke(storage::Transaction& txn, const base::Caller& caller,
                      const gateway::v1::RevokeApiKeyRequest& request,
                      gateway::v1::ApiKey& out) const;

  absl::Status Get(storage::Transaction& txn, const gateway::v1::GetApiKeyRequest& request,
                   gateway::v1::ApiKey& out) const;
  absl::Status List(storage::Transaction& txn, const gateway::v1::ListApiKeysRequest& request,
                    gateway::v1::ListApiKeysResponse& out) const;
  // The audit trail, a page oldest first; by id (a revoked key too) or an active key's name.
  absl::Status History(storage::Transaction& txn,
                       const gateway::v1::GetApiKeyHistoryRequest& request,
                       gateway::v1::GetApiKeyHistoryResponse& out) const;

  // The identity `presented` ("itsm_<lookup>_<key>") stands for. UNAUTHENTICATED, with one
  // message for unknown and wrong secrets alike, when it proves nothing.
  absl::StatusOr<auth::Identity> Authenticate(storage::Transaction& txn,
                                              absl::string_view presented) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::apikeys

#endif  // ITSM_APIKEYS_API_KEY_MANAGEMENT_H_
