// A plain HTTP/1.1 client for the gateway's tests, on Boost.Beast (the server's library, so no
// other dependency): one kept-alive connection, or raw bytes for malformed and slow requests.
#ifndef ITSM_SERVICES_GATEWAY_TESTS_HTTP_CLIENT_H_
#define ITSM_SERVICES_GATEWAY_TESTS_HTTP_CLIENT_H_

#include <map>
#include <string>

#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace itsm::gateway::testing {

struct HttpAnswer {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool closed = false;  // the server closed the connection (nothing, or nothing more, came)
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  // `always`: headers sent with every request (e.g. the caller's Authorization) unless the
  // request names them itself.
  HttpClient(std::string host, int port, std::map<std::string, std::string> always = {})
      : host_(std::move(host)), port_(port), always_(std::move(always)) {}

  HttpAnswer Send(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}) {
    namespace http = boost::beast::http;
    Connect();
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    if (request.method() == http::verb::unknown) request.method_string(method);
    request.set(http::field::host, host_);
    for (const auto& [k, v] : always_) {
      if (headers.count(k) == 0) request.set(k, v);
    }
    // Inserted, not set: a test may send one header twice under two spellings of its name.
    for (const auto& [k, v] : headers) request.insert(k, v);
    if (!body.empty() && headers.count("Content-Type") == 0) {
      request.set(http::field::content_type, "application/json");
    }
    request.body() = body;
    request.prepare_payload();
    boost::beast::error_code ec;
    http::write(*socket_, request, ec);
    // A server may answer before reading the whole request (413) and stop reading: its answer
    // is still there to read.
    return Read(/*head=*/method == "HEAD");
  }

  // Writes `bytes` as they are, then reads one answer.
  HttpAnswer SendRaw(const std::string& bytes) {
    Connect();
    boost::beast::error_code ec;
    boost::asio::write(*socket_, boost::asio::buffer(bytes), ec);
    if (ec) return Closed();
    return Read();
  }

  // Whether the server closed the connection: a read gives end-of-stream.
  bool ServerClosed() {
    if (!socket_) return true;
    char byte;
    boost::beast::error_code ec;
    socket_->read_some(boost::asio::buffer(&byte, 1), ec);
    return ec.failed();
  }

 private:
  void Connect() {
    if (socket_ && socket_->is_open()) return;
    socket_ = std::make_unique<boost::asio::ip::tcp::socket>(io_);
    boost::asio::ip::tcp::resolver resolver(io_);
    boost::asio::connect(*socket_, resolver.resolve(host_, std::to_string(port_)));
    buffer_.clear();
  }
  HttpAnswer Closed() {
    socket_.reset();
    HttpAnswer a;
    a.closed = true;
    return a;
  }
  // `head`: the answer to a HEAD, whose Content-Length counts no bytes that follow.
  HttpAnswer Read(bool head = false) {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head);
    boost::beast::error_code ec;
    http::read(*socket_, buffer_, parser, ec);
    if (ec) return Closed();
    HttpAnswer answer;
    const auto& response = parser.get();
    answer.status = response.result_int();
    answer.body = response.body();
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      answer.headers[name] = std::string(field.value());
    }
    if (!response.keep_alive()) socket_.reset();
    return answer;
  }

  std::string host_;
  int port_;
  std::map<std::string, std::string> always_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ip::tcp::socket> socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace itsm::gateway::testing

#endif  // ITSM_SERVICES_GATEWAY_TESTS_HTTP_CLIENT_H_
