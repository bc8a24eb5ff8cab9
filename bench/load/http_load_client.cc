#include "http_load_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace itsm::bench {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

}  // namespace

HttpLoadClient::HttpLoadClient(std::string host, int port, int connections,
                               std::map<std::string, std::string> headers)
    : host_(std::move(host)), port_(port), headers_(std::move(headers)) {
  for (int i = 0; i < connections; ++i) threads_.emplace_back([this] { Serve(); });
}

HttpLoadClient::~HttpLoadClient() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
}

AsyncCall HttpLoadClient::Post(std::string target, std::function<std::string(int64_t)> body) {
  return [this, target, body](int, std::function<void(bool)> done) {
    Enqueue({"POST", target, body(counter_++), std::move(done)});
  };
}

AsyncCall HttpLoadClient::Get(std::function<std::string(int64_t)> target) {
  return [this, target](int, std::function<void(bool)> done) {
    Enqueue({"GET", target(counter_++), "", std::move(done)});
  };
}

void HttpLoadClient::Enqueue(Request request) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(request));
}

void HttpLoadClient::Serve() {
  boost::asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  for (;;) {
    Request request;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    bool ok = false;
    try {
      if (!stream) {
        stream.emplace(io);
        tcp::resolver resolver(io);
        stream->connect(resolver.resolve(host_, std::to_string(port_)));
        stream->socket().set_option(tcp::no_delay(true));
        buffer.clear();
      }
      http::request<http::string_body> out(
          request.method == "GET" ? http::verb::get : http::verb::post, request.target, 11);
      out.set(http::field::host, host_);
      for (const auto& [name, value] : headers_) out.set(name, value);
      if (request.method != "GET") {
        out.set(http::field::content_type, "application/json");
        out.body() = std::move(request.body);
        out.prepare_payload();
      }
      http::write(*stream, out);
      http::response<http::string_body> in;
      http::read(*stream, buffer, in);
      ok = in.result_int() == 200;
      if (!in.keep_alive()) stream.reset();
    } catch (const std::exception&) {
      stream.reset();
    }
    request.done(ok);
  }
}

}  // namespace itsm::bench
