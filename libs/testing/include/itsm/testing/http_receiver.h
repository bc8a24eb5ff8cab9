// A tiny HTTP/1.1 server on 127.0.0.1 for tests of outbound HTTP (webhook deliveries): it keeps
// every request it receives (headers, body, arrival time) and answers each with what the test
// decides — a status, a body and headers, after an optional delay — then closes the connection. One
// thread per connection, plain sockets: small enough to trust in a test, independent of the client
// under test.
//
//   HttpReceiver receiver([](const ReceivedRequest&) { return Answer{.status = 500}; });
//   ... url = receiver.Url("/hook") ...
//   receiver.WaitFor(3, absl::Seconds(10));
#ifndef ITSM_TESTING_HTTP_RECEIVER_H_
#define ITSM_TESTING_HTTP_RECEIVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace itsm::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  absl::Time received;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct Answer {
  int status = 200;
  absl::Duration delay = absl::ZeroDuration();  // before answering
  std::string body = "ok";
  std::map<std::string, std::string> headers = {};
};

class HttpReceiver {
 public:
  using Decide = std::function<Answer(const ReceivedRequest&)>;
  explicit HttpReceiver(Decide decide = nullptr);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const;
  std::vector<ReceivedRequest> Requests() const;
  // Waits until at least `n` requests arrived; false after `timeout`.
  bool WaitFor(size_t n, absl::Duration timeout) const;

 private:
  void Accept();
  void Serve(int fd);

  Decide decide_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable absl::Mutex mu_;
  std::vector<ReceivedRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::testing

#endif  // ITSM_TESTING_HTTP_RECEIVER_H_
