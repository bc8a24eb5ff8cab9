#include "services/gateway/src/http_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <array>
#include <iterator>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/ssl.hpp"
#include "itsm/base/openssl_handles.h"
#include "itsm/runtime/logging.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"

namespace itsm::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// The TLS context new connections get, re-made when the certificate files change. Only the
// acceptor's strand calls Current(), so it needs no lock; a session keeps the context it was
// given (shared) for as long as it lives.
class CertificateStore {
 public:
  CertificateStore(HttpTlsOptions options, prometheus::Registry* metrics)
      : options_(std::move(options)) {
    if (metrics == nullptr) return;
    auto& reloads = prometheus::BuildCounter()
                        .Name("itsm_gateway_tls_certificate_reloads_total")
                        .Help(
                            "Loads of the HTTPS certificate and key files after they changed, "
                            "by result (error: the previous certificate is still served).")
                        .Register(*metrics);
    reload_ok_ = &reloads.Add({{"result", "ok"}});
    reload_error_ = &reloads.Add({{"result", "error"}});
    expiry_ = &prometheus::BuildGauge()
                   .Name("itsm_gateway_tls_certificate_expiry_timestamp_seconds")
                   .Help("When the HTTPS certificate being served expires (Unix time).")
                   .Register(*metrics)
                   .Add({});
    auto& failures = prometheus::BuildCounter()
                         .Name("itsm_gateway_tls_handshake_failures_total")
                         .Help(
                             "Connections to the HTTPS port that never completed a TLS "
                             "handshake: plaintext (a plain HTTP request, answered 400) or "
                             "handshake (a TLS error or timeout).")
                         .Register(*metrics);
    plaintext_ = &failures.Add({{"reason", "plaintext"}});
    handshake_ = &failures.Add({{"reason", "handshake"}});
  }

  // The first load: an error stops the start (a gateway configured for HTTPS must not come up
  // without it).
  absl::Status LoadFirst() {
    signature_ = Signature();
    absl::StatusOr<std::shared_ptr<ssl::context>> loaded = Load();
    if (!loaded.ok()) return loaded.status();
    current_ = *std::move(loaded);
    last_check_ = absl::Now();
    return absl::OkStatus();
  }

  // The context for a connection accepted now; reloads first when the files changed.
  std::shared_ptr<ssl::context> Current() {
    const absl::Time now = absl::Now();
    if (now - last_check_ < options_.reload_check_interval) return current_;
    last_check_ = now;
    const auto signature = Signature();
    // Tried once per change of the files, successful or not: a broken pair is not re-read (and
    // re-logged) every second, and the next write to either file tries again.
    if (signature == signature_) return current_;
    signature_ = signature;
    absl::StatusOr<std::shared_ptr<ssl::context>> loaded = Load();
    if (!loaded.ok()) {
      if (reload_error_ != nullptr) reload_error_->Increment();
      runtime::log::Error("cannot reload the HTTPS certificate; still serving the previous one",
                          {{"error", loaded.status().ToString()}});
      return current_;
    }
    if (reload_ok_ != nullptr) reload_ok_->Increment();
    runtime::log::Info("reloaded the HTTPS certificate", {{"cert_file", options_.cert_file}});
    current_ = *std::move(loaded);
    return current_;
  }

  void CountPlaintext() {
    if (plaintext_ != nullptr) plaintext_->Increment();
  }
  void CountHandshakeFailure() {
    if (handshake_ != nullptr) handshake_->Increment();
  }

