#include "services/gateway/src/upstreams.h"

#include <pthread.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace itsm::gateway {
namespace {

// What one call keeps alive until it ends: gRPC writes into these. The call's tag on the queue.
struct CallState {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
  UpstreamDone done;
};

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

}  // namespace

Upstreams::Upstreams(int completion_threads) {
  for (int i = 0; i < std::max(1, completion_threads); ++i) {
    completion_threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "upstream-answer");
      void* tag = nullptr;
      bool ok = false;
      while (completions_.Next(&tag, &ok)) {
        // Finish's tag always comes back with ok: the status says how the call ended.
        std::unique_ptr<CallState> state(static_cast<CallState*>(tag));
        {
          absl::MutexLock lock(&calls_mu_);
          calls_.erase(&state->context);
        }
        std::string response = state->status.ok() ? Flatten(state->response) : "";
        UpstreamDone done = std::move(state->done);
        grpc::Status status = std::move(state->status);
        state.reset();
        done(std::move(status), std::move(response));
      }
    });
  }
}

Upstreams::~Upstreams() {
  completions_.Shutdown();
  for (std::thread& thread : completion_threads_) thread.join();
}

void Upstreams::Add(const std::string& service, std::shared_ptr<grpc::Channel> channel) {
  stubs_[service].stubs.push_back(std::make_unique<grpc::GenericStub>(std::move(channel)));
}

void Upstreams::AddLater(const std::string& service,
                         std::function<std::shared_ptr<grpc::Channel>()> channel) {
  later_[service] = std::move(channel);
}

grpc::GenericStub* Upstreams::StubFor(const std::string& service) {
  if (auto it = stubs_.find(service); it != stubs_.end()) {
    Pool& pool = it->second;
    return pool.stubs[pool.next.fetch_add(1, std::memory_order_relaxed) % pool.stubs.size()].get();
  }
  auto later = later_.find(service);
  if (later == later_.end()) return nullptr;
  absl::MutexLock lock(&later_mu_);
  std::unique_ptr<grpc::GenericStub>& stub = later_stubs_[service];
  if (stub == nullptr) {
    if (std::shared_ptr<grpc::Channel> channel = later->second()) {
      stub = std::make_unique<grpc::GenericStub>(std::move(channel));
    }
  }
  return stub.get();
}

void Upstreams::Call(const google::protobuf::MethodDescriptor& method, std::string request,
                     const Metadata& metadata, absl::Duration timeout, UpstreamDone done) {
  const std::string& service = method.service()->full_name();
  grpc::GenericStub* stub = StubFor(service);
  if (stub == nullptr) {
    done(Has(service) ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                     absl::StrCat(service, " is not serving yet"))
                      : grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                     absl::StrCat(service, " is not served here")),
         "");
    return;
  }
  auto* state = new CallState;
  state->done = std::move(done);
  grpc::Slice slice(std::move(request));
  state->request = grpc::ByteBuffer(&slice, 1);
  for (const auto& [key, value] : metadata) state->context.AddMetadata(key, value);
  state->context.set_deadline(std::chrono::system_clock::now() +
                              absl::ToChronoMilliseconds(timeout));
  const std::string path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  state->reader = stub->PrepareUnaryCall(&state->context, path, state->request, &completions_);
  {
    absl::MutexLock lock(&calls_mu_);
    if (cancelled_) state->context.TryCancel();
    calls_.insert(&state->context);
  }
  state->reader->StartCall();
  state->reader->Finish(&state->response, &state->status, state);
}

void Upstreams::CancelAll() {
  absl::MutexLock lock(&calls_mu_);
  cancelled_ = true;
  for (grpc::ClientContext* call : calls_) call->TryCancel();
}

}  // namespace itsm::gateway
