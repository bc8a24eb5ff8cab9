#include "itsm/runtime/grpc_metrics.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "itsm/base/ids.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/metrics.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace itsm::runtime {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/itsm.outbox.v1.OutboxAdminService/RepublishEvents" -> INVALID_ARGUMENT naming
// itsm.outbox.v1.RepublishEventsRequest (gRPC does not say why decoding failed).
grpc::Status UndecodableRequest(absl::string_view full_method) {
  std::string name(absl::StripPrefix(full_method, "/"));
  std::replace(name.begin(), name.end(), '/', '.');
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  const std::string type = method != nullptr ? method->input_type()->full_name() : "message";
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("the request is not a valid ", type,
                                   ": its bytes cannot be decoded (a truncated or malformed "
                                   "message, or a string field that is not valid UTF-8)"));
}

class GrpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  GrpcMetricsInterceptor(grpc::experimental::ServerRpcInfo* info,
                         GrpcMetricsInterceptorFactory* factory)
      : info_(info), factory_(factory), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* md = methods->GetRecvInitialMetadata();
      auto it = md->find(kRequestIdHeader);
      const absl::string_view received =
          it != md->end() ? absl::string_view(it->second.data(), it->second.size()) : "";
      request_id_ = EffectiveRequestId(received);
      if (request_id_ != received) {
        // None, or one not kept (found from outside: 2 KB of a caller's text in every line of
        // its calls). The string_refs point into request_id_, which lives as long as the call.
        if (it != md->end()) md->erase(it);
        md->emplace(grpc::string_ref(kRequestIdHeader), grpc::string_ref(request_id_));
      }
    }
    // gRPC decodes a unary or server-streaming call's request before any interceptor runs, and
    // passes a null message when the bytes could not be decoded. (For client and bidi streams a
    // null message only means the stream ended.)
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr &&
        (info_->type() == grpc::experimental::ServerRpcInfo::Type::UNARY ||
         info_->type() == grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING)) {
      undecodable_request_ = true;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdHeader, request_id_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // A call its client gave up on is the client's doing, whatever answer is on its way: it
      // counts as CANCELLED and is logged at debug only. (gRPC 1.51 says so only once it has
      // seen the reset: a stream reset before its request arrived looks, here, like bytes it
      // could not decode.)
      const bool cancelled = info_->server_context()->IsCancelled();
      if (cancelled) {
        status = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client");
      } else if (undecodable_request_ && !status.ok()) {
        // gRPC's callback API answers a request it could not decode with a bare UNIMPLEMENTED
        // (the sync API with INTERNAL), as if the method did not exist; the client sent bad
        // input.
        status = UndecodableRequest(info_->method());
        methods->ModifySendStatus(status);
      }
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
      auto& m = factory_->ForMethod(info_->method());
      const int code = static_cast<int>(status.error_code());
      m.by_code[code >= 0 && code < 17 ? code : 2]->Increment();
      m.latency->Observe(seconds);
      if (!status.ok() && !cancelled && log::Enabled(log::Level::kInfo) &&
          log::WithinBudget("call failed")) {
        // Who was refused or failed: the verified subject ("anonymous" when none was verified,
        // never a name the client wrote), so that probing can be traced to a credential. The
        // method is the client's text when unknown: no name of the suite is this long.
        log::Info("call failed", {{"method", absl::string_view(info_->method()).substr(0, 200)},
                                  {"caller", CallerOf(*info_->server_context()).actor},
                                  {"code", static_cast<int64_t>(code)},
                                  {"error", status.error_message()},
                                  {"request_id", request_id_},
                                  {"duration_ms", seconds * 1000}});
      } else if (log::Enabled(log::Level::kDebug)) {
        log::Debug("call", {{"method", info_->method()},
                            {"request_id", request_id_},
                            {"duration_ms", seconds * 1000}});
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  GrpcMetricsInterceptorFactory* factory_;
  absl::Time start_;
  std::string request_id_;
  bool undecodable_request_ = false;
};

const char* CodeName(int code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  return kNames[code];
}

}  // namespace

GrpcMetricsInterceptorFactory::GrpcMetricsInterceptorFactory(prometheus::Registry& registry)
    : id_([] {
        static std::atomic<uint64_t> next{1};
        return next.fetch_add(1);
      }()),
      handled_(prometheus::BuildCounter()
                   .Name("itsm_grpc_server_handled_total")
                   .Help("gRPC calls completed, by method and status code.")
                   .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("itsm_grpc_server_handling_seconds")
                   .Help("Time from receiving a call to sending its status, by method.")
                   .Register(registry)) {}

grpc::experimental::Interceptor* GrpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new GrpcMetricsInterceptor(info, this);
}

GrpcMetricsInterceptorFactory::MethodMetrics& GrpcMetricsInterceptorFactory::ForMethod(
    const char* full_method) {
  // Every call looks its method up: a per-thread cache keeps that off the shared mutex, which a
  // thread takes only for its first call of each method. gRPC passes each registered method's
  // name as the same pointer on every call, so the pointer is the key.
  // Keyed by the factory's id, never its address: a later factory may reuse the address.
  thread_local absl::flat_hash_map<std::pair<uint64_t, const char*>, MethodMetrics*> cache;
  const auto key = std::make_pair(id_, full_method);
  if (auto hit = cache.find(key); hit != cache.end()) return *hit->second;
  bool known = false;
  MethodMetrics& found = ForMethodLocked(full_method, known);
  // An unknown method's name is the caller's bytes, at an address of the call's own.
  if (known) cache.emplace(key, &found);
  return found;
}

GrpcMetricsInterceptorFactory::MethodMetrics& GrpcMetricsInterceptorFactory::ForMethodLocked(
    const char* full_method, bool& known) {
  absl::MutexLock lock(&mu_);
  known = true;
  auto it = methods_.find(full_method);
  if (it != methods_.end()) return *it->second;
  // "/itsm.incident.v1.IncidentService/CreateIncident" -> service, method
  std::vector<std::string> parts = absl::StrSplit(full_method, '/', absl::SkipEmpty());
  if (parts.size() != 2 || google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
                               absl::StrCat(parts[0], ".", parts[1])) == nullptr) {
    known = false;
    if (unknown_ == nullptr) {
      unknown_ = std::make_unique<MethodMetrics>(MetricsFor("unknown", "unknown"));
    }
    return *unknown_;
  }
  auto m = std::make_unique<MethodMetrics>(MetricsFor(parts[0], parts[1]));
  return *methods_.emplace(full_method, std::move(m)).first->second;
}

GrpcMetricsInterceptorFactory::MethodMetrics GrpcMetricsInterceptorFactory::MetricsFor(
    const std::string& service, const std::string& method) {
  MethodMetrics m;
  m.latency = &latency_.Add({{"grpc_service", service}, {"grpc_method", method}}, LatencyBuckets());
  for (int code = 0; code < 17; ++code) {
    m.by_code[code] = &handled_.Add(
        {{"grpc_service", service}, {"grpc_method", method}, {"grpc_code", CodeName(code)}});
  }
  return m;
}

}  // namespace itsm::runtime
