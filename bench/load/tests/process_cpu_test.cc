// The CPU figures itsm-bench reports come from /proc; a database server's include every process
// it started, running or ended.
#include "bench/load/process_cpu.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace itsm::bench {
namespace {

// Spins until this process has used `seconds` more of CPU.
void Burn(double seconds) {
  auto used = [] {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
  };
  const double until = used() + seconds;
  while (used() < until) {
  }
}

TEST(ProcessCpuTest, ATreeCountsTheProcessesItStartedRunningAndEnded) {
  const double own_before = ProcessCpuSeconds(getpid());
  const double tree_before = ProcessTreeCpuSeconds(getpid());

  const pid_t ended = fork();
  ASSERT_GE(ended, 0);
  if (ended == 0) {
    Burn(0.3);
    _exit(0);
  }
  ASSERT_EQ(waitpid(ended, nullptr, 0), ended);  // reaped: its CPU is now the parent's cutime

  int burned[2];
  ASSERT_EQ(pipe(burned), 0);
  const pid_t running = fork();
  ASSERT_GE(running, 0);
  if (running == 0) {
    prctl(PR_SET_NAME, "cpu-burner");
    Burn(0.3);
    (void)!write(burned[1], "x", 1);
    pause();
    _exit(0);
  }
  char byte;
  ASSERT_EQ(read(burned[0], &byte, 1), 1);

  EXPECT_EQ(ChildrenNamed(getpid(), "cpu-burner"), std::vector<pid_t>{running});
  EXPECT_TRUE(ChildrenNamed(getpid(), "no-such-command").empty());
  const double tree = ProcessTreeCpuSeconds(getpid()) - tree_before;
  const double own = ProcessCpuSeconds(getpid()) - own_before;
  // Both children's 0.3 s (the kernel counts in ticks of 10 ms), none of it in the process's own.
  EXPECT_GE(tree, 0.55);
  EXPECT_LT(own, 0.2);
  EXPECT_GE(ProcessTreeCpuSeconds(running), 0.25);

  kill(running, SIGKILL);
  waitpid(running, nullptr, 0);
  close(burned[0]);
  close(burned[1]);
}

TEST(ProcessCpuTest, AProcessThatIsGoneHasUsedNothing) {
  const pid_t gone = fork();
  ASSERT_GE(gone, 0);
  if (gone == 0) _exit(0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  EXPECT_EQ(ProcessCpuSeconds(gone), 0);
  EXPECT_EQ(ProcessTreeCpuSeconds(gone), 0);
}

}  // namespace
}  // namespace itsm::bench
