#include "http_load_client.h"

#include <utility>

#include "boost/asio/connect.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace itsm::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpLoadClient::Connection {
  explicit Connection(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  bool connected = false;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  std::optional<http::response_parser<http::string_body>> response;
  std::function<void(bool ok)> done;
};

HttpLoadClient::HttpLoadClient(std::string host, int port, int connections,
                               std::map<std::string, std::string> headers)
    : host_(std::move(host)), headers_(std::move(headers)), work_(io_.get_executor()) {
  tcp::resolver resolver(io_);
  endpoint_ = *resolver.resolve(host_, std::to_string(port)).begin();
  for (int i = 0; i < connections; ++i) {
    connections_.push_back(std::make_unique<Connection>(io_));
    idle_.push_back(connections_.back().get());
  }
  thread_ = std::thread([this] { io_.run(); });
}

HttpLoadClient::~HttpLoadClient() {
  // Calls still in flight are answered (the driver waits for them first) or dropped here.
  work_.reset();
  io_.stop();
  thread_.join();
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
  asio::post(io_, [this, request = std::move(request)]() mutable {
    pending_.push_back(std::move(request));
    Pump();
  });
}

void HttpLoadClient::Pump() {
  while (!idle_.empty() && !pending_.empty()) {
    Connection& connection = *idle_.back();
    idle_.pop_back();
    Request request = std::move(pending_.front());
    pending_.pop_front();
    connection.request = http::request<http::string_body>(
        request.method == "GET" ? http::verb::get : http::verb::post, request.target, 11);
    connection.request.set(http::field::host, host_);
    for (const auto& [name, value] : headers_) connection.request.set(name, value);
    if (request.method != "GET") {
      connection.request.set(http::field::content_type, "application/json");
      connection.request.body() = std::move(request.body);
      connection.request.prepare_payload();
    }
    connection.done = std::move(request.done);
    if (connection.connected) {
      Send(connection);
      continue;
    }
    connection.socket.async_connect(endpoint_, [this, &connection](beast::error_code ec) {
      if (ec) return Finish(connection, false, false);
      beast::error_code ignored;
      connection.socket.set_option(tcp::no_delay(true), ignored);
      connection.connected = true;
      connection.buffer.clear();
      Send(connection);
    });
  }
}

void HttpLoadClient::Send(Connection& connection) {
  http::async_write(
      connection.socket, connection.request, [this, &connection](beast::error_code ec, size_t) {
        if (ec) return Finish(connection, false, false);
        connection.response.emplace();
        connection.response->body_limit(64 * 1024 * 1024);
        http::async_read(connection.socket, connection.buffer, *connection.response,
                         [this, &connection](beast::error_code ec, size_t) {
                           if (ec) return Finish(connection, false, false);
                           const auto& answer = connection.response->get();
                           Finish(connection, answer.result_int() == 200, answer.keep_alive());
                         });
      });
}

void HttpLoadClient::Finish(Connection& connection, bool ok, bool keep) {
  if (!keep) {  // closed by the server, or failed: the next request connects again
    beast::error_code ignored;
    connection.socket.close(ignored);
    connection.socket = tcp::socket(io_);
    connection.connected = false;
  }
  std::function<void(bool)> done = std::move(connection.done);
  idle_.push_back(&connection);
  done(ok);
  Pump();
}

}  // namespace itsm::bench