 private:
  // What changes when a file is replaced or rewritten: its inode (a rename), size, and
  // modification time (to the nanosecond).
  using FileSignature = std::tuple<ino_t, off_t, int64_t, int64_t>;
  static FileSignature SignatureOf(const std::string& file) {
    struct stat st {};
    if (file.empty() || stat(file.c_str(), &st) != 0) return {};
    return {st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
  }
  std::array<FileSignature, 3> Signature() const {
    return {SignatureOf(options_.cert_file), SignatureOf(options_.key_file),
            SignatureOf(options_.chain_file)};
  }

  absl::StatusOr<std::shared_ptr<ssl::context>> Load() {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    // Mozilla's "intermediate" profile: TLS 1.2 and 1.3, forward secrecy, AEAD ciphers only;
    // TLS 1.3's own suites are all fine (OpenSSL's defaults).
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_cipher_list(native,
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    beast::error_code ec;
    context->use_certificate_chain_file(options_.cert_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("tls_cert_file ", options_.cert_file, ": ", ec.message()));
    }
    if (!options_.chain_file.empty()) {
      base::Bio bio(BIO_new_file(options_.chain_file.c_str(), "r"));
      if (bio == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("tls_chain_file ", options_.chain_file, ": cannot read it"));
      }
      while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        SSL_CTX_add_extra_chain_cert(native, extra);  // takes ownership
      }
      ERR_clear_error();  // the end of the file reads as an error
    }
    context->use_private_key_file(options_.key_file, ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("tls_key_file ", options_.key_file, ": ", ec.message()));
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat("tls_key_file ", options_.key_file,
                                                     " is not the key of tls_cert_file ",
                                                     options_.cert_file));
    }
    if (expiry_ != nullptr) {
      if (X509* cert = SSL_CTX_get0_certificate(native); cert != nullptr) {
        int days = 0;
        int seconds = 0;
        if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) == 1) {
          expiry_->Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()) + days * 86400.0 +
                       seconds);
        }
      }
    }
    return context;
  }

  const HttpTlsOptions options_;
  std::shared_ptr<ssl::context> current_;
  std::array<FileSignature, 3> signature_ = {};
  absl::Time last_check_ = absl::InfinitePast();
  prometheus::Counter* reload_ok_ = nullptr;
  prometheus::Counter* reload_error_ = nullptr;
  prometheus::Gauge* expiry_ = nullptr;
  prometheus::Counter* plaintext_ = nullptr;
  prometheus::Counter* handshake_ = nullptr;
};

namespace {

// The kernel's send buffer of a connection carrying a streamed answer.
constexpr int kStreamSendBufferBytes = 64 * 1024;
// What Beast reads at most at once (its read_size of 64 KiB).
constexpr size_t kBodyReadBytes = 64 * 1024;
// On every answer: a browser must take each as the type it says (an error's JSON is never
// sniffed into a page or a script).
constexpr char kNoSniff[] = "X-Content-Type-Options";

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return absl::ToChronoMilliseconds(d);
}

// One open connection in the count, from accept to the last session object that holds it.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<std::atomic<int>> count) : count_(std::move(count)) {}
  ConnectionSlot(ConnectionSlot&&) = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (count_ != nullptr) count_->fetch_sub(1);
  }

 private:
  std::shared_ptr<std::atomic<int>> count_;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection: read a request, hand it over, write the answer, and again while kept alive.
