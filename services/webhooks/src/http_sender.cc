#include "services/webhooks/src/http_sender.h"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace itsm::webhooks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr char kUserAgent[] = "itsm-webhooks/1";
// The answer's head (8 KiB, the parser's default limit) and what one read brings after it.
constexpr size_t kResponseBufferBytes = (8 + 64) * 1024;
constexpr int kResolverThreads = 16;
// 1xx answers read past before the final one; a receiver sending more has not answered.
constexpr int kMaxInterimAnswers = 8;

std::optional<IpAddress> AddressOf(const tcp::endpoint& endpoint) {
  return IpAddress::Parse(endpoint.address().to_string());
}

// One attempt. Plain http uses the TCP stream, https an SSL stream over it; everything else is
// shared. Every step runs on the session's strand; Finish() reports once.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::io_context& ioc, asio::thread_pool& resolvers, asio::ssl::context& tls,
          const OutboundPolicy& policy, HttpPost post, std::function<void(HttpOutcome)> done)
      : strand_(asio::make_strand(ioc)),
        resolvers_(resolvers),
        timer_(strand_),
        policy_(policy),
        post_(std::move(post)),
        done_(std::move(done)),
        start_(absl::Now()) {
    if (post_.url.scheme == "https") {
      tls_stream_.emplace(strand_, tls);
    } else {
      tcp_stream_.emplace(strand_);
    }
  }

  void Start() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->Resolve(); });
  }

 private:
  beast::tcp_stream& Lowest() {
    return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *tcp_stream_;
  }

  // Asio resolves on one thread per io_context, so a receiver whose DNS never answers would
  // hold every other attempt's lookup behind its own for as long as glibc retries: lookups run
  // on a pool of their own, and an attempt whose deadline passes during its lookup ends then,
  // leaving the lookup to finish unheard.
  void Resolve() {
    timer_.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(post_.timeout)));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the attempt ended first
      self->timed_out_ = true;
      if (self->resolving_) return self->Fail("");
      beast::error_code ignored;
      self->Lowest().socket().close(ignored);
    });
    resolving_ = true;
    asio::post(resolvers_, [self = shared_from_this()] {
      beast::error_code ec;
      tcp::resolver resolver(self->resolvers_);
      tcp::resolver::results_type results =
          resolver.resolve(self->post_.url.host, absl::StrCat(self->post_.url.port), ec);
      asio::post(self->strand_, [self, ec, results = std::move(results)]() mutable {
        self->resolving_ = false;
        if (self->finished_) return;
        self->OnResolve(ec, std::move(results));
      });
    });
  }

  void OnResolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return Fail(absl::StrCat("cannot resolve ", post_.url.host, ": ", ec.message()));
    // Only the addresses the policy allows are connected to: the check and the connection see
    // the same answer of the DNS.
    std::vector<tcp::endpoint> allowed;
    std::vector<std::string> refused;
    for (const auto& entry : results) {
      std::optional<IpAddress> ip = AddressOf(entry.endpoint());
      if (ip && policy_.AllowsAddress(post_.url, *ip)) {
        allowed.push_back(entry.endpoint());
      } else {
        refused.push_back(entry.endpoint().address().to_string());
      }
    }
    if (allowed.empty()) {
      return Fail(absl::StrCat("refused: ", post_.url.host, " resolves to ",
                               absl::StrJoin(refused, ", "),
                               ", internal and not on the outbound allow-list"));
    }
    Lowest().async_connect(allowed,
                           [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                             self->OnConnect(ec);
                           });
  }

  void OnConnect(beast::error_code ec) {
    if (ec) return Fail(absl::StrCat("cannot connect: ", ec.message()));
    if (!tls_stream_) return Write();
    if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), post_.url.host.c_str())) {
      return Fail("cannot set the TLS server name");
    }
    tls_stream_->set_verify_mode(asio::ssl::verify_peer);
    tls_stream_->set_verify_callback(asio::ssl::host_name_verification(post_.url.host));
    tls_stream_->async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
          if (ec) {
            return self->Fail(absl::StrCat("TLS handshake failed: ", ec.message()));
          }
          self->Write();
        });
  }

  void Write() {
    request_.method(http::verb::post);
    request_.target(post_.url.target);
    request_.version(11);
    const bool default_port = (post_.url.scheme == "https" && post_.url.port == 443) ||
                              (post_.url.scheme == "http" && post_.url.port == 80);
    // Every IPv6 literal in brackets, an IPv4-mapped one too (RFC 9110's Host is the URL's
    // authority; found from outside: "::ffff:127.0.0.1:19101").
    const std::string host = absl::StrContains(post_.url.host, ':')
                                 ? absl::StrCat("[", post_.url.host, "]")
                                 : post_.url.host;
    request_.set(http::field::host, default_port ? host : absl::StrCat(host, ":", post_.url.port));
    request_.set(http::field::user_agent, kUserAgent);
    request_.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : post_.headers) request_.set(name, value);
    request_.keep_alive(false);
    request_.body() = post_.body;
    request_.prepare_payload();
    auto on_write = [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail(absl::StrCat("cannot send the request: ", ec.message()));
      self->Read();
    };
    if (tls_stream_) {
      http::async_write(*tls_stream_, request_, std::move(on_write));
    } else {
      http::async_write(*tcp_stream_, request_, std::move(on_write));
    }
  }

  // Only the answer's head: its status is the outcome, and the body, which the receiver may
  // send slowly or never end, is not waited for (a 200 whose body dribbles is a 200). Interim
  // answers (1xx: 100 Continue, 103 Early Hints) come before the final one and are read past,
  // as RFC 9110 asks of a client, up to a bound.
  void Read() {
    buffer_.max_size(kResponseBufferBytes);
    parser_.emplace();
    // The body is never read, so the length it declares is no reason to fail (found from
    // outside: a 200 declaring 9 MB was a failed attempt, and its event was sent again).
    parser_->body_limit(boost::none);
    auto on_read = [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail(absl::StrCat("no answer: ", ec.message()));
      const int status = static_cast<int>(self->parser_->get().result_int());
      if (status >= 100 && status < 200 && status != 101 &&
          ++self->interim_answers_ <= kMaxInterimAnswers) {
        return self->Read();
      }
      self->Finish({.status_code = status});
    };
    if (tls_stream_) {
      http::async_read_header(*tls_stream_, buffer_, *parser_, std::move(on_read));
    } else {
      http::async_read_header(*tcp_stream_, buffer_, *parser_, std::move(on_read));
    }
  }

  void Fail(std::string error) {
    if (timed_out_) {
      error = absl::StrCat("timed out after ", absl::FormatDuration(post_.timeout));
    }
    Finish({.error = std::move(error)});
  }

  void Finish(HttpOutcome outcome) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().socket().close(ignored);
    outcome.latency = absl::Now() - start_;
    done_(std::move(outcome));
  }

  asio::strand<asio::io_context::executor_type> strand_;
  asio::thread_pool& resolvers_;
  asio::steady_timer timer_;
  std::optional<beast::tcp_stream> tcp_stream_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  const OutboundPolicy& policy_;
  HttpPost post_;
  std::function<void(HttpOutcome)> done_;
  const absl::Time start_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::empty_body>> parser_;  // one per answer read
  int interim_answers_ = 0;
  bool timed_out_ = false;
  bool resolving_ = false;
  bool finished_ = false;
};

}  // namespace

