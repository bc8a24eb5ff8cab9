// How the supervisor's starts fail: as a status the launcher retries or reports, never as an
// exception that would end the launcher and every process with it (found from outside: a
// read-only data folder during a restart aborted the whole suite), and never by taking a
// Redis that answers on the port for the suite's own.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supervisor/suite_service.h"

namespace itsm::supervisor {
namespace {

using ::testing::HasSubstr;

class StartFailuresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/start_failures_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // A file where a folder should be: no folder can be made or written under it, for root too.
    std::ofstream(dir_ + "/file") << "not a folder";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(StartFailuresTest, AServiceWhoseDataFolderCannotBeWrittenFailsToStartWithoutThrowing) {
  SuiteService::Options options;
  options.name = "incident";
  options.dir = dir_ + "/file/data";
  options.log_file = dir_ + "/incident.log";
  absl::StatusOr<std::unique_ptr<SuiteService>> started = SuiteService::Launch(options);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(started.status().message(), HasSubstr(options.dir));
}

TEST_F(StartFailuresTest, RedisFailsToStartWithoutThrowingWhenItsFolderCannotBeMade) {
  auto redis = RedisServer::Start(dir_ + "/file/redis", 0, dir_ + "/redis.log");
  ASSERT_FALSE(redis.ok());
  EXPECT_EQ(redis.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(StartFailuresTest, ARedisPortHeldByAnotherRedisServerIsRefusedNamingWhy) {
  auto other = RedisServer::Start(dir_ + "/other", 0, dir_ + "/other.log");
  ASSERT_TRUE(other.ok()) << other.status();
  auto suite = RedisServer::Start(dir_ + "/suite", (*other)->port(), dir_ + "/suite.log");
  ASSERT_FALSE(suite.ok());
  // Ours could not listen: said with what redis-server logged, not a PING of the other taken
  // for a success.
  EXPECT_THAT(suite.status().message(), HasSubstr("exited at start"));
  EXPECT_THAT(suite.status().message(), HasSubstr(absl::StrCat((*other)->port())));
  EXPECT_TRUE((*other)->process().Running());
}

// The local suite's Redis asks for its password: a client without it is refused, and a Redis
// that does not know it (another one on the port) is never taken for it.
TEST_F(StartFailuresTest, ARedisWithAPasswordAnswersOnlyThoseWhoGiveIt) {
  auto redis = RedisServer::Start(dir_ + "/suite", 0, dir_ + "/suite.log", "s3cret-of-the-suite");
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string out = dir_ + "/cli.out";
  const std::string cli = absl::StrCat("redis-cli -p ", (*redis)->port(), " PING > ", out, " 2>&1");
  ASSERT_EQ(std::system(cli.c_str()), 0);
  EXPECT_THAT(ReadFile(out).value_or(""), HasSubstr("NOAUTH"));
  const std::string with = absl::StrCat("REDISCLI_AUTH=s3cret-of-the-suite ", cli);
  ASSERT_EQ(std::system(with.c_str()), 0);
  EXPECT_THAT(ReadFile(out).value_or(""), HasSubstr("PONG"));
  // The password is in a private file, not on the command line other users read.
  EXPECT_THAT(ReadFile(absl::StrCat("/proc/", (*redis)->process().pid(), "/cmdline")).value_or(""),
              ::testing::Not(HasSubstr("s3cret")));
  // Restarted, it asks for the same password.
  (*redis)->process().Kill();
  ASSERT_TRUE((*redis)->Restart(absl::Seconds(10)).ok());
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    auto ready = (*redis)->PollReady();
                    return ready.ok() && *ready;
                  },
                  absl::Seconds(10), "redis-server restarted")
                  .ok());
}

TEST(LastLogLine, IsTheLastLineThatSaysSomething) {
  const std::string file = absl::StrCat(::testing::TempDir(), "/last_line_", getpid(), ".log");
  std::ofstream(file) << "first\n" << std::string(10000, 'x') << "\nwhy it stopped\n\n  \n";
  EXPECT_EQ(LastLogLine(file), "why it stopped");
  std::ofstream(file, std::ios::trunc) << std::string(5000, 'y');
  EXPECT_EQ(LastLogLine(file).size(), 400u);
  EXPECT_EQ(LastLogLine(file + ".missing"), "");
  // From where a new process's output begins: an earlier process's last line is not its.
  std::ofstream(file, std::ios::trunc) << "an earlier process served\n";
  const int64_t start = FileSize(file);
  EXPECT_EQ(LastLogLine(file, start), "");
  std::ofstream(file, std::ios::app) << "this one's reason\n";
  EXPECT_EQ(LastLogLine(file, start), "this one's reason");
  // The log emptied (rotated) after the process began: what it holds now is the process's.
  std::ofstream(file, std::ios::trunc) << "after the rotation\n";
  EXPECT_EQ(LastLogLine(file, start + 100), "after the rotation");
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace itsm::supervisor
