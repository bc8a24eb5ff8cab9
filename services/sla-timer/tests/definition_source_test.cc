// GrpcDefinitionSource against an in-process SLA service: which refusals are permanent (the
// record's data) and which can heal (the service's state).
#include "services/sla-timer/src/definition_source.h"

#include "gtest/gtest.h"
#include "itsm/base/clock.h"

namespace itsm::sla_timer {
namespace {

// Answers ResolveApplicableSla like the SLA service for a record without a service, and with
// `next_error` otherwise.
class FakeSla final : public sla::v1::SlaService::Service {
 public:
  grpc::Status ResolveApplicableSla(grpc::ServerContext*,
                                    const sla::v1::ResolveApplicableSlaRequest* request,
                                    sla::v1::ResolveApplicableSlaResponse*) override {
    if (request->service().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "service: required");
    }
    return next_error;
  }
  grpc::Status next_error = grpc::Status::OK;
};

TEST(GrpcDefinitionSource, RefusalsOfTheRecordArePermanentAndOutagesAreRetried) {
  FakeSla service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  GrpcDefinitionSource source(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()),
      clock, absl::ZeroDuration());
  RecordQuery query;
  query.priority = incident::v1::PRIORITY_P1;
  // Issue 12, finding 5: this was UNAVAILABLE, retried forever, holding up the partition.
  EXPECT_EQ(source.Resolve(query).status().code(), absl::StatusCode::kInvalidArgument);
  query.service = "vpn";
  service.next_error = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "bad calendar");
  EXPECT_EQ(source.Resolve(query).status().code(), absl::StatusCode::kFailedPrecondition);
  for (auto code : {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED,
                    grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::INTERNAL,
                    grpc::StatusCode::ABORTED}) {
    service.next_error = grpc::Status(code, "not now");
    EXPECT_EQ(source.Resolve(query).status().code(), absl::StatusCode::kUnavailable) << code;
  }
  service.next_error = grpc::Status::OK;
  EXPECT_TRUE(source.Resolve(query).ok());
  server->Shutdown();
}

}  // namespace
}  // namespace itsm::sla_timer
