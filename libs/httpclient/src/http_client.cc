#include "itsm/httpclient/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace itsm::httpclient {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

absl::Status Failed(absl::string_view what, const HttpUrl& url, const beast::error_code& ec) {
  std::string message = absl::StrCat(what, " ", url.ToString(), ": ", ec.message());
  if (ec == beast::error::timeout) return absl::DeadlineExceededError(message);
  return absl::UnavailableError(message);
}

}  // namespace

absl::StatusOr<HttpUrl> HttpUrl::Parse(absl::string_view text) {
  HttpUrl url;
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "https://")) {
    url.tls = true;
  } else if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an http:// or https:// URL"));
  }
  if (absl::StrContains(rest, '?') || absl::StrContains(rest, '#') ||
      absl::StrContains(rest, '@')) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\": a query, fragment or user name is not allowed"));
  }
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    url.base_path = std::string(absl::StripSuffix(rest.substr(slash), "/"));
  }
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": unclosed [ in the host"));
    }
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (absl::ConsumePrefix(&after, ":")) port = after;
  } else if (const size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  int port_number = 0;
  if (!port.empty() &&
      (!absl::SimpleAtoi(port, &port_number) || port_number < 1 || port_number > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": bad port \"", port, "\""));
  }
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": no host"));
  url.host = std::string(host);
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  return url;
}

std::string HttpUrl::ToString() const {
  const bool v6 = absl::StrContains(host, ':');
  return absl::StrCat(tls ? "https://" : "http://", v6 ? "[" : "", host, v6 ? "]" : "", ":", port,
                      base_path);
}

std::string HttpResponse::Header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? "" : it->second;
}

// One connection, opened on demand. Every operation is asynchronous under a deadline and the
// io_context is run until it completes: Beast's synchronous calls have no timeout.
class HttpClient::Connection {
 public:
  Connection(const HttpUrl& url, const Options& options, asio::ssl::context* tls)
      : url_(url), options_(options), tls_(tls) {}

