// The gateway's HTTP server when answers come from another thread, as the services' answers do
// (from the gateway's completion threads, handed to the connection's strand): kept-alive
// connections answered many times, pipelined requests answered in order, and an answer larger than
// the socket takes at once, to a client that does not read, holding up no other connection and
// arriving whole once the client reads.
#include "services/gateway/src/http_server.h"

#include <array>
#include <deque>
#include <functional>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "boost/asio/connect.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"
#include "services/gateway/tests/http_client.h"

namespace itsm::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// Runs answers on a thread of its own, in order.
class AnswerThread {
 public:
  AnswerThread() : thread_([this] { Loop(); }) {}
  ~AnswerThread() { Stop(); }
  // Runs what is queued, then joins the thread; the answers' responders (each holding its
  // connection) are gone when it returns.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }
  void Post(std::function<void()> answer) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(answer));
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> next;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]()
                         ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      next();
    }
  }
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The body of `/size/<n>`: n bytes of a repeating pattern (a lost or repeated piece shows).
std::string Pattern(size_t n) {
  std::string body(n, ' ');
  for (size_t i = 0; i < n; ++i) body[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return body;
}

// Answers each request from the answer thread: `/size/<n>` with Pattern(n), anything else with
// its target.
class LaterHandler final : public HttpHandler {
 public:
  void Handle(HttpRequest request, Responder respond) override {
    answers_.Post([request = std::move(request), respond = std::move(respond)] {
      HttpResponse response(http::status::ok, request.version());
      const std::string target(request.target());
      size_t size = 0;
      if (target.rfind("/size/", 0) == 0 && absl::SimpleAtoi(target.substr(6), &size)) {
        response.body() = Pattern(size);
      } else {
        response.body() = target;
      }
      respond(std::move(response));
    });
  }
  HttpResponse Refusal(http::status status, std::string message) override {
    HttpResponse response(status, 11);
    response.body() = std::move(message);
    return response;
  }
  // Before the server stops: a responder must not outlive it.
  void Stop() { answers_.Stop(); }

 private:
  AnswerThread answers_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = HttpServer::Start({.port = 0}, handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    handler_.Stop();
    server_->Stop();
  }

  tcp::socket Connect() {
    tcp::socket socket(io_);
    socket.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->port())));
    return socket;
  }

  LaterHandler handler_;
  std::unique_ptr<HttpServer> server_;
  asio::io_context io_;
};

