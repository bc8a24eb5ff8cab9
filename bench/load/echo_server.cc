// itsm-bench-echo: the reference for every service benchmark — a gRPC server with the same API
// and request size as the incident service whose handler does nothing. Driven by the same
// driver in the same run, it measures what this machine's gRPC stack can do at most.
//
//   itsm-bench-echo [address] [--committed]
//
// With --committed each call is answered the way the services answer a write: its (empty) unit
// goes through the storage library's group committer, on an in-memory SQLite database, and the
// answer is sent from the committer's completion thread. The calls then pay every hand-over of
// a durable write (gRPC thread → writer → completion thread → gRPC) and a BEGIN and COMMIT per
// batch, but no storage work and no sync: the floor under a create's CPU that the service's
// threading sets (docs/benchmarks.md).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "bench/load/sample_request.h"
#include "grpcpp/grpcpp.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"

namespace {

class EchoIncidentService final : public itsm::incident::v1::IncidentService::CallbackService {
 public:
  explicit EchoIncidentService(itsm::storage::GroupCommitter* committer) : committer_(committer) {}

  grpc::ServerUnaryReactor* CreateIncident(grpc::CallbackServerContext* ctx,
                                           const itsm::incident::v1::CreateIncidentRequest*,
                                           itsm::incident::v1::CreateIncidentResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    if (committer_ == nullptr) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    committer_->Submit([](itsm::storage::Transaction&) { return absl::OkStatus(); },
                       [reactor](const absl::Status& status) {
                         reactor->Finish(status.ok() ? grpc::Status::OK
                                                     : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                                    std::string(status.message())));
                       });
    return reactor;
  }

  // An incident like those itsm-bench creates, answered at once whatever the id: the upstream of
  // the gateway-floor scenario.
  grpc::ServerUnaryReactor* GetIncident(
      grpc::CallbackServerContext* ctx, const itsm::incident::v1::GetIncidentRequest*,
      itsm::incident::v1::GetIncidentResponse* response) override {
    *response->mutable_incident() = SampleIncident();
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  static const itsm::incident::v1::Incident& SampleIncident() {
    static const itsm::incident::v1::Incident* const kIncident = [] {
      // The fields a create of itsm-bench sets, and those the service adds.
      const itsm::incident::v1::CreateIncidentRequest request = itsm::bench::SampleRequest(1);
      auto* i = new itsm::incident::v1::Incident();
      i->set_id("0193a5b2-7c1e-7a3d-9f42-3c5d8e1f2a4b");
      i->set_number("INC0000001");
      i->set_title(request.title());
      i->set_description(request.description());
      i->set_caller("bench");
      i->set_service(request.service());
      i->set_category(request.category());
      i->set_impact(request.impact());
      i->set_urgency(request.urgency());
      i->set_priority(itsm::incident::v1::PRIORITY_P3);
      i->set_state(itsm::incident::v1::INCIDENT_STATE_NEW);
      i->set_assignment_group(request.assignment_group());
      i->set_created_by("bench");
      i->mutable_create_time()->set_seconds(1764800000);
      i->mutable_update_time()->set_seconds(1764800000);
      i->set_version(1);
      return i;
    }();
    return *kIncident;
  }

  itsm::storage::GroupCommitter* committer_;
};

}  // namespace

int main(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::string address = "127.0.0.1:0";
  bool committed = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--committed") == 0) {
      committed = true;
    } else {
      address = argv[i];
    }
  }
  std::unique_ptr<itsm::storage::Database> db;
  std::unique_ptr<itsm::storage::GroupCommitter> committer;
  if (committed) {
    auto opened = itsm::storage::OpenDatabase("sqlite::memory:", {.pool_size = 1});
    if (!opened.ok()) {
      std::fprintf(stderr, "cannot open an in-memory database: %s\n",
                   opened.status().ToString().c_str());
      return 1;
    }
    db = *std::move(opened);
    committer = std::make_unique<itsm::storage::GroupCommitter>(
        *db, itsm::storage::GroupCommitter::Options{});
  }
  EchoIncidentService service(committer.get());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  std::printf("127.0.0.1:%d\n", port);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown();
  if (committer) committer->Stop();
  return 0;
}