// Requests of one connection are answered in order, one at a time (pipelined requests wait in
// the buffer). Every step runs on the connection's strand. `Stream` is beast::tcp_stream (HTTP)
// or TlsStream (HTTPS, which first completes the handshake).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // HTTP.
  Session(tcp::socket socket, const HttpServerOptions& options, HttpHandler& handler,
          ConnectionSlot slot) requires(!kTls)
      : stream_(std::move(socket)), options_(options), handler_(handler), slot_(std::move(slot)) {}
  // HTTPS: `buffer` holds what was read while looking for a TLS ClientHello.
  Session(beast::tcp_stream stream, beast::flat_buffer buffer,
          std::shared_ptr<ssl::context> context, const HttpServerOptions& options,
          HttpHandler& handler, ConnectionSlot slot, CertificateStore* certificates) requires(kTls)
      : context_(std::move(context)),
        stream_(std::move(stream), *context_),
        buffer_(std::move(buffer)),
        options_(options),
        handler_(handler),
        slot_(std::move(slot)),
        certificates_(certificates) {}

  ~Session() {
    // The server stopped with the stream open.
    if (body_ != nullptr) body_->Closed(StreamingBody::End::kGone);
  }

  // Serves requests; with `refusal`, answers that once (over the connection limit: 503) and
  // closes.
  void Start(std::optional<std::pair<http::status, std::string>> refusal = std::nullopt) {
    refusal_ = std::move(refusal);
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->Begin();
      }
    });
  }

  // The answer to a plain HTTP request on the HTTPS port, in plain HTTP (the client can read
  // nothing else), then close.
  void RefusePlaintext(std::string message) requires(!kTls) {
    asio::dispatch(stream_.get_executor(),
                   [self = this->shared_from_this(), message = std::move(message)]() mutable {
                     self->RefuseNow(http::status::bad_request, std::move(message));
                   });
  }

 private:
  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  void Handshake() requires(kTls) {
    Lowest().expires_after(ToSteady(options_.header_timeout));
    // The bytes read while detecting TLS are the start of the handshake. (Boost 1.81's
    // ssl_stream checks this overload's handler against void(error_code) although it calls it
    // with (error_code, bytes used): the default argument satisfies both.)
    stream_.async_handshake(
        ssl::stream_base::server, buffer_.data(),
        [self = this->shared_from_this()](beast::error_code ec, size_t used = 0) {
          if (ec) {
            self->certificates_->CountHandshakeFailure();
            return self->Close();
          }
          self->buffer_.consume(used);
          self->Begin();
        });
  }

  void Begin() {
    // Beast bounds a request's head and its body's data, but not a chunk's header line or the
    // trailer: without a bound on the buffer, one endless chunk line grows it until the process
    // runs out of memory. A head and one read of the body fit.
    buffer_.max_size(options_.max_header_bytes + kBodyReadBytes);
    if (refusal_.has_value()) return RefuseNow(refusal_->first, std::move(refusal_->second));
    // A connection that sends nothing holds a slot of max_connections as a slow head does: its
    // first request must begin within header_timeout, not the idle time a kept-alive one gets.
    WaitForRequest(options_.header_timeout);
  }

  void WaitForRequest(absl::Duration wait) {
    if (buffer_.size() > 0) {  // a pipelined request already arrived
      ReadHeader();
      return;
    }
    Lowest().expires_after(ToSteady(wait));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec)
                                return self->Close();  // idle timeout, or the client went away
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    head_request_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    Lowest().expires_after(ToSteady(options_.header_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return ReadFailed(ec);
    const auto& head = parser_->get();
    head_request_ = head.method() == http::verb::head;
    head_fields_ = static_cast<size_t>(std::distance(head.begin(), head.end()));
    if (parser_->content_length() && *parser_->content_length() > options_.max_body_bytes) {
      return RefuseNow(http::status::payload_too_large,
                       absl::StrCat("the request body is larger than ", options_.max_body_bytes,
                                    " bytes (max_body_bytes)"));
    }
    // Beast reads a body as chunked, or by its Content-Length, or as empty, and would take the
    // body of "Transfer-Encoding: gzip" (or "chunked, identity") for the next request: the
    // smuggling a proxy in front, reading it otherwise, lets through (RFC 9112 6.1: 501).
    const auto coding = head[http::field::transfer_encoding];
    if (head.count(http::field::transfer_encoding) > 1 ||
        (!coding.empty() && !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(absl::string_view(
                                                        coding.data(), coding.size())),
                                                    "chunked"))) {
      return RefuseNow(http::status::not_implemented,
                       "Transfer-Encoding: only chunked is supported (or send Content-Length)");
    }
    if (head.count(http::field::expect) > 0 &&
        !beast::iequals(head[http::field::expect], "100-continue")) {
      return RefuseNow(http::status::expectation_failed, "Expect: only 100-continue is supported");
    }
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     head.version());
      Lowest().expires_after(ToSteady(options_.body_timeout));
      http::async_write(stream_, *cont,
                        [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(ToSteady(options_.body_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->ReadFailed(ec);
                       self->Dispatch();
                     });
  }

  void ReadFailed(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == ssl::error::stream_truncated) {
      return Close();
    }
    // The stream closed the socket when its timer expired: there is no one left to answer.
    if (ec == beast::error::timeout) return Close();
    if (ec == http::error::body_limit) {
      return RefuseNow(http::status::payload_too_large,
                       absl::StrCat("the request body is larger than ", options_.max_body_bytes,
                                    " bytes (max_body_bytes)"));
    }
    if (ec == http::error::buffer_overflow) {
      return RefuseNow(http::status::bad_request,
                       absl::StrCat("a chunk header or trailer of the request body is larger than ",
                                    options_.max_header_bytes, " bytes (max_header_bytes)"));
    }
    if (ec == http::error::header_limit) {
      return RefuseNow(http::status::request_header_fields_too_large,
                       absl::StrCat("the request head is larger than ", options_.max_header_bytes,
                                    " bytes (max_header_bytes)"));
    }
    if (kTls && ec.category() != beast::error_code(http::error::bad_target).category()) {
      return Close();  // a TLS error: nothing the client could read can be answered
    }
    RefuseNow(http::status::bad_request, absl::StrCat("malformed HTTP request: ", ec.message()));
  }

  void Dispatch() {
    HttpRequest request = parser_->release();
    // Beast adds the fields of a chunked body's trailer to the head's. RFC 9110 6.5.1: a
    // trailer field must not be taken for a header; an If-Match or Content-Type there would be
    // applied here and not by a proxy that reads the head only.
    if (static_cast<size_t>(std::distance(request.begin(), request.end())) != head_fields_) {
      return RefuseNow(http::status::bad_request,
                       "trailer fields after a chunked body are not accepted: send every field "
                       "in the request head");
    }
    // RFC 9112 3.2: an HTTP/1.1 request names exactly one Host. Two let a proxy route on one
    // and this server on the other.
    if (request.version() >= 11 && request.count(http::field::host) != 1) {
      return RefuseNow(http::status::bad_request, request.count(http::field::host) == 0
                                                      ? "Host: required (HTTP/1.1)"
                                                      : "Host: given more than once");
    }
    keep_alive_ = request.keep_alive();
    handler_.HandleStreaming(
        std::move(request),
        [self = this->shared_from_this()](HttpResponse response) {
          // A handler may end the connection with its answer (keep_alive(false)).
          asio::post(self->stream_.get_executor(),
                     [self, response = std::move(response)]() mutable {
                       const bool keep_alive = self->keep_alive_ && response.keep_alive();
                       self->Write(std::move(response), keep_alive);
                     });
        },
        [self = this->shared_from_this()](HttpResponse head, std::shared_ptr<StreamingBody> body) {
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
    Lowest().socket().set_option(asio::socket_base::send_buffer_size(kStreamSendBufferBytes),
                                 ignored);
    auto message =
        std::make_shared<http::response<http::empty_body>>(head.result(), head.version());
    for (const auto& field : head) message->set(field.name_string(), field.value());
    message->set(kNoSniff, "nosniff");
    message->keep_alive(false);
    message->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*message);
    Lowest().expires_after(ToSteady(options_.body_timeout));
    http::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), message, serializer](beast::error_code ec, size_t) {
          if (ec) return self->EndStream();
          self->Lowest().expires_never();
          self->WatchStreamClient();
          self->NextPiece();
        });
  }
  void WatchStreamClient() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              // With a piece's write under way, that write's end says why the
                              // stream ends: its deadline closing the socket ends this read
                              // too, and that is a stall, not a client gone.
                              if (ec && self->writing_piece_) return;
                              if (ec) return self->EndStream();  // gone (or it sent a FIN)
                              self->WatchStreamClient();         // bytes after the request: ignored
                            });
  }
  void NextPiece() {
    if (body_ == nullptr) return;
    body_->Next([self = this->shared_from_this()](std::optional<std::string> piece) {
      asio::post(self->stream_.get_executor(), [self, piece = std::move(piece)]() mutable {
        self->WritePiece(std::move(piece));
      });
    });
  }
  void WritePiece(std::optional<std::string> piece) {
    if (body_ == nullptr) return;  // the connection ended meanwhile
    Lowest().expires_after(ToSteady(body_->StallTimeout()));
    if (!piece.has_value()) {
      asio::async_write(
          stream_, http::make_chunk_last(),
          [self = this->shared_from_this()](beast::error_code, size_t) { self->EndStream(); });
      return;
    }
    if (piece->empty()) return NextPiece();  // an empty chunk would end the body
    writing_piece_ = true;
    WriteChunk(std::make_shared<std::string>(
                   absl::StrCat(absl::Hex(piece->size()), "\r\n", *piece, "\r\n")),
               0);
  }
  // A piece's chunk, written a part at a time with the stall timeout armed again for each part:
  // the timeout is for a client that takes nothing that long, not for one that reads a large
  // piece slowly but steadily.
  void WriteChunk(std::shared_ptr<std::string> chunk, size_t from) {
    if (body_ == nullptr) return;  // the connection ended meanwhile
    Lowest().expires_after(ToSteady(body_->StallTimeout()));
    stream_.async_write_some(
        asio::buffer(chunk->data() + from, chunk->size() - from),
        [self = this->shared_from_this(), chunk, from](beast::error_code ec, size_t written) {
          if (ec) {
            self->writing_piece_ = false;
            if (ec == beast::error::timeout) return self->EndStream(StreamingBody::End::kStalled);
            return self->EndStream();
          }
          if (from + written < chunk->size()) return self->WriteChunk(chunk, from + written);
          self->writing_piece_ = false;
          self->Lowest().expires_never();
          self->NextPiece();
        });
  }
  void EndStream(StreamingBody::End why = StreamingBody::End::kGone) {
    if (stream_ended_) return;
    stream_ended_ = true;
    if (body_ != nullptr) std::exchange(body_, nullptr)->Closed(why);
    Close();
  }

  void RefuseNow(http::status status, std::string message) {
    Write(handler_.Refusal(status, std::move(message)), /*keep_alive=*/false);
  }

  void Write(HttpResponse response, bool keep_alive) {
    auto message = std::make_shared<HttpResponse>(std::move(response));
    message->keep_alive(keep_alive);
    message->set(kNoSniff, "nosniff");
    // An answer to HEAD has no body but the Content-Length of the GET's (console_files.h): kept.
    if (!(message->body().empty() && message->has_content_length())) message->prepare_payload();
    // Whatever the handler answered to a HEAD (an error has a body too), no body bytes may
    // follow its head: the client would read them as the next answer on the connection.
    if (head_request_) message->body().clear();
    Lowest().expires_after(ToSteady(options_.body_timeout));
    http::async_write(
        stream_, *message,
        [self = this->shared_from_this(), message, keep_alive](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          if (!keep_alive) return self->LingerAndClose();
          self->WaitForRequest(self->options_.idle_timeout);
        });
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // answer just written before the client reads it (a 413 to a client still sending its large
  // body): stop sending, drain what still comes for a moment, then close. Over TLS the end is
  // a close_notify (so that the client knows the answer is whole), then the same.
  void LingerAndClose() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
        self->Drain();
      });
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Lowest().expires_after(std::chrono::seconds(2));
      Drain();
    }
  }
  void Drain() {
    Lowest().async_read_some(asio::buffer(drain_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->Close();  // end of input, or linger ended
                               self->Drain();
                             });
  }

  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().close();
  }

  // Declared before the stream, which refers to it.
  std::shared_ptr<ssl::context> context_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  size_t head_fields_ = 0;  // the fields of the request head, before any trailer
  const HttpServerOptions& options_;
  HttpHandler& handler_;
  ConnectionSlot slot_;
  CertificateStore* certificates_ = nullptr;
  std::optional<std::pair<http::status, std::string>> refusal_;
  bool keep_alive_ = false;
  bool head_request_ = false;
  std::array<char, 4096> drain_;
  // The streamed answer being written, if any.
  std::shared_ptr<StreamingBody> body_;
  bool stream_ended_ = false;
  bool writing_piece_ = false;  // a streamed piece's write is under way
};

