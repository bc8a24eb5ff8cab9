#include "itsm/runtime/executor.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace itsm::runtime {
namespace {

TEST(Executor, RunsEveryTaskOffTheCallersThreadAndDrainsOnStop) {
  Executor executor("test", 3, 1000);
  std::atomic<int> ran{0};
  std::atomic<int> on_caller{0};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(executor.TrySubmit([&] {
      if (std::this_thread::get_id() == caller) ++on_caller;
      ++ran;
    }));
  }
  executor.Stop();
  EXPECT_EQ(ran.load(), 500);
  EXPECT_EQ(on_caller.load(), 0);
  EXPECT_FALSE(executor.TrySubmit([] {})) << "a stopped executor takes nothing";
}

TEST(Executor, AFullQueueRefusesInsteadOfGrowing) {
  // Declared first, destroyed last: the worker may still be returning from the wait.
  absl::Notification release;
  absl::Notification started;
  Executor executor("test", 1, 2);
  ASSERT_TRUE(executor.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();  // the one worker is busy; the queue is empty
  EXPECT_TRUE(executor.TrySubmit([] {}));
  EXPECT_TRUE(executor.TrySubmit([] {}));
  EXPECT_FALSE(executor.TrySubmit([] {}));
  EXPECT_EQ(Executor::Overloaded().code(), absl::StatusCode::kResourceExhausted);
  release.Notify();
}

}  // namespace
}  // namespace itsm::runtime
