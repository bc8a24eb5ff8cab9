#include "log_rotation.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace itsm::launcher {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LogRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("itsm-log-rotation-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    log_ = (dir_ / "incident.log").string();
    // As the launcher gives a process its stderr.
    writer_ = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(writer_, 0);
  }
  void TearDown() override {
    close(writer_);
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& text) {
    ASSERT_EQ(write(writer_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }

  std::filesystem::path dir_;
  std::string log_;
  int writer_ = -1;
};

TEST_F(LogRotationTest, ALogWithinItsSizeIsLeftAlone) {
  LogRotation rotation({.max_bytes = 10, .keep = 3});
  Write("0123456789");
  EXPECT_FALSE(*rotation.RotateIfLarge(log_));
  EXPECT_EQ(Read(log_), "0123456789");
  EXPECT_FALSE(std::filesystem::exists(log_ + ".1"));
  EXPECT_FALSE(*rotation.RotateIfLarge((dir_ / "never-written.log").string()));
  EXPECT_FALSE(*LogRotation({.max_bytes = 0, .keep = 3}).RotateIfLarge(log_));
}

TEST_F(LogRotationTest, ALargeLogIsCopiedAndItsWriterGoesOnAtTheStart) {
  LogRotation rotation({.max_bytes = 10, .keep = 3});
  Write("first line\nsecond\n");
  ASSERT_TRUE(*rotation.RotateIfLarge(log_));
  EXPECT_EQ(Read(log_ + ".1"), "first line\nsecond\n");
  EXPECT_EQ(Read(log_), "");
  Write("third\n");
  EXPECT_EQ(Read(log_), "third\n");  // no hole where the old content was
  EXPECT_EQ(std::filesystem::file_size(log_), 6u);
}

TEST_F(LogRotationTest, KeepsTheNewestCopiesOnly) {
  LogRotation rotation({.max_bytes = 4, .keep = 2});
  for (const char* round : {"round 1\n", "round 2\n", "round 3\n"}) {
    Write(round);
    ASSERT_TRUE(*rotation.RotateIfLarge(log_));
  }
  EXPECT_EQ(Read(log_ + ".1"), "round 3\n");
  EXPECT_EQ(Read(log_ + ".2"), "round 2\n");
  EXPECT_FALSE(std::filesystem::exists(log_ + ".3"));
  EXPECT_EQ(std::filesystem::status(log_ + ".1").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(LogRotationTest, ALogThatCannotBeCopiedIsEmptiedAllTheSame) {
  // A folder where the copy should go stands for a copy that cannot be written.
  std::filesystem::create_directories(log_ + ".1/in-the-way");
  LogRotation rotation({.max_bytes = 4, .keep = 1});
  Write("what fills the disk\n");
  absl::StatusOr<bool> rotated = rotation.RotateIfLarge(log_);
  EXPECT_EQ(rotated.status().code(), absl::StatusCode::kDataLoss) << rotated.status();
  EXPECT_EQ(Read(log_), "");
  EXPECT_TRUE(std::filesystem::is_directory(log_ + ".1"));
}

}  // namespace
}  // namespace itsm::launcher
