// Mutual TLS as every service serves it (StartGrpcServer with GrpcTls's credentials), against
// real handshakes on loopback with certificates of a throwaway CA: who gets in, who is refused,
// and a rotated certificate picked up without a restart.
#include "itsm/runtime/grpc_tls.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"
#include "itsm/runtime/grpc_server.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supervisor/local_tls.h"
#include "itsm/testing/test_env.h"

namespace itsm::runtime {
namespace {

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = supervisor::LocalCertificateAuthority::OpenOrCreate(dir_.File("ca"));
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::make_unique<supervisor::LocalCertificateAuthority>(*std::move(ca));
    auto other = supervisor::LocalCertificateAuthority::OpenOrCreate(dir_.File("other-ca"));
    ASSERT_TRUE(other.ok()) << other.status();
    other_ca_ = std::make_unique<supervisor::LocalCertificateAuthority>(*std::move(other));
    server_files_ = Files(*ca_, "server");
    auto tls = GrpcTls::FromFiles(server_files_);
    ASSERT_TRUE(tls.ok()) << tls.status();
    server_tls_ = *std::move(tls);
    server_ = StartGrpcServer("127.0.0.1:0", {}, registry_, &port_, nullptr,
                              server_tls_.ServerCredentials());
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  GrpcTlsFiles Files(const supervisor::LocalCertificateAuthority& ca, const std::string& name,
                     int reload_seconds = 1) {
    auto issued = ca.Issue(name);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return {.cert_file = issued.value_or(supervisor::IssuedCertificate{}).cert_file,
            .key_file = issued.value_or(supervisor::IssuedCertificate{}).key_file,
            .ca_file = ca.ca_file(),
            .reload_seconds = reload_seconds};
  }

  // A health check on a new channel; the server certificate's PEM in *server_pem.
  grpc::Status Check(std::shared_ptr<grpc::ChannelCredentials> credentials,
                     const std::string& host = "127.0.0.1", std::string* server_pem = nullptr,
                     grpc::ChannelArguments args = {}) {
    // A channel argument of its own: gRPC would otherwise reuse a subchannel (and its
    // handshake) of an earlier channel with the same target and credentials.
    args.SetInt("itsm.test.channel", ++channels_);
    auto channel =
        grpc::CreateCustomChannel(absl::StrCat(host, ":", port_), std::move(credentials), args);
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&ctx, {}, &response);
    if (server_pem != nullptr && ctx.auth_context() != nullptr) {
      for (const auto& value : ctx.auth_context()->FindPropertyValues("x509_pem_cert")) {
        *server_pem = std::string(value.data(), value.size());
      }
    }
    return status;
  }
  std::shared_ptr<grpc::ChannelCredentials> Client(const GrpcTlsFiles& files) {
    auto tls = GrpcTls::FromFiles(files);
    EXPECT_TRUE(tls.ok()) << tls.status();
    return tls.ok() ? tls->ChannelCredentials() : nullptr;
  }