struct HttpSender::Impl {
  Impl(const OutboundPolicy& p, Options o)
      : policy(p), options(o), tls(asio::ssl::context::tls_client), work(ioc.get_executor()) {
    tls.set_default_verify_paths();
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
  }
  const OutboundPolicy& policy;
  const Options options;
  asio::io_context ioc;
  // Blocking lookups (getaddrinfo), one per thread: a few receivers whose DNS hangs hold a few
  // threads (each subscription has at most max_in_flight attempts), not the others' lookups.
  asio::thread_pool resolvers{kResolverThreads};
  asio::ssl::context tls;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
};

HttpSender::HttpSender(const OutboundPolicy& policy, Options options)
    : impl_(std::make_unique<Impl>(policy, options)) {
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
}

HttpSender::~HttpSender() { Stop(); }

void HttpSender::Post(HttpPost post, std::function<void(HttpOutcome)> done) {
  if (impl_->stopped) {
    done({.error = "stopping"});
    return;
  }
  std::make_shared<Session>(impl_->ioc, impl_->resolvers, impl_->tls, impl_->policy,
                            std::move(post), std::move(done))
      ->Start();
}

void HttpSender::Stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // A lookup still under way ends by itself (glibc's own timeouts); its answer goes nowhere.
  impl_->resolvers.stop();
  impl_->resolvers.join();
}

}  // namespace itsm::webhooks
