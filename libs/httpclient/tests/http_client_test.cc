// The client against a scripted server on loopback: each accepted connection is handed to a
// function that reads and writes raw bytes, so answers the client must survive (a close after
// one answer, silence, an oversized body, a plain server behind https://) are easy to stage.
#include "itsm/httpclient/http_client.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace itsm::httpclient {
namespace {

using boost::asio::ip::tcp;
using ::testing::HasSubstr;

class ScriptedServer {
 public:
  // `serve(socket, connection_number)` runs on the server's thread for each connection.
  explicit ScriptedServer(std::function<void(tcp::socket&, int)> serve)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        serve_(std::move(serve)) {
    thread_ = std::thread([this] {
      for (int n = 0;; ++n) {
        tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) return;
        serve_(socket, n);
      }
    });
  }
  ~ScriptedServer() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes the accept
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::function<void(tcp::socket&, int)> serve_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Reads one request's head (and a Content-Length body), returns the head.
std::string ReadRequest(tcp::socket& socket, std::string& pending) {
  boost::system::error_code ec;
  size_t end =
      boost::asio::read_until(socket, boost::asio::dynamic_buffer(pending), "\r\n\r\n", ec);
  if (ec) return "";
  std::string head = pending.substr(0, end);
  pending.erase(0, end);
  const size_t length_at = head.find("Content-Length: ");
  if (length_at != std::string::npos) {
    const size_t length = std::stoul(head.substr(length_at + 16));
    while (pending.size() < length) {
      char chunk[4096];
      size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
      if (ec) return head;
      pending.append(chunk, n);
    }
    head += pending.substr(0, length);
    pending.erase(0, length);
  }
  return head;
}

void Answer(tcp::socket& socket, const std::string& body, const std::string& extra_headers = "") {
  const std::string bytes = absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body.size(),
                                         "\r\nX-Echo: yes\r\n", extra_headers, "\r\n", body);
  boost::system::error_code ec;
  boost::asio::write(socket, boost::asio::buffer(bytes), ec);
}

HttpUrl Loopback(int port, const std::string& scheme = "http") {
  return *HttpUrl::Parse(absl::StrCat(scheme, "://127.0.0.1:", port, "/base"));
}

TEST(HttpUrl, ParsesSchemesHostsPortsAndPaths) {
  auto url = HttpUrl::Parse("https://itsm.example.com/api/");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "itsm.example.com");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->base_path, "/api");
  url = HttpUrl::Parse("http://[::1]:8080");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->ToString(), "http://[::1]:8080");
  EXPECT_EQ(HttpUrl::Parse("http://localhost")->port, "80");
  for (const char* bad : {"ftp://x", "localhost:8080", "http://", "http://h:0", "http://h:99999",
                          "http://h:x", "http://u@h", "http://h/?q=1", "http://[::1"}) {
    EXPECT_FALSE(HttpUrl::Parse(bad).ok()) << bad;
  }
}

