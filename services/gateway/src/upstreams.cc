#include "services/gateway/src/upstreams.h"

#include "absl/strings/str_cat.h"

namespace itsm::gateway {
namespace {

// What one call keeps alive until its callback: gRPC writes into these.
struct CallState {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
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
  stub->UnaryCall(&state->context, path, grpc::StubOptions(), &state->request, &state->response,
                  [state](grpc::Status status) {
                    std::string response = status.ok() ? Flatten(state->response) : "";
                    UpstreamDone done = std::move(state->done);
                    delete state;
                    done(std::move(status), std::move(response));
                  });
}

}  // namespace itsm::gateway
