// A gRPC call served by a service's database, the one way every service's handlers finish:
//
//  - the request is checked against its declared field limits first (refused at once, nothing
//    queued);
//  - a write runs as one unit of work in the group committer's transaction, with the caller
//    (actor and request id) for its audit entries; the call finishes when the unit committed;
//  - a read runs in a read-only transaction on the executor, or on the gRPC callback thread
//    when it is a get by id (ReadRecordCall) or stays within a budget (BoundedReadCall).
//
//   return servicedb::CommitCall(committer_, ctx, *request,
//       [=, this](storage::Transaction& txn, const base::Caller& caller) {
//         return incidents_.Create(txn, caller, *request, *response->mutable_incident());
//       });
//
// A unit writes straight into the response: it is sent only when the unit and its batch's commit
// succeeded (a unit that fails leaves nothing behind; a failed commit fails every unit of the
// batch). A unit may run twice (storage::GroupCommitter): it assigns the response's fields, never
// appends to them without clearing first, and counts in `after_commit`, not in the unit.
#ifndef ITSM_SERVICEDB_CALLS_H_
#define ITSM_SERVICEDB_CALLS_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/server_callback.h"
#include "itsm/base/caller.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"

namespace itsm::servicedb {

using WriteUnit = std::function<absl::Status(storage::Transaction&, const base::Caller&)>;
using ReadUnit = std::function<absl::Status(storage::Transaction&)>;
// A read whose answer depends on who asks (a requester sees only its own records).
using CallerReadUnit = std::function<absl::Status(storage::Transaction&, const base::Caller&)>;

// DEADLINE_EXCEEDED or CANCELLED when the client gave up on the call (its deadline passed, or it
// cancelled) before the call's unit began, else OK: the write units of CommitCall and
// CommitCallAfter check it first, on the writer thread, and such a call writes nothing — its
// client has been told it failed, and would make it twice by retrying (found from outside:
// creates sent with a 1 ms deadline were answered DEADLINE_EXCEEDED and most were made). A call
// given up on later, while its batch commits, stays made (docs/api.md: a 504 may have written).
absl::Status GivenUpBeforeWriting(const grpc::CallbackServerContext& ctx);

// `after_commit` runs on the committer's completion thread when the unit committed.
grpc::ServerUnaryReactor* CommitCall(storage::GroupCommitter& committer,
                                     grpc::CallbackServerContext* ctx,
                                     const google::protobuf::Message& request, WriteUnit unit,
                                     std::function<void()> after_commit = nullptr);

// A write that needs what only another service knows (the CMDB's view of a record's CIs): on
// the executor, `gather` makes its outbound calls first, holding no transaction; then `unit`
// runs in the committer's transaction with what was gathered. The writer thread never waits
// for a peer, so a slow peer slows down its own calls only. What was gathered may be older
// than the commit by the length of one call: the unit must re-check what its own database
// holds.
//
//   return servicedb::CommitCallAfter<CmdbFacts>(executor_, committer_, ctx, *request,
//       [=, this] { return changes_.Gather(*request); },
//       [=, this](storage::Transaction& txn, const base::Caller& caller, const CmdbFacts& f) {
//         return changes_.Create(txn, caller, *request, f, *response->mutable_change());
//       });
template <typename Facts>
grpc::ServerUnaryReactor* CommitCallAfter(
    runtime::Executor& executor, storage::GroupCommitter& committer,
    grpc::CallbackServerContext* ctx, const google::protobuf::Message& request,
    std::function<absl::StatusOr<Facts>()> gather,
    std::function<absl::Status(storage::Transaction&, const base::Caller&, const Facts&)> unit,
    std::function<void()> after_commit = nullptr) {
  if (absl::Status bad = runtime::Admit(*ctx, request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  const bool queued = executor.TrySubmit([&committer, ctx, reactor, gather = std::move(gather),
                                          unit = std::move(unit),
                                          after_commit = std::move(after_commit)]() mutable {
    absl::StatusOr<Facts> facts = gather();
    if (!facts.ok()) {
      reactor->Finish(runtime::ToGrpcStatus(facts.status(), *ctx));
      return;
    }
    committer.Submit(
        [unit = std::move(unit), facts = *std::move(facts), caller = runtime::CallerOf(*ctx),
         ctx](storage::Transaction& txn) {
          if (absl::Status given_up = GivenUpBeforeWriting(*ctx); !given_up.ok()) return given_up;
          return unit(txn, caller, facts);
        },
        [ctx, reactor, after_commit = std::move(after_commit)](absl::Status status) {
          if (status.ok() && after_commit) after_commit();
          reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
        });
  });
  if (!queued) reactor->Finish(runtime::ToGrpcStatus(runtime::Executor::Overloaded(), *ctx));
  return reactor;
}

// A write whose references another service must confirm first (CommitCallAfter): `resolve`
// checks them on the executor, outside the committer's transaction, on a copy of the request
// whose references become the other service's ids; `unit` writes that copy. `request` is
// gRPC's and outlives the call.
template <typename Request>
grpc::ServerUnaryReactor* ResolvedCommitCall(
    runtime::Executor& executor, storage::GroupCommitter& committer,
    grpc::CallbackServerContext* ctx, const Request& request,
    std::function<absl::Status(Request&)> resolve,
    std::function<absl::Status(storage::Transaction&, const base::Caller&, const Request&)> unit) {
  return CommitCallAfter<Request>(
      executor, committer, ctx, request,
      [&request, resolve = std::move(resolve)]() -> absl::StatusOr<Request> {
        Request resolved = request;
        if (absl::Status bad = resolve(resolved); !bad.ok()) return bad;
        return resolved;
      },
      std::move(unit));
}

// A read filtered by a reference only another service can resolve (a CI given by class and
// name): `resolve` makes its outbound calls on the executor, holding no transaction, on a copy of
// the request whose references become the other service's ids; `read` then runs with that copy
// in a read-only transaction. `request` is gRPC's and outlives the call.
template <typename Request>
grpc::ServerUnaryReactor* ResolvedReadCall(
    runtime::Executor& executor, storage::Database& db, grpc::CallbackServerContext* ctx,
    const Request& request, std::function<absl::Status(Request&)> resolve,
    std::function<absl::Status(storage::Transaction&, const base::Caller&, const Request&)> read) {
  return runtime::RunCall(
      executor, ctx, request,
      [&db, &request, ctx, resolve = std::move(resolve), read = std::move(read)]() -> absl::Status {
        Request resolved = request;
        if (absl::Status bad = resolve(resolved); !bad.ok()) return bad;
        absl::StatusOr<std::unique_ptr<storage::Transaction>> txn =
            db.Begin(storage::TransactionMode::kReadOnly);
        if (!txn.ok()) return txn.status();
        return read(**txn, runtime::CallerOf(*ctx), resolved);
      });
}

// `read` outlives the handler: it captures by value.
grpc::ServerUnaryReactor* ReadCall(runtime::Executor& executor, storage::Database& db,
                                   grpc::CallbackServerContext* ctx,
                                   const google::protobuf::Message& request, ReadUnit read);
grpc::ServerUnaryReactor* ReadCall(runtime::Executor& executor, storage::Database& db,
                                   grpc::CallbackServerContext* ctx,
                                   const google::protobuf::Message& request, CallerReadUnit read);

// A read of one record by its id (a few pages of one index): on SQLite with a connection free
// right now, answered on the gRPC thread that received it, because handing it to the executor
// and the answer back cost more CPU than the read itself (decision 166); otherwise as ReadCall.
// Only for reads whose cost does not grow with the data: a list or a search would hold up the
// gRPC thread's other calls.
grpc::ServerUnaryReactor* ReadRecordCall(runtime::Executor& executor, storage::Database& db,
                                         grpc::CallbackServerContext* ctx,
                                         const google::protobuf::Message& request, ReadUnit read);
grpc::ServerUnaryReactor* ReadRecordCall(runtime::Executor& executor, storage::Database& db,
                                         grpc::CallbackServerContext* ctx,
                                         const google::protobuf::Message& request,
                                         CallerReadUnit read);

// A read whose cost may grow with the data but usually does not (a page of a filtered list): on
// SQLite with a connection free right now, tried on the gRPC thread that received it with a
// budget of kBoundedReadBudget of database work; the hand-over to the executor and back is a
// quarter of a page's CPU (decision 177). A read that runs past the budget is thrown away:
// `response` is cleared and the read runs again on the executor, with no limit. So `read` may
// run twice: it writes nothing but `response`, and counts nothing. The unit must do nothing
// slow outside the database (no outbound call): only the database work is bounded.
inline constexpr absl::Duration kBoundedReadBudget = absl::Microseconds(300);
grpc::ServerUnaryReactor* BoundedReadCall(runtime::Executor& executor, storage::Database& db,
                                          grpc::CallbackServerContext* ctx,
                                          const google::protobuf::Message& request,
                                          google::protobuf::Message& response, CallerReadUnit read);
grpc::ServerUnaryReactor* BoundedReadCall(runtime::Executor& executor, storage::Database& db,
                                          grpc::CallbackServerContext* ctx,
                                          const google::protobuf::Message& request,
                                          google::protobuf::Message& response, ReadUnit read);

}  // namespace itsm::servicedb

#endif  // ITSM_SERVICEDB_CALLS_H_