TEST(HttpClient, SendsTheRequestUnderTheBasePathAndReadsTheAnswer) {
  std::string seen;
  ScriptedServer server([&](tcp::socket& socket, int) {
    std::string pending;
    seen = ReadRequest(socket, pending);
    Answer(socket, R"({"ok":true})");
  });
  auto client = HttpClient::Create(Loopback(server.port()), {});
  ASSERT_TRUE(client.ok()) << client.status();
  auto response = (*client)->Send({.method = "POST",
                                   .target = "/v1/things?x=1",
                                   .headers = {{"X-Api-Key", "k"}},
                                   .body = R"({"a":1})"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->Header("x-echo"), "yes");
  EXPECT_THAT(seen, HasSubstr("POST /base/v1/things?x=1 HTTP/1.1"));
  EXPECT_THAT(seen, HasSubstr("X-Api-Key: k"));
  EXPECT_THAT(seen, HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(seen, HasSubstr(R"({"a":1})"));
}

TEST(HttpClient, KeepsTheConnectionAndReopensOneTheServerClosedWhileIdle) {
  std::atomic<int> connections{0};
  ScriptedServer server([&](tcp::socket& socket, int) {
    ++connections;
    std::string pending;
    // Two answers on the first connection, then it closes; one on each later one.
    const int answers = connections == 1 ? 2 : 1;
    for (int i = 0; i < answers; ++i) {
      if (ReadRequest(socket, pending).empty()) return;
      Answer(socket, absl::StrCat("answer ", i));
    }
  });
  auto client = HttpClient::Create(Loopback(server.port()), {});
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 4; ++i) {
    auto response = (*client)->Send({.target = "/x"});
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
  }
  EXPECT_EQ(connections.load(), 3);  // 2 answers, then 1 and 1 on reopened connections
}

// A server that drops an idle connection may reset it instead of closing it (its FIN and our
// next request cross on the wire, or it closes with unread bytes): the client sees "connection
// reset" where it would have seen an end of stream, and must retry on a new connection alike.
TEST(HttpClient, ReopensAConnectionTheServerResetWithoutAnswering) {
  std::atomic<int> connections{0};
  ScriptedServer server([&](tcp::socket& socket, int) {
    std::string pending;
    if (++connections == 1) {
      ReadRequest(socket, pending);
      Answer(socket, "first");
      ReadRequest(socket, pending);
      socket.set_option(boost::asio::socket_base::linger(true, 0));  // close with a reset
      socket.close();
      return;
    }
    if (!ReadRequest(socket, pending).empty()) Answer(socket, "again");
  });
  auto client = HttpClient::Create(Loopback(server.port()), {});
  ASSERT_TRUE(client.ok());
  auto first = (*client)->Send({.target = "/x"});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = (*client)->Send({.target = "/x"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->body, "again");
  EXPECT_EQ(connections.load(), 2);
}

TEST(HttpClient, GivesUpAfterItsTimeoutWhenTheServerNeverAnswers) {
  ScriptedServer server([](tcp::socket& socket, int) {
    std::string pending;
    ReadRequest(socket, pending);
    std::this_thread::sleep_for(std::chrono::milliseconds(800));  // longer than the timeout
  });
  auto client = HttpClient::Create(Loopback(server.port()), {.timeout = absl::Milliseconds(200)});
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send({.target = "/slow"});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
}

TEST(HttpClient, RefusesAnAnswerOverTheLimit) {
  ScriptedServer server([](tcp::socket& socket, int) {
    std::string pending;
    ReadRequest(socket, pending);
    Answer(socket, std::string(5000, 'x'));
  });
  auto client = HttpClient::Create(Loopback(server.port()), {.max_response_bytes = 1000});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Send({.target = "/big"}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Interim answers (100 Continue, 103 Early Hints) are skipped for the final one; a server that
// sends nothing else is cut off.
TEST(HttpClient, SkipsInterimAnswersForTheFinalOne) {
  ScriptedServer server([](tcp::socket& socket, int n) {
    std::string pending;
    ReadRequest(socket, pending);
    boost::system::error_code ec;
    const std::string interim =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n";
    std::string bytes;
    for (int i = 0; i < (n == 0 ? 1 : 20); ++i) bytes += interim;
    boost::asio::write(socket, boost::asio::buffer(bytes), ec);
    Answer(socket, "done");
  });
  auto client = HttpClient::Create(Loopback(server.port()), {});
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send({.method = "POST", .target = "/hook", .body = "{}"});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  auto endless = HttpClient::Create(Loopback(server.port()), {});
  ASSERT_TRUE(endless.ok());
  (*endless)->Send({.method = "POST", .target = "/hook", .body = "{}"}).IgnoreError();
  EXPECT_THAT(
      (*endless)->Send({.method = "POST", .target = "/hook", .body = "{}"}).status().message(),
      HasSubstr("interim (1xx) answers"));
}

TEST(HttpClient, SaysWhereItFailedWhenNobodyListensOrTlsCannotBeVerified) {
  int closed_port = 0;
  {
    ScriptedServer gone([](tcp::socket&, int) {});
    closed_port = gone.port();
  }
  auto client = HttpClient::Create(Loopback(closed_port), {.timeout = absl::Seconds(2)});
  ASSERT_TRUE(client.ok());
  auto response = (*client)->Send({.target = "/"});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("connecting to"));

  // https:// to a server that answers plain HTTP: the handshake fails, nothing is sent.
  ScriptedServer plain([](tcp::socket& socket, int) {
    char hello[512];
    boost::system::error_code ec;
    socket.read_some(boost::asio::buffer(hello), ec);  // a ClientHello, not HTTP
    Answer(socket, "plain");
  });
  auto tls_client =
      HttpClient::Create(Loopback(plain.port(), "https"), {.timeout = absl::Seconds(2)});
  ASSERT_TRUE(tls_client.ok()) << tls_client.status();
  response = (*tls_client)->Send({.target = "/"});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("TLS handshake"));

  EXPECT_EQ(HttpClient::Create(Loopback(plain.port(), "https"), {.ca_file = "/nonexistent.pem"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::httpclient
