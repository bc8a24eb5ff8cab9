// An HTTP/1.1 client for the load driver: a fixed set of kept-alive connections driven
// asynchronously by one thread (Boost.Beast), each carrying one request at a time, fed from one
// queue. A call is answered ok when the status is 200. One thread rather than one per
// connection: a blocking thread per connection cost a thread wake-up per call on each side of
// the queue, which the 2-core machine paid in the gateway's figures (decision 154).
#ifndef ITSM_BENCH_LOAD_HTTP_LOAD_CLIENT_H_
#define ITSM_BENCH_LOAD_HTTP_LOAD_CLIENT_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "load_driver.h"

namespace itsm::bench {

class HttpLoadClient {
 public:
  // `connections`: at most this many requests in flight (use the largest concurrency).
  HttpLoadClient(std::string host, int port, int connections,
                 std::map<std::string, std::string> headers);
  ~HttpLoadClient();

  // POST `target` with the JSON body made for the n-th call.
  AsyncCall Post(std::string target, std::function<std::string(int64_t n)> body);
  // GET the target made for the n-th call.
  AsyncCall Get(std::function<std::string(int64_t n)> target);

 private:
  struct Request {
    std::string method;
    std::string target;
    std::string body;
    std::function<void(bool ok)> done;
  };
  struct Connection;
  // Everything below runs on the client's thread.
  void Enqueue(Request request);
  void Pump();
  void Send(Connection& connection);
  void Finish(Connection& connection, bool ok, bool keep);

  const std::string host_;
  const std::map<std::string, std::string> headers_;
  std::atomic<int64_t> counter_{0};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<Request> pending_;
  std::thread thread_;
};

}  // namespace itsm::bench

#endif  // ITSM_BENCH_LOAD_HTTP_LOAD_CLIENT_H_
