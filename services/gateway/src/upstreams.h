// The services behind the gateway: a few channels per service, each its own HTTP/2 connection
// reused by every call and taken in turn (one connection is read and written by one thread at a
// time at each end, which capped the gateway at a fraction of what the service serves), called
// generically with serialized messages, so that any RPC of the descriptors can be forwarded
// without generated stubs. Answers are taken off a completion queue by the gateway's own
// threads, which poll the connections themselves: gRPC's callback API handed every answer from
// its poller to another thread first (a third of the gateway's CPU per GET went to that thread
// and its wake-ups; decision 149).
//
//   Upstreams upstreams;
//   for (int i = 1; i <= 4; ++i) upstreams.Add(service, rt.ChannelTo(address, i));
//   upstreams.Call(*method, bytes, {{"x-request-id", id}}, absl::Seconds(30),
//                  [](grpc::Status status, std::string response) { ... });
#ifndef ITSM_SERVICES_GATEWAY_SRC_UPSTREAMS_H_
#define ITSM_SERVICES_GATEWAY_SRC_UPSTREAMS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace itsm::gateway {

using Metadata = std::vector<std::pair<std::string, std::string>>;
// The call's status and, when OK, the serialized response. Runs on a completion thread.
using UpstreamDone = std::function<void(grpc::Status status, std::string response)>;

class Upstreams {
 public:
  // Starts `completion_threads` threads taking answers off the queue.
  explicit Upstreams(int completion_threads = 2);
  // Every call must have ended (Gateway::Drain): the queue is drained and its threads stop.
  ~Upstreams();
  Upstreams(const Upstreams&) = delete;
  Upstreams& operator=(const Upstreams&) = delete;

  // `service`: a full name ("itsm.incident.v1.IncidentService"). Adding several channels for a
  // service spreads its calls over them in turn.
  void Add(const std::string& service, std::shared_ptr<grpc::Channel> channel);
  // A service whose channel can only be made later (the gateway's own, once its port is bound):
  // `channel` is asked at each call until it gives one; until then calls are UNAVAILABLE.
  void AddLater(const std::string& service,
                std::function<std::shared_ptr<grpc::Channel>()> channel);
  bool Has(const std::string& service) const {
    return stubs_.count(service) > 0 || later_.count(service) > 0;
  }

  // Calls `method` with the serialized request; `done` runs once, when the call ends.
  void Call(const google::protobuf::MethodDescriptor& method, std::string request,
            const Metadata& metadata, absl::Duration timeout, UpstreamDone done);
  // Shutdown, when calls outlast the wait for them: every call in flight ends now, CANCELLED
  // (its `done` still runs), and later calls end at once the same way.
  void CancelAll();

 private:
  grpc::GenericStub* StubFor(const std::string& service);

  struct Pool {
    std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
    std::atomic<uint64_t> next{0};
  };
  // Filled before the first call; read-only after (but for each pool's turn counter).
  std::map<std::string, Pool> stubs_;
  std::map<std::string, std::function<std::shared_ptr<grpc::Channel>()>> later_;
  absl::Mutex later_mu_;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> later_stubs_ ABSL_GUARDED_BY(later_mu_);
  // The calls in flight, to cancel them at shutdown.
  absl::Mutex calls_mu_;
  absl::flat_hash_set<grpc::ClientContext*> calls_ ABSL_GUARDED_BY(calls_mu_);
  bool cancelled_ ABSL_GUARDED_BY(calls_mu_) = false;
  grpc::CompletionQueue completions_;
  std::vector<std::thread> completion_threads_;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_UPSTREAMS_H_
