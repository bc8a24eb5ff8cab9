// The gateway's upstream calls over a real gRPC channel to a listener that accepts connections
// and never speaks HTTP/2: a call stays in flight until its deadline, or until CancelAll (the
// gateway's shutdown) ends it.
#include "services/gateway/src/upstreams.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace itsm::gateway {
namespace {

// A TCP listener on loopback whose connections the kernel accepts and nobody ever reads.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
             listen(fd_, 16) == 0 &&
             getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() {
    if (fd_ >= 0) close(fd_);
  }
  bool bound() const { return bound_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  bool bound_ = false;
  int port_ = 0;
};

struct Ended {
  absl::Notification done;
  grpc::Status status;
};

TEST(UpstreamsTest, CancelAllEndsTheCallsInFlightAndEveryLaterCall) {
  SilentListener listener;
  ASSERT_TRUE(listener.bound());
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      "itsm.incident.v1.IncidentService.GetIncident");
  ASSERT_NE(method, nullptr);
  Upstreams upstreams;
  upstreams.Add(method->service()->full_name(),
                grpc::CreateChannel(listener.address(), grpc::InsecureChannelCredentials()));
  auto call = [&](Ended& ended) {
    upstreams.Call(*method, "", {}, absl::Seconds(60), [&ended](grpc::Status status, std::string) {
      ended.status = std::move(status);
      ended.done.Notify();
    });
  };
  Ended first;
  Ended second;
  call(first);
  call(second);
  EXPECT_FALSE(first.done.WaitForNotificationWithTimeout(absl::Milliseconds(500)))
      << "the call ended before it was cancelled: " << first.status.error_message();

  upstreams.CancelAll();
  for (Ended* ended : {&first, &second}) {
    ASSERT_TRUE(ended->done.WaitForNotificationWithTimeout(absl::Seconds(5)));
    EXPECT_EQ(ended->status.error_code(), grpc::StatusCode::CANCELLED);
  }
  Ended later;
  call(later);
  ASSERT_TRUE(later.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(later.status.error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace itsm::gateway