  testing::ScratchDir dir_;
  std::unique_ptr<supervisor::LocalCertificateAuthority> ca_;
  std::unique_ptr<supervisor::LocalCertificateAuthority> other_ca_;
  GrpcTlsFiles server_files_;
  GrpcTls server_tls_;
  prometheus::Registry registry_;
  int port_ = 0;
  int channels_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(GrpcTlsTest, AClientWithACertificateOfTheCaIsServedByAddressAndByName) {
  auto client = Client(Files(*ca_, "client"));
  grpc::Status status = Check(client);
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = Check(client, "localhost");
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(GrpcTlsTest, AClientWithoutACertificateIsRefused) {
  const std::string ca_pem = supervisor::ReadFile(ca_->ca_file()).value_or("");
  grpc::SslCredentialsOptions server_only;
  server_only.pem_root_certs = ca_pem;
  EXPECT_EQ(Check(grpc::SslCredentials(server_only)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, AClientWithACertificateOfAnotherCaIsRefused) {
  // It trusts our server (our CA), but presents a certificate our CA never signed.
  GrpcTlsFiles foreign = Files(*other_ca_, "intruder");
  foreign.ca_file = ca_->ca_file();
  EXPECT_EQ(Check(Client(foreign)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, APlaintextClientIsRefused) {
  EXPECT_EQ(Check(grpc::InsecureChannelCredentials()).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, TheClientRefusesAServerOfAnotherCaOrUnderAnotherName) {
  // A client of the other CA does not trust our server's certificate.
  EXPECT_EQ(Check(Client(Files(*other_ca_, "client"))).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A name the server's certificate does not hold: the chain is good, the host is not.
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("billing.example.com");
  grpc::Status status = Check(Client(Files(*ca_, "client")), "127.0.0.1", nullptr, args);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST_F(GrpcTlsTest, ARotatedServerCertificateIsUsedWithoutARestart) {
  auto client = Client(Files(*ca_, "client"));
  std::string first;
  ASSERT_TRUE(Check(client, "127.0.0.1", &first).ok());
  const std::string first_serial = supervisor::CertificateSerialHex(first);
  ASSERT_FALSE(first_serial.empty());
  EXPECT_EQ(first_serial, supervisor::CertificateSerialHex(
                              supervisor::ReadFile(server_files_.cert_file).value_or("")));

  // Re-issued into the same files (key first, then certificate, each renamed into place).
  ASSERT_TRUE(ca_->Issue("server").ok());
  const std::string renewed =
      supervisor::CertificateSerialHex(supervisor::ReadFile(server_files_.cert_file).value_or(""));
  ASSERT_NE(renewed, first_serial);
  // The watcher re-reads every second here; new connections get the new certificate.
  std::string seen;
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    std::string pem;
                    if (!Check(client, "127.0.0.1", &pem).ok()) return false;
                    seen = supervisor::CertificateSerialHex(pem);
                    return seen == renewed;
                  },
                  absl::Seconds(10), "the renewed certificate")
                  .ok())
      << "still " << seen;
}

// A suite RPC that answers OK to whoever gets through.
class OpenOutboxAdmin final : public outbox::v1::OutboxAdminService::CallbackService {
  grpc::ServerUnaryReactor* GetOutboxStats(grpc::CallbackServerContext* ctx,
                                           const outbox::v1::GetOutboxStatsRequest*,
                                           outbox::v1::GetOutboxStatsResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

TEST(GrpcPlaintextHealthPortTest, AnswersHealthChecksOnlyTheTlsPortServesEverything) {
  testing::ScratchDir dir;
  auto ca = supervisor::LocalCertificateAuthority::OpenOrCreate(dir.File("ca"));
  ASSERT_TRUE(ca.ok());
  auto server_cert = ca->Issue("server");
  auto client_cert = ca->Issue("client");
  ASSERT_TRUE(server_cert.ok() && client_cert.ok());
  auto server_tls = GrpcTls::FromFiles({.cert_file = server_cert->cert_file,
                                        .key_file = server_cert->key_file,
                                        .ca_file = ca->ca_file()});
  auto client_tls = GrpcTls::FromFiles({.cert_file = client_cert->cert_file,
                                        .key_file = client_cert->key_file,
                                        .ca_file = ca->ca_file()});
  ASSERT_TRUE(server_tls.ok() && client_tls.ok());
  OpenOutboxAdmin service;
  prometheus::Registry registry;
  int port = 0;
  const std::string health_address = absl::StrCat("127.0.0.1:", supervisor::FindFreePort());
  auto server = StartGrpcServer("127.0.0.1:0", {&service}, registry, &port, nullptr,
                                server_tls->ServerCredentials(), health_address);
  ASSERT_NE(server, nullptr);

  auto stats = [](std::shared_ptr<grpc::Channel> channel) {
    auto stub = outbox::v1::OutboxAdminService::NewStub(std::move(channel));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    outbox::v1::GetOutboxStatsResponse response;
    return stub->GetOutboxStats(&ctx, {}, &response).error_code();
  };
  auto plaintext = grpc::CreateChannel(health_address, grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(plaintext);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(health->Check(&ctx, {}, &response).ok());
  EXPECT_EQ(stats(plaintext), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stats(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                      client_tls->ChannelCredentials())),
            grpc::StatusCode::OK);
  server->Shutdown();
}

TEST(GrpcTlsFilesTest, AllOrNoneAndTheKeyMustBeTheCertificates) {
  EXPECT_TRUE(CheckGrpcTlsFiles({}).ok());
  absl::Status partial = CheckGrpcTlsFiles({.cert_file = "/nonexistent.pem"});
  EXPECT_EQ(partial.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(partial.message().find("go together"), absl::string_view::npos) << partial;

  testing::ScratchDir dir;
  auto ca = supervisor::LocalCertificateAuthority::OpenOrCreate(dir.File("ca"));
  ASSERT_TRUE(ca.ok());
  auto a = ca->Issue("a");
  auto b = ca->Issue("b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(CheckGrpcTlsFiles(
                  {.cert_file = a->cert_file, .key_file = a->key_file, .ca_file = ca->ca_file()})
                  .ok());
  absl::Status mismatched = CheckGrpcTlsFiles(
      {.cert_file = a->cert_file, .key_file = b->key_file, .ca_file = ca->ca_file()});
  EXPECT_EQ(mismatched.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(mismatched.message().find("grpc_tls_key_file"), absl::string_view::npos) << mismatched;
  absl::Status unreadable = CheckGrpcTlsFiles(
      {.cert_file = a->cert_file, .key_file = a->key_file, .ca_file = dir.File("none.pem")});
  EXPECT_NE(unreadable.message().find("grpc_tls_ca_file"), absl::string_view::npos) << unreadable;
}

TEST(LocalCertificateAuthorityTest, KeysArePrivateAndTheCaIsKeptAcrossStarts) {
  testing::ScratchDir dir;
  auto ca = supervisor::LocalCertificateAuthority::OpenOrCreate(dir.File("tls"));
  ASSERT_TRUE(ca.ok());
  auto issued = ca->Issue("incident");
  ASSERT_TRUE(issued.ok());
  struct stat st {};
  ASSERT_EQ(stat(issued->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(stat(dir.File("tls/ca-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(stat(dir.File("tls").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  const std::string ca_serial =
      supervisor::CertificateSerialHex(supervisor::ReadFile(ca->ca_file()).value_or(""));
  auto again = supervisor::LocalCertificateAuthority::OpenOrCreate(dir.File("tls"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(supervisor::CertificateSerialHex(supervisor::ReadFile(again->ca_file()).value_or("")),
            ca_serial);
}

}  // namespace
}  // namespace itsm::runtime