TEST_F(HttpServerTest, AKeptAliveConnectionIsAnsweredFromAnotherThreadRequestAfterRequest) {
  testing::HttpClient client("127.0.0.1", server_->port());
  for (int i = 0; i < 300; ++i) {
    const std::string target = absl::StrCat("/request/", i);
    testing::HttpAnswer answer = client.Send("GET", target);
    ASSERT_EQ(answer.status, 200) << i;
    ASSERT_EQ(answer.body, target);
    ASSERT_FALSE(answer.closed);
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  tcp::socket socket = Connect();
  std::string requests;
  for (int i = 0; i < 5; ++i) {
    absl::StrAppend(&requests, "GET /pipelined/", i, " HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  asio::write(socket, asio::buffer(requests));
  beast::flat_buffer buffer;
  for (int i = 0; i < 5; ++i) {
    http::response<http::string_body> response;
    beast::error_code ec;
    http::read(socket, buffer, response, ec);
    ASSERT_FALSE(ec) << i << ": " << ec.message();
    EXPECT_EQ(response.body(), absl::StrCat("/pipelined/", i));
  }
}

// RFC 9112 3.2: an HTTP/1.1 request without a Host, or with two, is a 400, never served.
TEST_F(HttpServerTest, AnHttp11RequestNamesExactlyOneHost) {
  for (const char* head :
       {"GET /nohost HTTP/1.1\r\n\r\n", "GET /twohosts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"}) {
    tcp::socket socket = Connect();
    asio::write(socket, asio::buffer(std::string(head)));
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    beast::error_code ec;
    http::read(socket, buffer, response, ec);
    ASSERT_FALSE(ec) << head << ec.message();
    EXPECT_EQ(response.result(), http::status::bad_request) << head;
    EXPECT_EQ(response.body().find("/nohost"), std::string::npos);
  }
}

TEST_F(HttpServerTest, ALargeAnswerToAClientNotReadingHoldsUpNoOneAndArrivesWhole) {
  constexpr size_t kLarge = 32 * 1024 * 1024;  // far more than loopback's socket buffers
  tcp::socket slow = Connect();
  asio::write(slow,
              asio::buffer(absl::StrCat("GET /size/", kLarge, " HTTP/1.1\r\nHost: x\r\n\r\n")));
  // Meanwhile another connection is answered, request after request.
  absl::SleepFor(absl::Milliseconds(200));  // the large answer is written and stuck by now
  testing::HttpClient other("127.0.0.1", server_->port());
  const absl::Time start = absl::Now();
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(other.Send("GET", "/other").status, 200) << i;
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "a stuck answer held up another connection";

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kLarge + 1);
  beast::error_code ec;
  http::read(slow, buffer, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.get().body() == Pattern(kLarge)) << "the large answer arrived damaged";
  // The connection is still kept alive after an answer written in several steps.
  asio::write(slow, asio::buffer(std::string("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")));
  http::response<http::string_body> after;
  http::read(slow, buffer, after, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(after.body(), "/after");
}

// An answer to HEAD carries its head only, whatever the handler put in its body: body bytes
// would be read as the next answer on the kept-alive connection.
TEST_F(HttpServerTest, AnAnswerToHeadHasNoBodyAndTheConnectionStaysInStep) {
  tcp::socket socket = Connect();
  asio::write(socket, asio::buffer(std::string("HEAD /first HTTP/1.1\r\nHost: x\r\n\r\n"
                                               "GET /second HTTP/1.1\r\nHost: x\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> head;
  head.skip(true);  // the answer to a HEAD: Content-Length counts no bytes that follow
  beast::error_code ec;
  http::read(socket, buffer, head, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(head.get().result_int(), 200);
  EXPECT_EQ(head.get()[http::field::content_length], "6");  // "/first", as a GET would have
  http::response<http::string_body> second;
  http::read(socket, buffer, second, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(second.body(), "/second");
}

// A chunk's header line is not counted by the body's limit: one that never ends is refused once
// the buffer's bound is reached, instead of growing the server's memory while it lasts.
TEST_F(HttpServerTest, AnEndlessChunkHeaderIsRefusedNotBuffered) {
  tcp::socket socket = Connect();
  asio::write(socket, asio::buffer(std::string("POST /chunked HTTP/1.1\r\nHost: x\r\n"
                                               "Transfer-Encoding: chunked\r\n\r\n1;")));
  const std::string filler(64 * 1024, 'x');
  beast::error_code ec;
  size_t sent = 0;
  // The server reads at most its bound (the head limit and one read of 64 KiB) before refusing;
  // 4 MiB more than that would be kept in memory by a server without the bound.
  while (sent < 4 * 1024 * 1024) {
    sent += asio::write(socket, asio::buffer(filler), ec);
    if (ec) break;  // the server closed after refusing: what it answered is still readable
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> answer;
  http::read(socket, buffer, answer, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(answer.result_int(), 400);
  EXPECT_NE(answer.body().find("chunk header or trailer"), std::string::npos) << answer.body();
}

// Reads one answer, then whether the server closed the connection after it (nothing more comes).
struct AnswerAndClose {
  int status = 0;
  std::string body;
  bool closed = false;
};
AnswerAndClose ReadAnswerAndClose(tcp::socket& socket) {
  AnswerAndClose out;
  beast::flat_buffer buffer;
  http::response<http::string_body> answer;
  beast::error_code ec;
  http::read(socket, buffer, answer, ec);
  if (ec) return out;
  out.status = answer.result_int();
  out.body = answer.body();
  char byte = 0;
  asio::read(socket, asio::buffer(&byte, 1), ec);
  out.closed = ec == asio::error::eof || ec == asio::error::connection_reset;
  return out;
}

// A body framed in a way Beast does not read (it would take it for the next request, as a proxy
// reading it otherwise would not) is refused with 501 and the connection closed: no request
// smuggled behind it is answered.
TEST_F(HttpServerTest, ATransferEncodingOtherThanChunkedIsRefusedAndTheConnectionClosed) {
  for (const std::string coding :
       {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: xchunked\r\n",
        // Beast refuses chunked given twice itself, as a malformed request (400).
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"}) {
    tcp::socket socket = Connect();
    asio::write(socket, asio::buffer("POST /first HTTP/1.1\r\nHost: x\r\n" + coding +
                                     "\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"));
    const AnswerAndClose answer = ReadAnswerAndClose(socket);
    EXPECT_TRUE(answer.status == 501 || answer.status == 400) << coding << answer.status;
    EXPECT_EQ(answer.body.find("/smuggled"), std::string::npos) << answer.body;
    if (answer.status == 501) {
      EXPECT_NE(answer.body.find("only chunked"), std::string::npos) << answer.body;
    }
    EXPECT_TRUE(answer.closed) << coding;
  }
  // Chunked, in any case and with spaces around it, is read as chunked.
  tcp::socket socket = Connect();
  asio::write(socket, asio::buffer(std::string("POST /chunked HTTP/1.1\r\nHost: x\r\n"
                                               "Transfer-Encoding:  Chunked \r\n\r\n"
                                               "2\r\nab\r\n0\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response<http::string_body> answer;
  http::read(socket, buffer, answer);
  EXPECT_EQ(answer.result_int(), 200);
  EXPECT_EQ(answer.body(), "/chunked");
}

// A field in a chunked body's trailer is not a header (RFC 9110 6.5.1): an If-Match there would
// be applied here and not by a proxy reading the head (found from outside). Refused.
TEST_F(HttpServerTest, TrailerFieldsAreRefused) {
  tcp::socket socket = Connect();
  asio::write(socket, asio::buffer(std::string("PATCH /trailer HTTP/1.1\r\nHost: x\r\n"
                                               "Transfer-Encoding: chunked\r\n\r\n"
                                               "2\r\nab\r\n0\r\nIf-Match: \"7\"\r\n\r\n")));
  const AnswerAndClose answer = ReadAnswerAndClose(socket);
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("trailer"), std::string::npos) << answer.body;
  EXPECT_EQ(answer.body.find("/trailer"), std::string::npos) << answer.body;
}

TEST_F(HttpServerTest, AnExpectationOtherThan100ContinueIsRefused) {
  tcp::socket socket = Connect();
  asio::write(socket, asio::buffer(std::string("POST /x HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n"
                                               "Content-Length: 2\r\n\r\nab")));
  const AnswerAndClose answer = ReadAnswerAndClose(socket);
  EXPECT_EQ(answer.status, 417);
  EXPECT_TRUE(answer.closed);
}

// A connection that sends nothing is closed after header_timeout, not after the idle time a
// kept-alive connection gets between its requests.
TEST(HttpServerTimeouts, ASilentNewConnectionIsClosedAfterTheHeaderTimeout) {
  LaterHandler handler;
  auto server = HttpServer::Start(
      {.port = 0, .idle_timeout = absl::Seconds(60), .header_timeout = absl::Milliseconds(300)},
      handler);
  ASSERT_TRUE(server.ok()) << server.status();
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>((*server)->port())));
  const absl::Time start = absl::Now();
  char byte = 0;
  beast::error_code ec;
  asio::read(socket, asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  handler.Stop();
  (*server)->Stop();
}

// A streamed answer of one large piece (`/stream/<n>`: Pattern(n)) with a stall timeout of 1 s;
// it records why its connection ended.
class OnePieceStream final : public StreamingBody {
 public:
  explicit OnePieceStream(size_t size) : piece_(Pattern(size)) {}
  void Next(std::function<void(std::optional<std::string>)> deliver) override {
    if (piece_.empty()) return deliver(std::nullopt);
    deliver(std::exchange(piece_, std::string()));
  }
  absl::Duration StallTimeout() const override { return absl::Seconds(1); }
  void Closed(End why) override {
    absl::MutexLock lock(&mu_);
    ended_ = why;
  }
  std::optional<End> ended() {
    absl::MutexLock lock(&mu_);
    return ended_;
  }

 private:
  std::string piece_;
  absl::Mutex mu_;
  std::optional<End> ended_ ABSL_GUARDED_BY(mu_);
};

class StreamHandler final : public HttpHandler {
 public:
  explicit StreamHandler(size_t size) : body(std::make_shared<OnePieceStream>(size)) {}
  void Handle(HttpRequest, Responder) override {}
  void HandleStreaming(HttpRequest request, Responder, StreamResponder stream) override {
    stream(HttpResponse(http::status::ok, request.version()), body);
  }
  HttpResponse Refusal(http::status status, std::string) override {
    return HttpResponse(status, 11);
  }
  const std::shared_ptr<OnePieceStream> body;
};

// The stall timeout is for a client that takes nothing that long: one that reads a piece far
// larger than the socket buffers slowly but steadily (4 MiB at about 1 MiB/s, 1 s timeout) gets
// all of it; one that stops reading is cut off as stalled.
TEST(HttpServerStreams, AStreamIsCutOffForTakingNothingNotForTakingItsTime) {
  constexpr size_t kPiece = 4 * 1024 * 1024;
  for (const bool reads : {true, false}) {
    StreamHandler handler(kPiece);
    auto server = HttpServer::Start({.port = 0}, handler);
    ASSERT_TRUE(server.ok()) << server.status();
    asio::io_context io;
    tcp::socket socket(io);
    socket.open(tcp::v4());
    socket.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                 static_cast<uint16_t>((*server)->port())));
    asio::write(socket,
                asio::buffer(absl::StrCat("GET /stream/", kPiece, " HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string received;
    std::array<char, 16 * 1024> buffer;
    beast::error_code ec;
    const absl::Time start = absl::Now();
    while (!ec && absl::Now() - start < absl::Seconds(20)) {
      if (!reads && received.size() > 0) {
        absl::SleepFor(absl::Milliseconds(100));
        if (handler.body->ended().has_value()) break;
        continue;
      }
      received.append(buffer.data(), socket.read_some(asio::buffer(buffer), ec));
      absl::SleepFor(absl::Milliseconds(15));  // about 1 MiB/s
    }
    if (reads) {
      EXPECT_TRUE(absl::StrContains(received, Pattern(kPiece))) << received.size() << " bytes";
      EXPECT_NE(handler.body->ended(), StreamingBody::End::kStalled);
    } else {
      EXPECT_EQ(handler.body->ended(), StreamingBody::End::kStalled);
      EXPECT_LT(absl::Now() - start, absl::Seconds(10));
    }
    (*server)->Stop();
  }
}

}  // namespace
}  // namespace itsm::gateway
