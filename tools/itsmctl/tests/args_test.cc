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

// Found from outside: a title "--gateway=http://elsewhere" sent the API key elsewhere, and
// "--roles=admin" raised a viewer's token. A command's option value is data, whatever it reads.
TEST(GlobalOptions, AreNeverReadInAValuesPlace) {
  Globals globals;
  absl::StatusOr<std::vector<std::string>> rest = ReadGlobalOptions(
      {"--roles", "viewer", "incident", "create", "--title", "--gateway=http://127.0.0.1:1",
       "--description", "--roles=admin", "--major", "--output", "json"},
      globals);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(globals.gateway, "");
  EXPECT_EQ(globals.roles, "viewer");
  EXPECT_TRUE(globals.json) << "after a flag, an option is an option";
  EXPECT_EQ(*rest, (std::vector<std::string>{"incident", "create", "--title",
                                             "--gateway=http://127.0.0.1:1", "--description",
                                             "--roles=admin", "--major"}));
  absl::StatusOr<Args> args = Args::Parse({rest->begin() + 2, rest->end()}, {"major"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Get("title"), "--gateway=http://127.0.0.1:1");
  EXPECT_EQ(args->Get("description"), "--roles=admin");

  // After the command's words, as the docs write them; `--` ends the options for both readers.
  Globals after;
  rest = ReadGlobalOptions({"incident", "get", "INC0000001", "--output", "json", "--gateway",
                            "http://gw:8080", "--", "--api-key=x"},
                           after);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_TRUE(after.json);
  EXPECT_EQ(after.gateway, "http://gw:8080");
  EXPECT_EQ(after.api_key, "");
  args = Args::Parse({rest->begin() + 2, rest->end()}, {});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positionals(), (std::vector<std::string>{"INC0000001", "--api-key=x"}));
}

TEST(GlobalOptions, RefuseWhatWouldBreakARequestOrTheirOwnShape) {
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"--api-key", "abc\r\nX-Evil: 1", "incident", "list"},
        std::vector<std::string>{"--token=a.b.c\n", "incident", "list"},
        std::vector<std::string>{"--gateway", "http://gw/\r\nX-Evil: 1", "incident", "list"},
        std::vector<std::string>{"--gateway=http://gw/ X-Evil: 1", "incident", "list"},
        std::vector<std::string>{"--gateway=http://bücher.example", "incident", "list"},
        std::vector<std::string>{"--output", "yaml", "incident", "list"},
        std::vector<std::string>{"incident", "list", "--gateway"}}) {
    Globals globals;
    absl::StatusOr<std::vector<std::string>> rest = ReadGlobalOptions(argv, globals);
    EXPECT_EQ(rest.status().code(), absl::StatusCode::kInvalidArgument) << argv[0] << argv[1];
  }
  // A command that named a flag main does not know would have its next word read wrongly.
  EXPECT_EQ(Args::Parse({"--force"}, {"force"}).status().code(), absl::StatusCode::kInternal);
}

TEST(Args, AStrayWordIsNamed) {
  absl::StatusOr<Args> args = Args::Parse({"stray", "--title", "t"}, {});
  ASSERT_TRUE(args.ok());
  EXPECT_TRUE(args->NoMoreWordsThan(1).ok());
  absl::Status refused = args->NoMoreWordsThan(0);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("unexpected \"stray\""), std::string::npos) << refused;
}

TEST(Args, AVersionIsOneOrMoreWhenGiven) {
  EXPECT_EQ(*Args::Parse({}, {})->GetVersion(), 0);
  EXPECT_EQ(*Args::Parse({"--version", "7"}, {})->GetVersion(), 7);
  for (const char* bad : {"0", "-7", "seven"}) {
    absl::StatusOr<int64_t> v = Args::Parse({"--version", bad}, {})->GetVersion();
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(v.status().message().find("--version"), std::string::npos) << v.status();
  }
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
