// The gateway's HTTP server with a certificate, against a real TLS client (OpenSSL through
// Boost.Asio) on loopback: keep-alive over HTTPS, TLS 1.2 as the floor, a replaced certificate
// seen by the next connection (by its serial) while open ones keep theirs, a broken replacement
// kept out, and plain HTTP on the HTTPS port answered in plain HTTP without holding up others.
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "gtest/gtest.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supervisor/local_tls.h"
#include "itsm/testing/test_env.h"
#include "prometheus/text_serializer.h"
#include "services/gateway/src/http_server.h"

namespace itsm::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// Answers every request 200 with its target; refusals with their status and message.
class EchoHandler final : public HttpHandler {
 public:
  void Handle(HttpRequest request, Responder respond) override {
    HttpResponse response(http::status::ok, request.version());
    response.body() = std::string(request.target());
    respond(std::move(response));
  }
  HttpResponse Refusal(http::status status, std::string message) override {
    HttpResponse response(status, 11);
    response.body() = std::move(message);
    return response;
  }
};

// One HTTPS connection that verifies the server against `ca_file` and the name "localhost".
class HttpsClient {
 public:
  HttpsClient(int port, const std::string& ca_file, int max_version = 0)
      : context_(ssl::context::tls_client), stream_(io_, context_) {
    context_.load_verify_file(ca_file);
    if (max_version != 0) SSL_set_max_proto_version(stream_.native_handle(), max_version);
    stream_.set_verify_mode(ssl::verify_peer);
    stream_.set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    beast::get_lowest_layer(stream_).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
    stream_.handshake(ssl::stream_base::client, handshake_error_);
  }
  bool connected() const { return !handshake_error_; }
  std::string handshake_error() const { return handshake_error_.message(); }

  // GET `target` on this connection (kept alive): the status and body, 0 on an I/O error.
  std::pair<int, std::string> Get(const std::string& target) {
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "localhost");
    request.keep_alive(true);
    beast::error_code ec;
    http::write(stream_, request, ec);
    http::response<http::string_body> response;
    if (!ec) http::read(stream_, buffer_, response, ec);
    if (ec) return {0, ec.message()};
    return {response.result_int(), response.body()};
  }

  // The serial number of the certificate the server presented.
  std::string ServerSerial() {
    X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
    if (cert == nullptr) return "";
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    const std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    X509_free(cert);
    return supervisor::CertificateSerialHex(pem);
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  beast::error_code handshake_error_;
};

class GatewayHttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = supervisor::LocalCertificateAuthority::OpenOrCreate(dir_.File("tls"));
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::make_unique<supervisor::LocalCertificateAuthority>(*std::move(ca));
    auto issued = ca_->Issue("gateway-https");
    ASSERT_TRUE(issued.ok()) << issued.status();
    certificate_ = *issued;
    HttpServerOptions options{.port = 0,
                              .idle_timeout = absl::Seconds(10),
                              .header_timeout = absl::Seconds(2),
                              .tls = {.cert_file = certificate_.cert_file,
                                      .key_file = certificate_.key_file,
                                      .reload_check_interval = absl::Milliseconds(100)},
                              .metrics = &registry_};
    auto server = HttpServer::Start(options, handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
  }

  std::string FileSerial() {
    return supervisor::CertificateSerialHex(
        supervisor::ReadFile(certificate_.cert_file).value_or(""));
  }
  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }
  // A new connection's view of the served certificate, once a reload had its chance.
  std::string NewConnectionSerial() {
    HttpsClient client(server_->port(), ca_->ca_file());
    if (!client.connected()) return "handshake failed: " + client.handshake_error();
    return client.ServerSerial();
  }

  testing::ScratchDir dir_;
  std::unique_ptr<supervisor::LocalCertificateAuthority> ca_;
  supervisor::IssuedCertificate certificate_;
  prometheus::Registry registry_;
  EchoHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(GatewayHttpsTest, ServesHttpsWithKeepAlive) {
  HttpsClient client(server_->port(), ca_->ca_file());
  ASSERT_TRUE(client.connected()) << client.handshake_error();
  EXPECT_EQ(client.Get("/one"), std::make_pair(200, std::string("/one")));
  EXPECT_EQ(client.Get("/two"), std::make_pair(200, std::string("/two")));  // same connection
  EXPECT_EQ(client.ServerSerial(), FileSerial());
  EXPECT_TRUE(
      absl::StrContains(Metrics(), "itsm_gateway_tls_certificate_expiry_timestamp_seconds"));
}

