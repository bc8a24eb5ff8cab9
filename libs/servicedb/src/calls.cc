#include "itsm/servicedb/calls.h"

#include "itsm/base/status_macros.h"
#include "itsm/runtime/call_context.h"

namespace itsm::servicedb {

grpc::ServerUnaryReactor* CommitCall(storage::GroupCommitter& committer,
                                     grpc::CallbackServerContext* ctx,
                                     const google::protobuf::Message& request, WriteUnit unit,
                                     std::function<void()> after_commit) {
  if (absl::Status bad = runtime::Admit(*ctx, request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  committer.Submit([unit = std::move(unit), caller = runtime::CallerOf(*ctx)](
                       storage::Transaction& txn) { return unit(txn, caller); },
                   [ctx, reactor, after_commit = std::move(after_commit)](absl::Status status) {
                     if (status.ok() && after_commit) after_commit();
                     reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
                   });
  return reactor;
}

grpc::ServerUnaryReactor* ReadCall(runtime::Executor& executor, storage::Database& db,
                                   grpc::CallbackServerContext* ctx,
                                   const google::protobuf::Message& request, ReadUnit read) {
  return runtime::RunCall(executor, ctx, request, [&db, read = std::move(read)]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadOnly));
    return read(*txn);
  });
}

}  // namespace itsm::servicedb
