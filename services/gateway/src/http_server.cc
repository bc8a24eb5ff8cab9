#include "services/gateway/src/http_server.h"

#include <array>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "itsm/runtime/logging.h"

namespace itsm::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// The kernel's send buffer of a connection carrying a streamed answer.
constexpr int kStreamSendBufferBytes = 64 * 1024;

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return absl::ToChronoMilliseconds(d);
}

// One connection: read a request, hand it over, write the answer, and again while kept alive.
// Requests of one connection are answered in order, one at a time (pipelined requests wait in
// the buffer). Every step runs on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, HttpHandler& handler,
          std::shared_ptr<std::atomic<int>> connections)
      : stream_(std::move(socket)),
        options_(options),
        handler_(handler),
        connections_(std::move(connections)) {}
  ~Session() {
    if (body_ != nullptr) body_->Closed();  // the server stopped with the stream open
    connections_->fetch_sub(1);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }

  // Over the connection limit: one 503 and the connection closes.
  void Refuse(http::status status, std::string message) {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this(), status, message = std::move(message)]() mutable {
                     self->RefuseNow(status, std::move(message));
                   });
  }

 private:
  void WaitForRequest() {
    if (buffer_.size() > 0) {  // a pipelined request already arrived
      ReadHeader();
      return;
    }
    stream_.expires_after(ToSteady(options_.idle_timeout));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec)
                                return self->Close();  // idle timeout, or the client went away
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(ToSteady(options_.header_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return ReadFailed(ec);
    const auto& head = parser_->get();
    if (parser_->content_length() && *parser_->content_length() > options_.max_body_bytes) {
      return RefuseNow(http::status::payload_too_large,
                       absl::StrCat("the request body is larger than ", options_.max_body_bytes,
                                    " bytes (max_body_bytes)"));
    }
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     head.version());
      stream_.expires_after(ToSteady(options_.body_timeout));
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(ToSteady(options_.body_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->ReadFailed(ec);
                       self->Dispatch();
                     });
  }

  void ReadFailed(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    // The stream closed the socket when its timer expired: there is no one left to answer.
    if (ec == beast::error::timeout) return Close();
    if (ec == http::error::body_limit) {
      return RefuseNow(http::status::payload_too_large,
                       absl::StrCat("the request body is larger than ", options_.max_body_bytes,
                                    " bytes (max_body_bytes)"));
    }
    if (ec == http::error::header_limit) {
      return RefuseNow(http::status::request_header_fields_too_large,
                       absl::StrCat("the request head is larger than ", options_.max_header_bytes,
                                    " bytes (max_header_bytes)"));
    }
    RefuseNow(http::status::bad_request, absl::StrCat("malformed HTTP request: ", ec.message()));
  }

  void Dispatch() {
    HttpRequest request = parser_->release();
    keep_alive_ = request.keep_alive();
    handler_.HandleStreaming(
        std::move(request),
        [self = shared_from_this()](HttpResponse response) {
          asio::post(self->stream_.get_executor(),
                     [self, response = std::move(response)]() mutable {
                       self->Write(std::move(response), self->keep_alive_);
                     });
        },
        [self = shared_from_this()](HttpResponse head, std::shared_ptr<StreamingBody> body) {
          asio::post(self->stream_.get_executor(),
                     [self, head = std::move(head), body = std::move(body)]() mutable {
                       self->WriteStreamHead(std::move(head), std::move(body));
                     });
        });
  }

  // A streamed answer: the head with chunked encoding, then each piece the body gives as a
  // chunk, until it ends or the connection does. The connection is not reused afterwards. A
  // read stays posted meanwhile so that a client going away is noticed between pieces.
  void WriteStreamHead(HttpResponse head, std::shared_ptr<StreamingBody> body) {
    body_ = std::move(body);
    // The kernel would buffer up to megabytes for a client that stops reading (send-buffer
    // autotuning): a small buffer lets the body's own bound, and its stall detection, hold.
    beast::error_code ignored;
    stream_.socket().set_option(asio::socket_base::send_buffer_size(kStreamSendBufferBytes),
                                ignored);
    auto message =
        std::make_shared<http::response<http::empty_body>>(head.result(), head.version());
    for (const auto& field : head) message->set(field.name_string(), field.value());
    message->keep_alive(false);
    message->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*message);
    stream_.expires_after(ToSteady(options_.body_timeout));
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), message, serializer](beast::error_code ec, size_t) {
          if (ec) return self->EndStream();
          self->stream_.expires_never();
          self->WatchStreamClient();
          self->NextPiece();
        });
  }
  void WatchStreamClient() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->EndStream();  // gone (or it sent a FIN)
                              self->WatchStreamClient();         // bytes after the request: ignored
                            });
  }
  void NextPiece() {
    if (body_ == nullptr) return;
    body_->Next([self = shared_from_this()](std::optional<std::string> piece) {
      asio::post(self->stream_.get_executor(), [self, piece = std::move(piece)]() mutable {
        self->WritePiece(std::move(piece));
      });
    });
  }
  void WritePiece(std::optional<std::string> piece) {
    if (body_ == nullptr) return;  // the connection ended meanwhile
    stream_.expires_after(ToSteady(options_.body_timeout));
    if (!piece.has_value()) {
      asio::async_write(
          stream_, http::make_chunk_last(),
          [self = shared_from_this()](beast::error_code, size_t) { self->EndStream(); });
      return;
    }
    if (piece->empty()) return NextPiece();  // an empty chunk would end the body
    auto bytes = std::make_shared<std::string>(std::move(*piece));
    asio::async_write(stream_, http::make_chunk(asio::buffer(*bytes)),
                      [self = shared_from_this(), bytes](beast::error_code ec, size_t) {
                        if (ec) return self->EndStream();
                        self->stream_.expires_never();
                        self->NextPiece();
                      });
  }
  void EndStream() {
    if (stream_ended_) return;
    stream_ended_ = true;
    if (body_ != nullptr) std::exchange(body_, nullptr)->Closed();
    Close();
  }

  void RefuseNow(http::status status, std::string message) {
    Write(handler_.Refusal(status, std::move(message)), /*keep_alive=*/false);
  }

  void Write(HttpResponse response, bool keep_alive) {
    auto message = std::make_shared<HttpResponse>(std::move(response));
    message->keep_alive(keep_alive);
    message->prepare_payload();
    stream_.expires_after(ToSteady(options_.body_timeout));
    http::async_write(
        stream_, *message,
        [self = shared_from_this(), message, keep_alive](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          if (!keep_alive) return self->LingerAndClose();
          self->WaitForRequest();
        });
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // answer just written before the client reads it (a 413 to a client still sending its large
  // body): stop sending, drain what still comes for a moment, then close.
  void LingerAndClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }
  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();  // end of input, or the linger ended
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions& options_;
  HttpHandler& handler_;
  std::shared_ptr<std::atomic<int>> connections_;
  bool keep_alive_ = false;
  std::array<char, 4096> drain_;
  // The streamed answer being written, if any.
  std::shared_ptr<StreamingBody> body_;
  bool stream_ended_ = false;
};

}  // namespace

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler& handler)
    : options_(options), handler_(handler), acceptor_(asio::make_strand(io_)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler& handler) {
  auto server = std::unique_ptr<HttpServer>(new HttpServer(options, handler));
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.bind_address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("bind address ", options.bind_address, ": ", ec.message()));
  }
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(options.port));
  auto& acceptor = server->acceptor_;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.bind_address, ":",
                                               options.port, ": ", ec.message()));
  }
  server->port_ = acceptor.local_endpoint().port();
  server->Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    server->threads_.emplace_back([s = server.get()] { s->io_.run(); });
  }
  return server;
}

void HttpServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopping
      runtime::log::Warn("cannot accept a connection", {{"error", ec.message()}});
    } else {
      const int open = connections_->fetch_add(1) + 1;
      socket.set_option(tcp::no_delay(true), ec);
      auto session = std::make_shared<Session>(std::move(socket), options_, handler_, connections_);
      if (open > options_.max_connections) {
        session->Refuse(boost::beast::http::status::service_unavailable,
                        absl::StrCat("the gateway has ", options_.max_connections,
                                     " connections open (max_connections); retry later"));
      } else {
        session->Start();
      }
    }
    Accept();
  });
}

void HttpServer::StopAccepting() {
  asio::dispatch(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
}

void HttpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  StopAccepting();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

HttpServer::~HttpServer() { Stop(); }

}  // namespace itsm::gateway