TEST_F(GatewayHttpsTest, RefusesTlsOlderThan12) {
  HttpsClient old(server_->port(), ca_->ca_file(), TLS1_1_VERSION);
  EXPECT_FALSE(old.connected());
  HttpsClient tls12(server_->port(), ca_->ca_file(), TLS1_2_VERSION);
  EXPECT_TRUE(tls12.connected()) << tls12.handshake_error();
}

TEST_F(GatewayHttpsTest, ANewConnectionSeesAReplacedCertificateAnOpenOneKeepsItsOwn) {
  HttpsClient open(server_->port(), ca_->ca_file());
  ASSERT_TRUE(open.connected());
  const std::string first = open.ServerSerial();
  ASSERT_EQ(first, FileSerial());

  ASSERT_TRUE(ca_->Issue("gateway-https").ok());  // new key and certificate, renamed into place
  const std::string renewed = FileSerial();
  ASSERT_NE(renewed, first);
  std::string seen;
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    seen = NewConnectionSerial();
                    return seen == renewed;
                  },
                  absl::Seconds(10), "the renewed certificate")
                  .ok())
      << "new connections still see " << seen;
  // The connection opened before goes on with its own.
  EXPECT_EQ(open.Get("/still"), std::make_pair(200, std::string("/still")));
  EXPECT_TRUE(
      absl::StrContains(Metrics(), R"(itsm_gateway_tls_certificate_reloads_total{result="ok"} 1)"))
      << Metrics();
}

TEST_F(GatewayHttpsTest, ABrokenReplacementIsCountedAndTheLastGoodCertificateStays) {
  const std::string served = FileSerial();
  ASSERT_TRUE(supervisor::WriteFileAtomically(certificate_.cert_file,
                                              "-----BEGIN CERTIFICATE-----\nbroken\n")
                  .ok());
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    (void)NewConnectionSerial();  // an accept looks at the files
                    return absl::StrContains(
                        Metrics(),
                        R"(itsm_gateway_tls_certificate_reloads_total{result="error"} 1)");
                  },
                  absl::Seconds(10), "the failed reload")
                  .ok())
      << Metrics();
  EXPECT_EQ(NewConnectionSerial(), served);
  // A key that is not the certificate's is refused too; a good pair afterwards is taken.
  auto other = ca_->Issue("other");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(supervisor::WriteFileAtomically(certificate_.cert_file,
                                              supervisor::ReadFile(other->cert_file).value_or(""))
                  .ok());
  absl::SleepFor(absl::Milliseconds(150));
  EXPECT_EQ(NewConnectionSerial(), served);
  ASSERT_TRUE(ca_->Issue("gateway-https").ok());
  const std::string renewed = FileSerial();
  EXPECT_TRUE(supervisor::WaitUntil([&] { return NewConnectionSerial() == renewed; },
                                    absl::Seconds(10), "the good certificate")
                  .ok());
}

TEST_F(GatewayHttpsTest, PlainHttpIsAnsweredInPlainHttpAndStallsNoOne) {
  asio::io_context io;
  // A client that connects and says nothing, and one that speaks plain HTTP.
  tcp::socket silent(io);
  silent.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())));
  tcp::socket plain(io);
  plain.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())));
  const std::string request = "GET /v1/incidents HTTP/1.1\r\nHost: localhost\r\n\r\n";
  asio::write(plain, asio::buffer(request));

  // Meanwhile HTTPS is served at once.
  const absl::Time start = absl::Now();
  HttpsClient client(server_->port(), ca_->ca_file());
  ASSERT_TRUE(client.connected()) << client.handshake_error();
  EXPECT_EQ(client.Get("/ok").first, 200);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));

  std::string answer;
  char buf[4096];
  beast::error_code ec;
  for (;;) {
    const size_t n = plain.read_some(asio::buffer(buf), ec);
    if (ec) break;
    answer.append(buf, n);
  }
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "https://")) << answer;
  EXPECT_TRUE(absl::StrContains(
      Metrics(), R"(itsm_gateway_tls_handshake_failures_total{reason="plaintext"} 1)"))
      << Metrics();
}

TEST(GatewayHttpsStartTest, AKeyThatIsNotTheCertificatesStopsTheStart) {
  testing::ScratchDir dir;
  auto ca = supervisor::LocalCertificateAuthority::OpenOrCreate(dir.File("tls"));
  ASSERT_TRUE(ca.ok());
  auto a = ca->Issue("a");
  auto b = ca->Issue("b");
  ASSERT_TRUE(a.ok() && b.ok());
  EchoHandler handler;
  auto server = HttpServer::Start(
      {.port = 0, .tls = {.cert_file = a->cert_file, .key_file = b->key_file}}, handler);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(server.status().message(), "tls_key_file")) << server.status();
}

}  // namespace
}  // namespace itsm::gateway
