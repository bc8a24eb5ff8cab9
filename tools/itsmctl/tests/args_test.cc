// How itsmctl reads its command line: flags on and off, and a table's rows one line each.
#include "cli.h"
#include "gtest/gtest.h"

namespace itsm::ctl {
namespace {

TEST(Args, AFlagIsOnWhenGivenAndOffWhenSaidFalse) {
  const std::vector<std::string> flags = {"major", "not-major", "all"};
  absl::StatusOr<Args> on = Args::Parse({"--major", "--title", "Mail down"}, flags);
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->Has("major"));
  EXPECT_EQ(on->Get("title"), "Mail down");
  for (const char* off : {"--major=false", "--major=no", "--major=0", "--major=OFF"}) {
    absl::StatusOr<Args> a = Args::Parse({off}, flags);
    ASSERT_TRUE(a.ok()) << off << ": " << a.status();
    EXPECT_FALSE(a->Has("major")) << off;
    EXPECT_TRUE(a->Has("not-major")) << off << ": the negation, where there is one";
  }
  absl::StatusOr<Args> all_off = Args::Parse({"--all=false"}, flags);
  ASSERT_TRUE(all_off.ok());
  EXPECT_FALSE(all_off->Has("all"));
  EXPECT_TRUE(Args::Parse({"--all=true"}, flags)->Has("all"));
  // A value that is no truth value, and a separate one that would be a stray word, are refused.
  EXPECT_EQ(Args::Parse({"--major=maybe"}, flags).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Args> stray = Args::Parse({"--major", "no"}, flags);
  EXPECT_EQ(stray.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(stray.status().message().find("--major=no"), std::string::npos) << stray.status();
  // A flag before a positional is a flag and a positional.
  absl::StatusOr<Args> id = Args::Parse({"--all", "INC0000001"}, flags);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->positionals(), std::vector<std::string>{"INC0000001"});
}

TEST(Args, ATableRowIsOneLine) {
  ::testing::internal::CaptureStdout();
  PrintTable({"NUMBER", "WORKAROUND"}, {{"PRB0000002", "restart\nPRB0000001 closed\tall fixed"}});
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out,
            "NUMBER      WORKAROUND\n"
            "PRB0000002  restart\\nPRB0000001 closed\\tall fixed\n");
}

}  // namespace
}  // namespace itsm::ctl
