#include "itsm/runtime/grpc_metrics.h"

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/metrics.h"
#include "itsm/supervisor/suite_service.h"
#include "prometheus/text_serializer.h"

namespace itsm::runtime {
namespace {

std::string Render(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// A real server on a loopback port with the interceptor, called through a real channel; the
// health service stands in for a domain service (the interceptor sees every method alike).
class GrpcMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As in ServiceRuntime: health plus reflection (a server needs at least one real service).
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(std::make_unique<GrpcMetricsInterceptorFactory>(*registry_));
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    server_->GetHealthCheckService()->SetServingStatus("known", true);
    stub_ = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status Check(const std::string& service, grpc::ClientContext* ctx) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    return stub_->Check(ctx, request, &response);
  }

  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
  int port_ = 0;
};

TEST_F(GrpcMetricsTest, CountsCallsByMethodAndCodeAndTimesThem) {
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext ctx;
    ASSERT_TRUE(Check("known", &ctx).ok());
  }
  grpc::ClientContext ctx;
  EXPECT_EQ(Check("unknown", &ctx).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string text = Render(*registry_);
  EXPECT_NE(text.find("itsm_grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Check\","
                      "grpc_service=\"grpc.health.v1.Health\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("itsm_grpc_server_handled_total{grpc_code=\"NOT_FOUND\",grpc_method=\"Check\","
                "grpc_service=\"grpc.health.v1.Health\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("itsm_grpc_server_handling_seconds_count{grpc_method=\"Check\","
                      "grpc_service=\"grpc.health.v1.Health\"} 4"),
            std::string::npos);
}

// A call naming a method the binary does not know is counted under "unknown": a caller cannot
// add series by inventing paths (each new one once added 36).
TEST_F(GrpcMetricsTest, MethodsNoOneDefinedShareTheUnknownLabel) {
  grpc::GenericStub generic(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                                grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&ctx, "/evil.Service" + std::to_string(i) + "/Method" + std::to_string(i),
                      grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  const std::string text = Render(*registry_);
  EXPECT_EQ(text.find("evil"), std::string::npos) << text;
  EXPECT_NE(text.find("itsm_grpc_server_handled_total{grpc_code=\"UNIMPLEMENTED\","
                      "grpc_method=\"unknown\",grpc_service=\"unknown\"} 5"),
            std::string::npos)
      << text;
}

TEST_F(GrpcMetricsTest, EchoesTheCallersRequestIdOrMintsOne) {
  grpc::ClientContext given;
  given.AddMetadata("x-request-id", "req-123");
  ASSERT_TRUE(Check("known", &given).ok());
  auto it = given.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(it, given.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "req-123");

  grpc::ClientContext minted;
  ASSERT_TRUE(Check("known", &minted).ok());
  auto it2 = minted.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(it2, minted.GetServerInitialMetadata().end());
  EXPECT_EQ(it2->second.size(), 36u);  // a UUID
}

// Found from outside: a 2 KB x-request-id, sent without a credential, went into every log line
// of its calls. One the gateway would not keep is replaced, for the handlers too.
TEST_F(GrpcMetricsTest, ARequestIdTooLongOrNotPlainIsReplaced) {
  for (const std::string& bad :
       {std::string(2000, 'a'), std::string("id with spaces"), std::string("a\"b")}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-request-id", bad);
    ASSERT_TRUE(Check("known", &ctx).ok());
    auto it = ctx.GetServerInitialMetadata().find("x-request-id");
    ASSERT_NE(it, ctx.GetServerInitialMetadata().end());
    EXPECT_EQ(it->second.size(), 36u) << bad.substr(0, 20);  // a UUID in its place
  }
  EXPECT_EQ(EffectiveRequestId("trace-1:a.b_c"), "trace-1:a.b_c");
  EXPECT_EQ(EffectiveRequestId(std::string(128, 'x')), std::string(128, 'x'));
  EXPECT_EQ(EffectiveRequestId(std::string(129, 'x')).size(), 36u);
}

TEST(MetricsServer, ServesRegistryAndProcessMetricsOverHttp) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("itsm_test_things_total")
      .Help("t")
      .Register(*registry)
      .Add({})
      .Increment();
  auto server = MetricsServer::Start("127.0.0.1", 0, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_NE((*server)->port(), 0);
  auto body = supervisor::ScrapeMetrics("127.0.0.1:" + std::to_string((*server)->port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_NE(body->find("itsm_test_things_total 1"), std::string::npos) << *body;
  EXPECT_NE(body->find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(body->find("process_cpu_seconds_total"), std::string::npos);
  EXPECT_NE(body->find("process_open_fds"), std::string::npos);
}

// Every series a service serves says which process it comes from, process metrics included; a
// series that names its service itself keeps its own.
TEST(MetricsServer, LabelsEverySeriesWithTheServiceName) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("itsm_test_things_total")
      .Help("t")
      .Register(*registry)
      .Add({{"kind", "a"}})
      .Increment();
  prometheus::BuildGauge()
      .Name("itsm_test_owned")
      .Help("t")
      .Register(*registry)
      .Add({{"service", "other"}})
      .Set(2);
  auto server = MetricsServer::Start("127.0.0.1", 0, registry, "change-sla-timer");
  ASSERT_TRUE(server.ok()) << server.status();
  auto body = supervisor::ScrapeMetrics("127.0.0.1:" + std::to_string((*server)->port()));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_NE(body->find(R"(itsm_test_things_total{kind="a",service="change-sla-timer"} 1)"),
            std::string::npos)
      << *body;
  EXPECT_NE(body->find(R"(itsm_test_owned{service="other"} 2)"), std::string::npos) << *body;
  EXPECT_NE(body->find(R"(process_open_fds{service="change-sla-timer"})"), std::string::npos)
      << *body;
}

// A process exits as soon as its shutdown is done: stopping the metrics server does not wait out
// the 2 s poll in which civetweb's listener waits for connections (it did, in every process).
TEST(MetricsServer, StopsWithoutWaitingOutItsListenersPoll) {
  auto server = MetricsServer::Start("127.0.0.1", 0, std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(server.ok()) << server.status();
  // The listener entered its poll when it started serving.
  const absl::Time start = absl::Now();
  server->reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

}  // namespace
}  // namespace itsm::runtime
