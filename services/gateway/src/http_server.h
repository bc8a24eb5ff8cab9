// An HTTP/1.1 server on Boost.Beast: keep-alive, a small pool of threads running one
// io_context, and the limits that keep slow or greedy clients from holding it — a maximum of
// connections, of header and body bytes, and timeouts while idle, while reading a request's
// head and while reading its body or writing the answer. What a request means is the
// handler's business; this class only parses and writes HTTP (all of it Beast's code).
//
// With a certificate (HttpTlsOptions) it serves HTTPS instead, TLS 1.2 and 1.3 only with forward-
// secret AEAD ciphers (Mozilla's "intermediate" profile), and keep-alive as over HTTP. The
// certificate and key files are looked at (one stat each) at most once per check interval, on
// the next accepted connection: when they changed, they are loaded into a new TLS context that
// new connections use, while open ones keep theirs; a pair that does not load (half written,
// key and certificate not matching) is logged and counted, and the last good one stays. A client
// speaking plain HTTP to the HTTPS port gets a plain 400 saying so, on its own connection: it
// holds up no other (every step is asynchronous, and the TLS handshake has the head's timeout).
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
#include "itsm/runtime/config.h"
#include "prometheus/registry.h"

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
  // Why a stream's connection ended.
  enum class End {
    kGone,     // the client closed it, a write failed, or the server stops
    kStalled,  // a piece was not taken by the client within StallTimeout()
  };
  virtual ~StreamingBody() = default;
  // Asks for the next piece: `deliver` is called once, from any thread, with bytes, or with
  // nullopt to end the body. Not called again before `deliver` has run.
  virtual void Next(std::function<void(std::optional<std::string>)> deliver) = 0;
  // How long one piece may take to reach the client: the write deadline of each piece (the
  // server's body timeout is for requests, and a stream's client may be given more or less).
  virtual absl::Duration StallTimeout() const = 0;
  // The connection is gone: no more Next. Called once, on any thread, possibly while a Next is
  // outstanding.
  virtual void Closed(End why) = 0;
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

// HTTPS: the server's certificate from files (PEM), re-read when they change.
struct HttpTlsOptions {
  std::string cert_file = {};   // the certificate, optionally followed by its intermediates
  std::string key_file = {};    // its private key
  std::string chain_file = {};  // optional: intermediates kept in a file of their own
  // How often, at most, the files' modification is looked at (on an accepted connection).
  absl::Duration reload_check_interval = absl::Seconds(1);
  bool enabled() const { return !cert_file.empty(); }
};

// The HttpTlsOptions of the gateway's tls_cert_file, tls_key_file, tls_chain_file and
// tls_reload_check_ms (declared in gateway_service_info.cc).
HttpTlsOptions HttpsOptionsFrom(const runtime::Config& config);

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8080;  // 0 picks a free port (see port())
  int threads = 2;
  int max_connections = 1000;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  // From the end of the previous answer to the next request's first byte.
  absl::Duration idle_timeout = absl::Seconds(60);
  // From a request's first byte to the end of its head, and from the connection's start to its
  // first request's first byte: a client dribbling headers (slowloris), or sending nothing, is
  // cut off here.
  absl::Duration header_timeout = absl::Seconds(10);
  // To read a body, and to write an answer.
  absl::Duration body_timeout = absl::Seconds(30);
  // HTTPS when enabled(); plain HTTP otherwise. The TLS handshake must end within header_timeout.
  HttpTlsOptions tls = {};
  // Where the TLS metrics go (certificate reloads and expiry, failed handshakes); none if null:
  //   itsm_gateway_tls_certificate_reloads_total{result="ok|error"}
  //   itsm_gateway_tls_certificate_expiry_timestamp_seconds   the served certificate's notAfter
  //   itsm_gateway_tls_handshake_failures_total{reason="plaintext|handshake"}
  prometheus::Registry* metrics = nullptr;
};

class CertificateStore;

class HttpServer {
 public:
  // Binds and starts serving on its own threads. UNAVAILABLE when the address cannot be bound;
  // INVALID_ARGUMENT, naming the file, when TLS is on and its certificate or key cannot be loaded.
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
  void StartSession(boost::asio::ip::tcp::socket socket, bool over_limit);

  const HttpServerOptions options_;
  HttpHandler& handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // Shared with the sessions, which may outlive a stop by a moment.
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
  // Null without TLS. Used on the acceptor's strand only.
  std::unique_ptr<CertificateStore> certificates_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_HTTP_SERVER_H_
