// The delivery client against receivers on loopback: a POST with its headers and body, the
// resolved-address check (a name resolving to loopback is refused when loopback is not
// allowed, and nothing is sent), the attempt deadline, and https verification failing against a
// receiver that does not speak TLS.
#include "services/webhooks/src/http_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/testing/http_receiver.h"

namespace itsm::webhooks {
namespace {

using ::itsm::testing::Answer;
using ::itsm::testing::HttpReceiver;
using ::itsm::testing::ReceivedRequest;

HttpOutcome PostAndWait(HttpSender& sender, const std::string& url, absl::Duration timeout) {
  absl::StatusOr<WebhookUrl> parsed = ParseWebhookUrl("url", url);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  std::promise<HttpOutcome> done;
  sender.Post({.url = *parsed,
               .body = R"({"x":1})",
               .headers = {{"webhook-id", "d-1"}},
               .timeout = timeout},
              [&](HttpOutcome o) { done.set_value(std::move(o)); });
  return done.get_future().get();
}

// One attempt to a receiver that misbehaves at the byte level: a bare socket on a free loopback
// port whose one connection `serve` handles (the request is read first, the connection closed
// after), then the attempt's outcome.
HttpOutcome PostToRawReceiver(const std::string& scheme, absl::Duration timeout,
                              std::function<void(int connection)> serve) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread server([fd, &serve] {
    const int c = accept(fd, nullptr, nullptr);
    if (c < 0) return;
    serve(c);
    close(c);
  });
  auto policy = OutboundPolicy::Parse("127.0.0.1");
  EXPECT_TRUE(policy.ok());
  HttpSender sender(*policy, {});
  HttpOutcome o = PostAndWait(
      sender, absl::StrCat(scheme, "://127.0.0.1:", ntohs(addr.sin_port), "/"), timeout);
  server.join();
  close(fd);
  return o;
}

std::string ReadRequest(int connection) {
  char request[4096];
  const ssize_t n = read(connection, request, sizeof(request));
  return n > 0 ? std::string(request, static_cast<size_t>(n)) : "";
}

void Send(int connection, const std::string& bytes) {
  (void)!send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

TEST(HttpSender, PostsTheBodyAndHeadersAndReportsTheStatus) {
  HttpReceiver receiver([](const ReceivedRequest&) { return Answer{.status = 202}; });
  auto policy = OutboundPolicy::Parse("127.0.0.1");
  ASSERT_TRUE(policy.ok());
  HttpSender sender(*policy, {});
  HttpOutcome o = PostAndWait(sender, receiver.Url("/in?a=b"), absl::Seconds(5));
  EXPECT_EQ(o.status_code, 202);
  EXPECT_TRUE(o.error.empty()) << o.error;
  ASSERT_EQ(receiver.Requests().size(), 1u);
  const ReceivedRequest r = receiver.Requests()[0];
  EXPECT_EQ(r.target, "/in?a=b");
  EXPECT_EQ(r.body, R"({"x":1})");
  EXPECT_EQ(r.Header("webhook-id"), "d-1");
  EXPECT_EQ(r.Header("host"), absl::StrCat("127.0.0.1:", receiver.port()));
}

TEST(HttpSender, RefusesANameThatResolvesToAnAddressNotAllowed) {
  HttpReceiver receiver;
  auto policy = OutboundPolicy::Parse("");  // loopback not allowed
  ASSERT_TRUE(policy.ok());
  HttpSender sender(*policy, {});
  HttpOutcome o = PostAndWait(sender, absl::StrCat("http://localhost:", receiver.port(), "/"),
                              absl::Seconds(5));
  EXPECT_EQ(o.status_code, 0);
  EXPECT_TRUE(absl::StartsWith(o.error, "refused: localhost resolves to")) << o.error;
  EXPECT_TRUE(receiver.Requests().empty());
}

TEST(HttpSender, AnAttemptEndsAtItsDeadline) {
  HttpReceiver receiver([](const ReceivedRequest&) { return Answer{.delay = absl::Seconds(5)}; });
  auto policy = OutboundPolicy::Parse("127.0.0.1");
  ASSERT_TRUE(policy.ok());
  HttpSender sender(*policy, {});
  const absl::Time start = absl::Now();
  HttpOutcome o = PostAndWait(sender, receiver.Url("/"), absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(o.status_code, 0);
  EXPECT_TRUE(absl::StartsWith(o.error, "timed out")) << o.error;
}

// A receiver that answers 200 at once and then sends its body a byte at a time (or would never
// end it) has answered: the attempt ends with the head, well before its deadline.
TEST(HttpSender, TheStatusDecidesOnceTheHeadArrivesWhateverTheBodyDoes) {
  HttpOutcome o = PostToRawReceiver("http", absl::Seconds(1), [](int c) {
    ReadRequest(c);
    Send(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 30; ++i) {  // until the client hangs up
      absl::SleepFor(absl::Milliseconds(100));
      if (send(c, "1\r\na\r\n", 6, MSG_NOSIGNAL) < 0) break;
    }
  });
  EXPECT_EQ(o.status_code, 200);
  EXPECT_TRUE(o.error.empty()) << o.error;
  EXPECT_LT(o.latency, absl::Milliseconds(900));
}

// A 200 declaring a body of any size has answered 200: the body is not read (found from
// outside: 9 MB was "body limit exceeded", and the event was sent again and again).
TEST(HttpSender, AnAnswerDeclaringAHugeBodyHasStillAnswered) {
  HttpOutcome o = PostToRawReceiver("http", absl::Seconds(5), [](int c) {
    ReadRequest(c);
    Send(c, "HTTP/1.1 200 OK\r\nContent-Length: 52428800\r\n\r\n");
    absl::SleepFor(absl::Milliseconds(200));
  });
  EXPECT_EQ(o.status_code, 200);
  EXPECT_TRUE(o.error.empty()) << o.error;
}

// An IPv6 literal, an IPv4-mapped one too, is written in brackets in the Host header.
TEST(HttpSender, AnIpv6ReceiverIsNamedInBracketsInTheHostHeader) {
  std::string host;
  const int fd = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_any;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin6_port);
  std::thread server([fd, &host] {
    const int c = accept(fd, nullptr, nullptr);
    if (c < 0) return;
    const std::string request = ReadRequest(c);
    const size_t at = request.find("Host: ");
    if (at != std::string::npos) host = request.substr(at + 6, request.find("\r\n", at) - at - 6);
    Send(c, "HTTP/1.1 204 No Content\r\n\r\n");
    close(c);
  });
  auto policy = OutboundPolicy::Parse("127.0.0.1");
  ASSERT_TRUE(policy.ok());
  HttpSender sender(*policy, {});
  HttpOutcome o =
      PostAndWait(sender, absl::StrCat("http://[::ffff:127.0.0.1]:", port, "/"), absl::Seconds(5));
  server.join();
  close(fd);
  EXPECT_EQ(o.status_code, 204) << o.error;
  EXPECT_EQ(host, absl::StrCat("[::ffff:127.0.0.1]:", port));
}

// Interim answers come before the final one (RFC 9110, 15.2): the final status decides; a
// receiver that sends nothing but interim answers has not answered.
TEST(HttpSender, InterimAnswersAreReadPastToTheFinalOne) {
  for (const int interim : {2, 9}) {
    HttpOutcome o = PostToRawReceiver("http", absl::Seconds(5), [interim](int c) {
      ReadRequest(c);
      std::string answer;
      for (int i = 0; i < interim; ++i) {
        answer += i % 2 ? "HTTP/1.1 100 Continue\r\n\r\n"
                        : "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
      }
      Send(c, answer + "HTTP/1.1 204 No Content\r\n\r\n");
      absl::SleepFor(absl::Milliseconds(200));
    });
    EXPECT_EQ(o.status_code, interim <= 8 ? 204 : 103) << interim;
  }
}

TEST(HttpSender, HttpsToAReceiverWithoutTlsFailsTheHandshake) {
  // A server that answers every connection at once in plain HTTP, as a misconfigured https
  // endpoint would: the client's handshake reads bytes that are not TLS.
  HttpOutcome o = PostToRawReceiver("https", absl::Seconds(5), [](int c) {
    Send(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    absl::SleepFor(absl::Milliseconds(200));
  });
  EXPECT_EQ(o.status_code, 0);
  EXPECT_TRUE(absl::StrContains(o.error, "TLS handshake failed")) << o.error;
}

TEST(HttpSender, AConnectionRefusedIsAnError) {
  int port = 0;
  {
    HttpReceiver closed;  // bound, then closed: nothing listens there now
    port = closed.port();
  }
  auto policy = OutboundPolicy::Parse("127.0.0.1");
  ASSERT_TRUE(policy.ok());
  HttpSender sender(*policy, {});
  HttpOutcome o =
      PostAndWait(sender, absl::StrCat("http://127.0.0.1:", port, "/"), absl::Seconds(5));
  EXPECT_EQ(o.status_code, 0);
  EXPECT_TRUE(absl::StartsWith(o.error, "cannot connect")) << o.error;
}

}  // namespace
}  // namespace itsm::webhooks