// The first bytes of a connection to the HTTPS port: a TLS ClientHello starts an HTTPS session;
// anything else (a plain HTTP request) is told, in plain HTTP, to use https.
class TlsDetector : public std::enable_shared_from_this<TlsDetector> {
 public:
  TlsDetector(tcp::socket socket, std::shared_ptr<ssl::context> context,
              const HttpServerOptions& options, HttpHandler& handler, ConnectionSlot slot,
              CertificateStore* certificates,
              std::optional<std::pair<http::status, std::string>> refusal)
      : stream_(std::move(socket)),
        context_(std::move(context)),
        options_(options),
        handler_(handler),
        slot_(std::move(slot)),
        certificates_(certificates),
        refusal_(std::move(refusal)) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      // A client that connects and says nothing is cut off like one dribbling its headers.
      self->stream_.expires_after(ToSteady(self->options_.header_timeout));
      beast::async_detect_ssl(self->stream_, self->buffer_,
                              [self](beast::error_code ec, bool tls) { self->Detected(ec, tls); });
    });
  }

 private:
  void Detected(beast::error_code ec, bool tls) {
    if (ec) {
      certificates_->CountHandshakeFailure();
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      return;
    }
    if (tls) {
      std::make_shared<Session<TlsStream>>(std::move(stream_), std::move(buffer_),
                                           std::move(context_), options_, handler_,
                                           std::move(slot_), certificates_)
          ->Start(std::move(refusal_));
      return;
    }
    certificates_->CountPlaintext();
    std::make_shared<Session<beast::tcp_stream>>(stream_.release_socket(), options_, handler_,
                                                 std::move(slot_))
        ->RefusePlaintext(
            "this port serves HTTPS: use https:// (a plain HTTP request cannot be answered "
            "here)");
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<ssl::context> context_;
  const HttpServerOptions& options_;
  HttpHandler& handler_;
  ConnectionSlot slot_;
  CertificateStore* certificates_;
  std::optional<std::pair<http::status, std::string>> refusal_;
};

}  // namespace