  // `retryable`: the request failed on a kept-alive connection before the server can have
  // acted on it (the write failed, or the server closed without answering a byte).
  absl::StatusOr<HttpResponse> Exchange(const HttpRequest& request, bool& retryable) {
    retryable = false;
    const bool reused = open_ && exchanges_ > 0;
    if (!open_) {
      absl::Status opened = Open();
      if (!opened.ok()) return opened;
    }
    http::request<http::string_body> message(http::string_to_verb(request.method),
                                             absl::StrCat(url_.base_path, request.target), 11);
    if (message.method() == http::verb::unknown) message.method_string(request.method);
    message.set(http::field::host, url_.host);
    message.set(http::field::user_agent, "itsm");
    bool has_content_type = false;
    for (const auto& [name, value] : request.headers) {
      message.set(name, value);
      has_content_type |= absl::EqualsIgnoreCase(name, "content-type");
    }
    if (!request.body.empty() && !has_content_type) {
      message.set(http::field::content_type, "application/json");
    }
    message.body() = request.body;
    message.prepare_payload();

    beast::error_code ec;
    Run(
        [&](auto done) {
          if (tls_stream_) return http::async_write(*tls_stream_, message, done);
          http::async_write(*plain_stream_, message, done);
        },
        ec);
    if (ec) {
      retryable = reused;
      return Close(Failed("sending to", url_, ec));
    }
    // Interim answers (100 Continue, 103 Early Hints) come before the final one and are skipped
    // (RFC 9110 15.2); a server that sends nothing else is cut off after a few.
    constexpr int kMaxInterimAnswers = 8;
    std::optional<http::response_parser<http::string_body>> reading;
    for (int interim = 0;; ++interim) {
      reading.emplace();
      reading->body_limit(options_.max_response_bytes);
      reading->header_limit(64 * 1024);
      Run(
          [&](auto done) {
            if (tls_stream_) return http::async_read(*tls_stream_, buffer_, *reading, done);
            http::async_read(*plain_stream_, buffer_, *reading, done);
          },
          ec);
      const unsigned status = ec ? 0 : reading->get().result_int();
      if (status < 100 || status >= 200 || status == 101) break;
      if (interim == kMaxInterimAnswers) {
        return Close(absl::UnavailableError(absl::StrCat(
            url_.ToString(), ": more than ", kMaxInterimAnswers, " interim (1xx) answers")));
      }
    }
    http::response_parser<http::string_body>& parser = *reading;
    if (ec == http::error::body_limit) {
      return Close(absl::ResourceExhaustedError(absl::StrCat(
          url_.ToString(), ": the answer exceeds ", options_.max_response_bytes, " bytes")));
    }
    if (ec) {
      // A server that closed the idle connection answers our request with a reset rather than
      // an end of stream when its FIN and our write cross: the same case, nothing was answered.
      retryable = reused && !parser.got_some() &&
                  (ec == http::error::end_of_stream || ec == asio::error::connection_reset);
      return Close(Failed("reading from", url_, ec));
    }
    ++exchanges_;
    HttpResponse response;
    const auto& answer = parser.get();
    response.status = answer.result_int();
    response.body = answer.body();
    for (const auto& field : answer) {
      response.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    if (!answer.keep_alive()) Close(absl::OkStatus()).IgnoreError();
    return response;
  }

 private:
  // Starts `op(handler)` and runs the io_context until the handler ran, under the deadline.
  template <typename Op>
  void Run(Op op, beast::error_code& ec) {
    beast::get_lowest_layer(Stream()).expires_after(
        std::chrono::microseconds(absl::ToInt64Microseconds(options_.timeout)));
    bool finished = false;
    op([&](beast::error_code e, auto&&...) {
      ec = e;
      finished = true;
    });
    io_.restart();
    while (!finished && io_.run_one() > 0) {
    }
  }

  beast::tcp_stream& Stream() { return tls_stream_ ? tls_stream_->next_layer() : *plain_stream_; }

  absl::Status Open() {
    tcp::resolver resolver(io_);
    beast::error_code ec;
    tcp::resolver::results_type addresses = resolver.resolve(url_.host, url_.port, ec);
    if (ec) return Failed("resolving", url_, ec);
    if (tls_ != nullptr) {
      tls_stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, *tls_);
      // SNI, and the certificate must name the host.
      if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), url_.host.c_str())) {
        return absl::InternalError("cannot set the TLS server name");
      }
      tls_stream_->set_verify_callback(asio::ssl::host_name_verification(url_.host));
    } else {
      plain_stream_ = std::make_unique<beast::tcp_stream>(io_);
    }
    Run([&](auto done) { Stream().async_connect(addresses, done); }, ec);
    if (ec) return Close(Failed("connecting to", url_, ec));
    if (tls_stream_) {
      Run([&](auto done) { tls_stream_->async_handshake(asio::ssl::stream_base::client, done); },
          ec);
      if (ec) return Close(Failed("TLS handshake with", url_, ec));
    }
    open_ = true;
    exchanges_ = 0;
    buffer_.clear();
    return absl::OkStatus();
  }

  absl::Status Close(absl::Status why) {
    open_ = false;
    beast::error_code ignored;
    if (tls_stream_) tls_stream_->next_layer().socket().close(ignored);
    if (plain_stream_) plain_stream_->socket().close(ignored);
    tls_stream_.reset();
    plain_stream_.reset();
    return why;
  }

  const HttpUrl& url_;
  const Options& options_;
  asio::ssl::context* tls_;
  asio::io_context io_;
  std::unique_ptr<beast::tcp_stream> plain_stream_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  beast::flat_buffer buffer_;
  bool open_ = false;
  int exchanges_ = 0;
};

HttpClient::HttpClient(HttpUrl url, Options options)
    : url_(std::move(url)), options_(std::move(options)) {}

HttpClient::~HttpClient() = default;

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(HttpUrl url, Options options) {
  std::unique_ptr<HttpClient> client(new HttpClient(std::move(url), std::move(options)));
  if (client->url_.tls) {
    client->tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    beast::error_code ec;
    client->tls_->set_options(asio::ssl::context::default_workarounds |
                              asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    if (client->options_.ca_file.empty()) {
      client->tls_->set_default_verify_paths(ec);
    } else {
      client->tls_->load_verify_file(client->options_.ca_file, ec);
    }
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CA certificates ",
          client->options_.ca_file.empty() ? "of the system" : client->options_.ca_file, ": ",
          ec.message()));
    }
    client->tls_->set_verify_mode(asio::ssl::verify_peer);
  }
  client->connection_ =
      std::make_unique<Connection>(client->url_, client->options_, client->tls_.get());
  return client;
}

absl::StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  absl::MutexLock lock(&mu_);
  bool retryable = false;
  absl::StatusOr<HttpResponse> response = connection_->Exchange(request, retryable);
  // A kept-alive connection the server closed while idle fails on its first use: once more on
  // a new one. Never after the server may have acted (a timeout, a partial answer).
  if (retryable) response = connection_->Exchange(request, retryable);
  return response;
}

}  // namespace itsm::httpclient
