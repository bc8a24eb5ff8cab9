// The gRPC server as every service binary builds it (StartGrpcServer), on a free loopback port:
// what reflection can describe, what undecodable requests are told, and which refused calls the
// metrics see. Raw bytes go through a generic stub, as a misbehaving client would send them.
//
// This binary must not name grpc.health.v1's generated classes: it checks that the runtime links
// their descriptors, which a service binary gets from nowhere else.
#include "itsm/runtime/grpc_server.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1/reflection.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"
#include "prometheus/text_serializer.h"

namespace itsm::runtime {
namespace {

using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

// A callback service with a string field in its request stands in for a domain service.
class FakeOutboxAdmin final : public outbox::v1::OutboxAdminService::CallbackService {
  grpc::ServerUnaryReactor* RepublishEvents(grpc::CallbackServerContext* ctx,
                                            const outbox::v1::RepublishEventsRequest*,
                                            outbox::v1::RepublishEventsResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

grpc::ByteBuffer Bytes(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartGrpcServer("127.0.0.1:0", {&service_}, *registry_, &port_);
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(); }

  // A unary call with the request's bytes as given, and `headers` beside it.
  grpc::Status RawCall(const std::string& method, const std::string& request,
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    grpc::GenericStub stub(channel_);
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    for (const auto& [name, value] : headers) ctx.AddMetadata(name, value);
    grpc::ByteBuffer response;
    grpc::Status status;
    auto call = stub.PrepareUnaryCall(&ctx, method, Bytes(request), &cq);
    call->StartCall();
    call->Finish(&response, &status, this);
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  }

  // One reflection request on a stream of its own. The v1 messages on the v1alpha method: gRPC
  // 1.51 serves only v1alpha, and the two are the same on the wire.
  ServerReflectionResponse AskReflection(const ServerReflectionRequest& request) {
    grpc::GenericStub stub(channel_);
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    auto call = stub.PrepareCall(
        &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
    void* tag = nullptr;
    bool ok = false;
    auto step = [&] {
      EXPECT_TRUE(cq.Next(&tag, &ok));
      EXPECT_TRUE(ok);
    };
    call->StartCall(this);
    step();
    call->Write(Bytes(request.SerializeAsString()), this);
    step();
    call->WritesDone(this);
    step();
    grpc::ByteBuffer received;
    call->Read(&received, this);
    step();
    grpc::Status status;
    call->Finish(&status, this);
    step();
    EXPECT_TRUE(status.ok()) << status.error_message();
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(received.Dump(&slices).ok());
    std::string bytes;
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    ServerReflectionResponse response;
    EXPECT_TRUE(response.ParseFromString(bytes));
    return response;
  }

  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

  FakeOutboxAdmin service_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  int port_ = 0;
};

TEST_F(GrpcServerTest, ReflectionListsAndDescribesTheHealthService) {
  ServerReflectionRequest list;
  list.set_list_services("*");
  const ServerReflectionResponse listed = AskReflection(list);
  std::vector<std::string> names;
  for (const auto& s : listed.list_services_response().service()) names.push_back(s.name());
  EXPECT_THAT(names, ::testing::Contains("grpc.health.v1.Health"));
  EXPECT_THAT(names, ::testing::Contains("itsm.outbox.v1.OutboxAdminService"));

  // What `grpcurl describe grpc.health.v1.Health` asks.
  for (const char* symbol : {"grpc.health.v1.Health", "itsm.outbox.v1.OutboxAdminService"}) {
    ServerReflectionRequest describe;
    describe.set_file_containing_symbol(symbol);
    const ServerReflectionResponse described = AskReflection(describe);
    ASSERT_TRUE(described.has_file_descriptor_response())
        << symbol << ": " << described.error_response().error_message();
    bool found = false;
    for (const std::string& bytes : described.file_descriptor_response().file_descriptor_proto()) {
      google::protobuf::FileDescriptorProto file;
      ASSERT_TRUE(file.ParseFromString(bytes));
      for (const auto& service : file.service()) {
        found |= absl::StrCat(file.package(), ".", service.name()) == symbol;
      }
    }
    EXPECT_TRUE(found) << symbol;
  }
}

// RepublishEventsRequest.topic is field 3, a proto3 string: tag byte 0x1a, then the length.
constexpr char kRepublish[] = "/itsm.outbox.v1.OutboxAdminService/RepublishEvents";

TEST_F(GrpcServerTest, UndecodableRequestsAreInvalidArgumentNamingTheRequestType) {
  const std::string invalid_utf8("\x1a\x02\xff\xfe", 4);
  const std::string truncated(
      "\x1a\x05"
      "ab",
      4);  // says five bytes, brings two
  for (const std::string& bytes : {invalid_utf8, truncated}) {
    const grpc::Status status = RawCall(kRepublish, bytes);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), "itsm.outbox.v1.RepublishEventsRequest"))
        << status.error_message();
  }
  // A well-formed request still reaches the handler.
  EXPECT_TRUE(RawCall(kRepublish, "\x1a\x02ok").ok());
  const std::string text = Metrics();
  EXPECT_TRUE(absl::StrContains(
      text,
      "itsm_grpc_server_handled_total{grpc_code=\"INVALID_ARGUMENT\","
      "grpc_method=\"RepublishEvents\",grpc_service=\"itsm.outbox.v1.OutboxAdminService\"} 2"))
      << text;
}

// gRPC 1.51 sets no bound on a server's request headers unless told, and its parser takes
// quadratic time on a block of megabytes (CVE-2023-33953): a call within kMaxMetadataBytes goes
// through, and the server refuses a block over it.
TEST_F(GrpcServerTest, HeadersOverTheLimitAreRefused) {
  // First, while the connection is fresh: a refusal may end it, and a call racing a
  // connection's end fails for that reason instead.
  EXPECT_TRUE(RawCall(kRepublish, "", {{"x-pad", std::string(4096, 'a')}}).ok());
  const grpc::Status refused =
      RawCall(kRepublish, "", {{"x-pad", std::string(kMaxMetadataBytes + 1, 'a')}});
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 2000; ++i) many.emplace_back(absl::StrCat("x-h", i), "0123456789");
  EXPECT_FALSE(RawCall(kRepublish, "", many).ok());
}

// Pins a limit of gRPC 1.51 that docs/architecture.md states: its core refuses a request over
// the receive limit before the call is matched to a method, so no interceptor (and no handler)
// ever exists for it and it cannot be counted. If a gRPC upgrade changes that, this test fails
// and the metric can count them.
TEST_F(GrpcServerTest, OversizedRequestsAreRefusedBeforeAnyInterceptorSeesThem) {
  const grpc::Status refused = RawCall(kRepublish, std::string(kMaxReceiveMessageBytes + 1, '\0'));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "larger than max"));
  // A call the interceptor does see, answered after the refused one: an interceptor counts a call
  // before its status is sent, so by now the refused call would be counted had one seen it.
  ASSERT_TRUE(RawCall(kRepublish, "").ok());
  const std::string text = Metrics();
  const std::string labels =
      "grpc_method=\"RepublishEvents\",grpc_service=\"itsm.outbox.v1.OutboxAdminService\"}";
  EXPECT_TRUE(absl::StrContains(text, "itsm_grpc_server_handling_seconds_count{" + labels + " 1"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "itsm_grpc_server_handled_total{grpc_code=\"RESOURCE_EXHAUSTED\"," + labels + " 0"));
}

}  // namespace
}  // namespace itsm::runtime