HttpTlsOptions HttpsOptionsFrom(const runtime::Config& config) {
  return {.cert_file = config.GetString("tls_cert_file"),
          .key_file = config.GetString("tls_key_file"),
          .chain_file = config.GetString("tls_chain_file"),
          .reload_check_interval = absl::Milliseconds(config.GetInt("tls_reload_check_ms"))};
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler& handler)
    : options_(options), handler_(handler), acceptor_(asio::make_strand(io_)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler& handler) {
  auto server = std::unique_ptr<HttpServer>(new HttpServer(options, handler));
  if (options.tls.enabled()) {
    if (options.tls.key_file.empty()) {
      return absl::InvalidArgumentError("tls_cert_file is set but tls_key_file is not");
    }
    server->certificates_ = std::make_unique<CertificateStore>(options.tls, options.metrics);
    if (absl::Status loaded = server->certificates_->LoadFirst(); !loaded.ok()) return loaded;
  }
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

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopping
      runtime::log::Warn("cannot accept a connection", {{"error", ec.message()}});
    } else {
      const int open = connections_->fetch_add(1) + 1;
      socket.set_option(tcp::no_delay(true), ec);
      StartSession(std::move(socket), open > options_.max_connections);
    }
    Accept();
  });
}

void HttpServer::StartSession(tcp::socket socket, bool over_limit) {
  ConnectionSlot slot(connections_);
  std::optional<std::pair<http::status, std::string>> refusal;
  if (over_limit) {
    refusal.emplace(http::status::service_unavailable,
                    absl::StrCat("the gateway has ", options_.max_connections,
                                 " connections open (max_connections); retry later"));
  }
  if (certificates_ == nullptr) {
    std::make_shared<Session<beast::tcp_stream>>(std::move(socket), options_, handler_,
                                                 std::move(slot))
        ->Start(std::move(refusal));
    return;
  }
  std::make_shared<TlsDetector>(std::move(socket), certificates_->Current(), options_, handler_,
                                std::move(slot), certificates_.get(), std::move(refusal))
      ->Start();
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

}  // namespace itsm::gateway
