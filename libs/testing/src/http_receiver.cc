#include "itsm/testing/http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace itsm::testing {

HttpReceiver::HttpReceiver(Decide decide) : decide_(std::move(decide)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(listen_fd_, 128);
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

HttpReceiver::~HttpReceiver() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  close(listen_fd_);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    absl::MutexLock lock(&mu_);
    connections.swap(connections_);
  }
  for (auto& t : connections) t.join();
}

std::string HttpReceiver::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

std::vector<ReceivedRequest> HttpReceiver::Requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

bool HttpReceiver::WaitFor(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requests_.size() >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void HttpReceiver::Accept() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    absl::MutexLock lock(&mu_);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void HttpReceiver::Serve(int fd) {
  std::string data;
  char buf[4096];
  ReceivedRequest request;
  size_t head_end = std::string::npos;
  size_t content_length = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (absl::Now() < give_up && !stopping_) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
      std::vector<std::string> lines = absl::StrSplit(data.substr(0, head_end), "\r\n");
      std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
      request.method = first[0];
      request.target = first.size() > 1 ? first[1] : "";
      for (size_t i = 1; i < lines.size(); ++i) {
        const size_t colon = lines[i].find(':');
        if (colon == std::string::npos) continue;
        request.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
            std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      }
      if (!absl::SimpleAtoi(request.Header("content-length"), &content_length)) content_length = 0;
    }
    if (head_end != std::string::npos && data.size() >= head_end + 4 + content_length) {
      request.body = data.substr(head_end + 4, content_length);
      request.received = absl::Now();
      Answer answer = decide_ ? decide_(request) : Answer{};
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(request);
      }
      // A delay is slept in small steps, so that the destructor does not wait for it.
      for (absl::Time until = absl::Now() + answer.delay; absl::Now() < until && !stopping_;) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      std::string response =
          absl::StrCat("HTTP/1.1 ", answer.status, " Test\r\nContent-Length: ", answer.body.size(),
                       "\r\nConnection: close\r\n");
      for (const auto& [name, value] : answer.headers) {
        absl::StrAppend(&response, name, ": ", value, "\r\n");
      }
      absl::StrAppend(&response, "\r\n", answer.body);
      (void)!write(fd, response.data(), response.size());
      break;
    }
  }
  close(fd);
}

}  // namespace itsm::testing
