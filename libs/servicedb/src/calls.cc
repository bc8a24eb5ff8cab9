#include "itsm/servicedb/calls.h"

#include "itsm/base/status_macros.h"
#include "itsm/runtime/call_context.h"

namespace itsm::servicedb {

absl::Status GivenUpBeforeWriting(const grpc::CallbackServerContext& ctx) {
  if (ctx.deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError(
        "the call's deadline passed before its write began: nothing was written");
  }
  if (ctx.IsCancelled()) {
    return absl::CancelledError(
        "the call was cancelled before its write began: nothing was written");
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* CommitCall(storage::GroupCommitter& committer,
                                     grpc::CallbackServerContext* ctx,
                                     const google::protobuf::Message& request, WriteUnit unit,
                                     std::function<void()> after_commit) {
  if (absl::Status bad = runtime::Admit(*ctx, request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  committer.Submit(
      [unit = std::move(unit), caller = runtime::CallerOf(*ctx), ctx](storage::Transaction& txn) {
        if (absl::Status given_up = GivenUpBeforeWriting(*ctx); !given_up.ok()) return given_up;
        return unit(txn, caller);
      },
      [ctx, reactor, after_commit = std::move(after_commit)](absl::Status status) {
        if (status.ok() && after_commit) after_commit();
        reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
      });
  return reactor;
}

namespace {

// An admitted read, on the executor in a read-only transaction.
grpc::ServerUnaryReactor* ReadOnExecutor(runtime::Executor& executor, storage::Database& db,
                                         grpc::CallbackServerContext* ctx, ReadUnit read) {
  return runtime::RunOn(executor, ctx, [&db, read = std::move(read)]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadOnly));
    return read(*txn);
  });
}

// An admitted read on the gRPC thread that received it, when a connection is free now; on the
// executor otherwise. With a `budget`, a read that ran past it is thrown away: `response` is
// cleared and the read runs again on the executor.
grpc::ServerUnaryReactor* ReadWhereItArrives(runtime::Executor& executor, storage::Database& db,
                                             grpc::CallbackServerContext* ctx, ReadUnit read,
                                             storage::ReadBudget* budget,
                                             google::protobuf::Message* response) {
  std::unique_ptr<storage::Transaction> txn = db.BeginReadWithoutWaiting(budget);
  if (txn == nullptr) return ReadOnExecutor(executor, db, ctx, std::move(read));
  const absl::Status status = read(*txn);
  txn.reset();  // the connection goes back before the answer leaves, or the read moves
  if (budget != nullptr && budget->exceeded()) {
    response->Clear();
    return ReadOnExecutor(executor, db, ctx, std::move(read));
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* ReadCall(runtime::Executor& executor, storage::Database& db,
                                   grpc::CallbackServerContext* ctx,
                                   const google::protobuf::Message& request, ReadUnit read) {
  if (absl::Status bad = runtime::Admit(*ctx, request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return ReadOnExecutor(executor, db, ctx, std::move(read));
}

grpc::ServerUnaryReactor* ReadCall(runtime::Executor& executor, storage::Database& db,
                                   grpc::CallbackServerContext* ctx,
                                   const google::protobuf::Message& request, CallerReadUnit read) {
  return ReadCall(executor, db, ctx, request,
                  [caller = runtime::CallerOf(*ctx), read = std::move(read)](
                      storage::Transaction& txn) { return read(txn, caller); });
}

grpc::ServerUnaryReactor* ReadRecordCall(runtime::Executor& executor, storage::Database& db,
                                         grpc::CallbackServerContext* ctx,
                                         const google::protobuf::Message& request, ReadUnit read) {
  if (absl::Status bad = runtime::Admit(*ctx, request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return ReadWhereItArrives(executor, db, ctx, std::move(read), /*budget=*/nullptr,
                            /*response=*/nullptr);
}

grpc::ServerUnaryReactor* ReadRecordCall(runtime::Executor& executor, storage::Database& db,
                                         grpc::CallbackServerContext* ctx,
                                         const google::protobuf::Message& request,
                                         CallerReadUnit read) {
  return ReadRecordCall(executor, db, ctx, request,
                        [caller = runtime::CallerOf(*ctx), read = std::move(read)](
                            storage::Transaction& txn) { return read(txn, caller); });
}

grpc::ServerUnaryReactor* BoundedReadCall(runtime::Executor& executor, storage::Database& db,
                                          grpc::CallbackServerContext* ctx,
                                          const google::protobuf::Message& request,
                                          google::protobuf::Message& response, ReadUnit read) {
  if (absl::Status bad = runtime::Admit(*ctx, request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  storage::ReadBudget budget(kBoundedReadBudget);
  return ReadWhereItArrives(executor, db, ctx, std::move(read), &budget, &response);
}

grpc::ServerUnaryReactor* BoundedReadCall(runtime::Executor& executor, storage::Database& db,
                                          grpc::CallbackServerContext* ctx,
                                          const google::protobuf::Message& request,
                                          google::protobuf::Message& response,
                                          CallerReadUnit read) {
  return BoundedReadCall(executor, db, ctx, request, response,
                         [caller = runtime::CallerOf(*ctx), read = std::move(read)](
                             storage::Transaction& txn) { return read(txn, caller); });
}

}  // namespace itsm::servicedb
