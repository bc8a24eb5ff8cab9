// Issue 13's TLS, black box: itsm-launch with tls.enabled runs incident and the gateway with
// certificates of the run's throwaway CA. A gRPC call with the run's client certificate and a
// token is served; without a client certificate, with one of another CA, or in plaintext, the
// connection is refused (whatever the token); a certificate does not replace the token. The
// gateway answers HTTPS (verified against run/tls/ca.pem by an independent client, Python's
// ssl) and forwards over mutual TLS, and answers plain HTTP on its port with a plain 400.
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supervisor/local_tls.h"
#include "launched_suite.h"

namespace itsm {
namespace {

// A GET with Python's http.client: HTTPS verified against `ca_file` (as curl --cacert), or plain
// HTTP when `ca_file` is empty. "<status>\n<body>", or Python's error.
constexpr char kPythonGet[] = R"(
import http.client, ssl, sys, urllib.parse
url, ca, auth = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlsplit(url)
if ca:
    c = http.client.HTTPSConnection(u.hostname, u.port, timeout=10,
                                    context=ssl.create_default_context(cafile=ca))
else:
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request("GET", u.path + ("?" + u.query if u.query else ""),
          headers={"Authorization": auth} if auth else {})
r = c.getresponse()
print(r.status)
print(r.read().decode())
)";

class TlsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new testing::LaunchedSuite({"incident", "gateway"}, {}, /*tls=*/true);
    suite_->Start();
  }
  static void TearDownTestSuite() {
    if (suite_ != nullptr) {
      EXPECT_EQ(suite_->Stop(), 0) << suite_->launch_log();
    }
    delete suite_;
    suite_ = nullptr;
  }

  static std::string HttpUrl() {
    const launcher::v1::Endpoints endpoints = suite_->Endpoints();
    for (const auto& s : endpoints.services()) {
      if (s.name() == "gateway") return s.http_url();
    }
    return "";
  }
  std::string PythonGet(const std::string& url, const std::string& ca_file,
                        const std::string& authorization = "") {
    supervisor::ChildProcess::Options options;
    options.binary = "python3";
    options.args = {"-c", kPythonGet, url, ca_file, authorization};
    options.log_file = suite_->File(absl::StrCat("python-", ++calls_, ".out"));
    auto python = supervisor::ChildProcess::Start(options);
    EXPECT_TRUE(python.ok()) << "python3 is needed (tools/install-deps.sh installs it)";
    if (!python.ok()) return "";
    (*python)->Wait(absl::Seconds(30));
    return supervisor::ReadFile(options.log_file).value_or("");
  }

  grpc::Status CreateIncident(std::shared_ptr<grpc::Channel> channel,
                              const std::string& authorization = "") {
    auto stub = incident::v1::IncidentService::NewStub(std::move(channel));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    incident::v1::CreateIncidentRequest request;
    request.set_title("Certificate expired on the mail relay");
    request.set_impact(2);
    request.set_urgency(1);
    incident::v1::CreateIncidentResponse response;
    return stub->CreateIncident(&ctx, request, &response);
  }
  std::string AdminAuthorization() {
    return suite_->Authorization({.subject = "tls-admin", .roles = {common::v1::ROLE_ADMIN}});
  }

  static testing::LaunchedSuite* suite_;
  static int calls_;  // one output file per call across the tests (ChildProcess appends)
};

testing::LaunchedSuite* TlsE2eTest::suite_ = nullptr;
int TlsE2eTest::calls_ = 0;

TEST_F(TlsE2eTest, TheRunHasACaAndPrivateKeysAndItsmctlUsesItsCertificate) {
  const launcher::v1::Endpoints endpoints = suite_->Endpoints();
  ASSERT_FALSE(endpoints.tls().ca_file().empty());
  for (const auto& entry : std::filesystem::directory_iterator(endpoints.run_dir() + "/tls")) {
    if (!absl::EndsWith(entry.path().string(), "-key.pem")) continue;
    struct stat st {};
    ASSERT_EQ(stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600) << entry.path();
  }
  std::string out;
  EXPECT_EQ(suite_->Itsmctl({"status"}, &out), 0) << out;
  EXPECT_EQ(suite_->Itsmctl({"incident", "create", "--title", "Printer offline", "--impact", "2",
                             "--urgency", "2"},
                            &out),
            0)
      << out;
}

