// An HTTP/1.1 client for the load driver: a fixed set of kept-alive connections, each served by
// its own thread (Boost.Beast, blocking), fed from one queue. A call is answered ok when the
// status is 200. Enough for the gateway's figures next to direct gRPC in the same run; the
// threads are the client's cost, paid alike by every HTTP scenario.
#ifndef ITSM_BENCH_LOAD_HTTP_LOAD_CLIENT_H_
#define ITSM_BENCH_LOAD_HTTP_LOAD_CLIENT_H_

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
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
  void Enqueue(Request request);
  void Serve();

  const std::string host_;
  const int port_;
  const std::map<std::string, std::string> headers_;
  std::atomic<int64_t> counter_{0};
  absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace itsm::bench

#endif  // ITSM_BENCH_LOAD_HTTP_LOAD_CLIENT_H_
