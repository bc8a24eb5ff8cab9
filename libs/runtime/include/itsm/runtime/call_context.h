// What a handler needs to know about the call it serves, and the one translation from the code's
// absl::Status to the wire's grpc::Status.
#ifndef ITSM_RUNTIME_CALL_CONTEXT_H_
#define ITSM_RUNTIME_CALL_CONTEXT_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "itsm/base/caller.h"
#include "itsm/limits/field_limits.h"
#include "itsm/runtime/executor.h"

namespace itsm::runtime {

// With authentication disabled only (call_auth.h): the name a caller gives itself.
inline constexpr char kActorHeader[] = "x-itsm-actor";

// The value of client metadata `name` ("" when absent).
std::string ClientMetadata(const grpc::ServerContextBase& context, const char* name);

// The call's request id (always present: the metrics interceptor puts one there when the caller
// sent none, or one EffectiveRequestId would not keep).
std::string RequestId(const grpc::ServerContextBase& context);
// A request id as received (the gateway's X-Request-Id, a service's x-request-id) when it is
// 1..128 characters of [A-Za-z0-9._:-], else a new UUID: it goes into every log line of the call
// and into the answer, so it must be plain and short.
std::string EffectiveRequestId(absl::string_view received);
// Who is calling: the verified subject (call_auth.h); with authentication disabled, the
// x-itsm-actor a caller gave, or "anonymous".
std::string Actor(const grpc::ServerContextBase& context);
// Both, for the write path.
base::Caller CallerOf(const grpc::ServerContextBase& context);

// The answer a client gets for `status`, the only place where code meets wire:
//  - domain errors keep their code and message (INVALID_ARGUMENT names the field, ABORTED is a
//    stale version, FAILED_PRECONDITION a wrong state, ALREADY_EXISTS a duplicate);
//  - an INVALID_ARGUMENT that names a field carries google.rpc.BadRequest details with that
//    field violation (in grpc-status-details-bin), for gateways and typed clients;
//  - private errors (storage, itsm/base/error_detail.h) and INTERNAL/UNKNOWN/DATA_LOSS become a
//    generic message with the request id, so that no SQL, database text or peer address is ever
//    sent; the detail is logged under that request id. A private ALREADY_EXISTS (a unique
//    constraint no repository translated) is a bug and answers INTERNAL.
grpc::Status ToGrpcStatus(const absl::Status& status, const grpc::ServerContextBase& context);
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id);

// Finishes the call at once with `status` (as ToGrpcStatus translates it): for a request refused
// before any work, e.g. by its field limits.
grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext* ctx, const absl::Status& status);

// Runs `work` (returning absl::Status) on `executor`, off gRPC's callback threads, and finishes
// the call with its status; RESOURCE_EXHAUSTED at once when the executor's queue is full.
// `work` outlives the handler that calls this: it must capture by value.
template <typename Work>
grpc::ServerUnaryReactor* RunOn(Executor& executor, grpc::CallbackServerContext* ctx, Work work) {
  auto* reactor = ctx->DefaultReactor();
  const bool queued =
      executor.TrySubmit([ctx, reactor, work] { reactor->Finish(ToGrpcStatus(work(), *ctx)); });
  if (!queued) reactor->Finish(ToGrpcStatus(Executor::Overloaded(), *ctx));
  return reactor;
}

// Whether the call may proceed: not refused by the authentication interceptor (call_auth.h),
// and its request within its declared field limits. How every handler starts (RunCall and
// servicedb's CommitCall and ReadCall do it for theirs).
absl::Status Admit(const grpc::ServerContextBase& context,
                   const google::protobuf::Message& request);

// RunOn for an admitted request (refused at once otherwise, nothing queued): how a handler that
// does not write starts.
template <typename Work>
grpc::ServerUnaryReactor* RunCall(Executor& executor, grpc::CallbackServerContext* ctx,
                                  const google::protobuf::Message& request, Work work) {
  if (absl::Status bad = Admit(*ctx, request); !bad.ok()) return Reject(ctx, bad);
  return RunOn(executor, ctx, std::move(work));
}

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_CALL_CONTEXT_H_