TEST_F(TlsE2eTest, AClientCertificateAndATokenAreServed) {
  grpc::Status status = CreateIncident(
      suite_->Channel("incident", {.subject = "alice@corp", .roles = {common::v1::ROLE_AGENT}}));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(TlsE2eTest, ACertificateDoesNotReplaceTheToken) {
  auto channel = grpc::CreateChannel(suite_->GrpcAddress("incident"), suite_->Credentials());
  EXPECT_EQ(CreateIncident(channel).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TlsE2eTest, WithoutAClientCertificateTheConnectionIsRefused) {
  grpc::SslCredentialsOptions server_only;
  server_only.pem_root_certs =
      supervisor::ReadFile(suite_->Endpoints().tls().ca_file()).value_or("");
  auto channel =
      grpc::CreateChannel(suite_->GrpcAddress("incident"), grpc::SslCredentials(server_only));
  EXPECT_EQ(CreateIncident(channel, AdminAuthorization()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsE2eTest, ACertificateOfAnotherCaIsRefused) {
  auto other = supervisor::LocalCertificateAuthority::OpenOrCreate(suite_->File("other-ca"));
  ASSERT_TRUE(other.ok()) << other.status();
  auto intruder = other->Issue("incident");  // the same name, the wrong CA
  ASSERT_TRUE(intruder.ok());
  auto tls = runtime::GrpcTls::FromFiles({.cert_file = intruder->cert_file,
                                          .key_file = intruder->key_file,
                                          .ca_file = suite_->Endpoints().tls().ca_file()});
  ASSERT_TRUE(tls.ok()) << tls.status();
  auto channel = grpc::CreateChannel(suite_->GrpcAddress("incident"), tls->ChannelCredentials());
  EXPECT_EQ(CreateIncident(channel, AdminAuthorization()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsE2eTest, PlaintextGrpcIsRefused) {
  auto channel =
      grpc::CreateChannel(suite_->GrpcAddress("incident"), grpc::InsecureChannelCredentials());
  EXPECT_EQ(CreateIncident(channel, AdminAuthorization()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsE2eTest, TheGatewayServesHttpsAndForwardsOverMutualTls) {
  const std::string url = HttpUrl();
  ASSERT_TRUE(absl::StartsWith(url, "https://127.0.0.1:")) << url;
  const std::string ca_file = suite_->Endpoints().tls().ca_file();
  const std::string health = PythonGet(url + "/healthz", ca_file);
  EXPECT_TRUE(absl::StartsWith(health, "200\n")) << health;
  // Forwarded to itsm-incident, which accepts only client certificates of the run's CA.
  const std::string list = PythonGet(url + "/v1/incidents", ca_file, AdminAuthorization());
  EXPECT_TRUE(absl::StartsWith(list, "200\n")) << list;
  EXPECT_TRUE(absl::StrContains(list, "incidents")) << list;
}

// The REST routes of API keys go to the gateway's own ApiKeyService over mutual TLS. Bound to
// every address (as on Kubernetes), it dialled 0.0.0.0, which no certificate names, and every
// such route failed (found from outside); it now calls itself on the loopback.
TEST_F(TlsE2eTest, TheGatewayBoundToEveryAddressReachesItsOwnApiKeyService) {
  const std::string ca_file = suite_->Endpoints().tls().ca_file();
  EXPECT_TRUE(absl::StartsWith(PythonGet(HttpUrl() + "/v1/apiKeys", ca_file, AdminAuthorization()),
                               "200\n"));
  testing::LaunchedSuite wide({"gateway"},
                              {{"ITSM_BIND_ADDRESS", "0.0.0.0"}, {"ITSM_HTTP_PORT", "0"}},
                              /*tls=*/true);
  wide.Start();
  const launcher::v1::Endpoints endpoints = wide.Endpoints();
  std::string url;
  for (const auto& s : endpoints.services()) {
    if (s.name() == "gateway") url = s.http_url();
  }
  // Reached where a certificate can name it: the loopback, not 0.0.0.0.
  ASSERT_TRUE(absl::StartsWith(url, "https://127.0.0.1:")) << url << wide.launch_log();
  const std::string keys =
      PythonGet(url + "/v1/apiKeys", endpoints.tls().ca_file(),
                wide.Authorization({.subject = "tls-admin", .roles = {common::v1::ROLE_ADMIN}}));
  EXPECT_TRUE(absl::StartsWith(keys, "200\n")) << keys;
  EXPECT_EQ(wide.Stop(), 0) << wide.launch_log();
}

TEST_F(TlsE2eTest, PlainHttpOnTheHttpsPortIsRefusedCleanly) {
  const std::string https = HttpUrl();
  absl::string_view url = https;
  ASSERT_TRUE(absl::ConsumePrefix(&url, "https://")) << https;
  const std::string answer = PythonGet(absl::StrCat("http://", url, "/healthz"), "");
  EXPECT_TRUE(absl::StartsWith(answer, "400\n")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "https://")) << answer;
  // The port still serves HTTPS afterwards.
  EXPECT_TRUE(absl::StartsWith(
      PythonGet(HttpUrl() + "/healthz", suite_->Endpoints().tls().ca_file()), "200\n"));
}

}  // namespace
}  // namespace itsm
