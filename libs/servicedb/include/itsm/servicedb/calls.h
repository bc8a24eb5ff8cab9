// A gRPC call served by a service's database, the one way every service's handlers finish:
//
//  - the request is checked against its declared field limits first (refused at once, nothing
//    queued);
//  - a write runs as one unit of work in the group committer's transaction, with the caller
//    (actor and request id) for its audit entries; the call finishes when the unit committed;
//  - a read runs on the executor in a read-only transaction, never on a gRPC callback thread.
//
//   return servicedb::CommitCall(committer_, ctx, *request,
//       [=, this](storage::Transaction& txn, const base::Caller& caller) {
//         return incidents_.Create(txn, caller, *request, *response->mutable_incident());
//       });
//
// A unit writes straight into the response: it is sent only when the unit and its batch's commit
// succeeded (a unit that fails is rolled back to its savepoint; a failed commit fails every unit
// of the batch).
#ifndef ITSM_SERVICEDB_CALLS_H_
#define ITSM_SERVICEDB_CALLS_H_

#include <functional>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/server_callback.h"
#include "itsm/base/caller.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"

namespace itsm::servicedb {

using WriteUnit = std::function<absl::Status(storage::Transaction&, const base::Caller&)>;
using ReadUnit = std::function<absl::Status(storage::Transaction&)>;

// `after_commit` runs on the committer's completion thread when the unit committed.
grpc::ServerUnaryReactor* CommitCall(storage::GroupCommitter& committer,
                                     grpc::CallbackServerContext* ctx,
                                     const google::protobuf::Message& request, WriteUnit unit,
                                     std::function<void()> after_commit = nullptr);

// `read` outlives the handler: it captures by value.
grpc::ServerUnaryReactor* ReadCall(runtime::Executor& executor, storage::Database& db,
                                   grpc::CallbackServerContext* ctx,
                                   const google::protobuf::Message& request, ReadUnit read);

}  // namespace itsm::servicedb

#endif  // ITSM_SERVICEDB_CALLS_H_
