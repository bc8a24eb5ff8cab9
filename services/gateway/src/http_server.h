// An HTTP/1.1 server on Boost.Beast: keep-alive, a small pool of threads running one
// io_context, and the limits that keep slow or greedy clients from holding it — a maximum of
// connections, of header and body bytes, and timeouts while idle, while reading a request's
// head and while reading its body or writing the answer. What a request means is the
// handler's business; this class only parses and writes HTTP (all of it Beast's code).
//
//   auto server = HttpServer::Start({.port = 0}, gateway);  // gateway implements HttpHandler
//   ... (*server)->port() ...
//   (*server)->StopAccepting(); ...; (*server)->Stop();
#ifndef ITSM_SERVICES_GATEWAY_SRC_HTTP_SERVER_H_
#define ITSM_SERVICES_GATEWAY_SRC_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/http.hpp"

namespace itsm::gateway {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
// Answers a request; callable once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// A response body written as it is produced (Server-Sent Events): after the head (chunked
// encoding, connection closed at the end), the server asks for one piece at a time and writes
// each as a chunk before asking for the next, so a slow client holds at most one piece here.
class StreamingBody {
 public:
  virtual ~StreamingBody() = default;
  // Asks for the next piece: `deliver` is called once, from any thread, with bytes, or with
  // nullopt to end the body. Not called again before `deliver` has run.
  virtual void Next(std::function<void(std::optional<std::string>)> deliver) = 0;
  // The connection is gone (client closed, a write timed out, the server stops): no more Next.
  // Called once, on any thread, possibly while a Next is outstanding.
  virtual void Closed() = 0;
};
// Answers a request with a head and a streamed body; callable once, from any thread.
using StreamResponder = std::function<void(HttpResponse head, std::shared_ptr<StreamingBody> body)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on a server thread; may answer later, from another thread (e.g. a gRPC callback).
  virtual void Handle(HttpRequest request, Responder respond) = 0;
  // What the server calls: a handler that streams some answers answers those with `stream`,
  // the others with `respond` (one of the two, once). By default everything goes to Handle.
  virtual void HandleStreaming(HttpRequest request, Responder respond, StreamResponder stream) {
    (void)stream;
    Handle(std::move(request), std::move(respond));
  }
  // The answer to a request refused before it was read whole (`status` is 400, 413, 431 or
  // 503); the server closes the connection after writing it. (A request too slow to arrive gets
  // no answer: the timeout closes the connection.)
  virtual HttpResponse Refusal(boost::beast::http::status status, std::string message) = 0;
};

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;  // 0 picks a free port (see port())
  int threads = 2;
  int max_connections = 1000;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  // From the end of the previous answer (or the connection's start) to a request's first byte.
  absl::Duration idle_timeout = absl::Seconds(60);
  // From a request's first byte to the end of its head: a client dribbling headers (slowloris)
  // is cut off here.
  absl::Duration header_timeout = absl::Seconds(10);
  // To read a body, and to write an answer.
  absl::Duration body_timeout = absl::Seconds(30);
};

class HttpServer {
 public:
  // Binds and starts serving on its own threads. UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler& handler);
  ~HttpServer();

  int port() const { return port_; }
  // Open connections now (the gauge itsm_gateway_http_connections reads it).
  int connections() const { return connections_->load(); }
  // Closes the listening socket: no new connection; requests on open ones are still served.
  void StopAccepting();
  // Stops the threads; open connections are dropped. Answers still pending must have been
  // given before (the gateway waits for its calls in flight first).
  void Stop();

 private:
  HttpServer(const HttpServerOptions& options, HttpHandler& handler);
  void Accept();

  const HttpServerOptions options_;
  HttpHandler& handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // Shared with the sessions, which may outlive a stop by a moment.
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
  std::vector<std::thread> threads_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_HTTP_SERVER_H_
