#include "itsm/runtime/logging.h"

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace itsm::runtime::log {
namespace {

TEST(Logging, JsonStringsAreEscaped) {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\nd\x01");
  EXPECT_EQ(out, R"("a\"b\\c\nd\u0001")");
}

TEST(Logging, FieldsRenderTheirJsonType) {
  EXPECT_EQ(Field("k", "v").json, "\"v\"");
  EXPECT_EQ(Field("k", int64_t{42}).json, "42");
  EXPECT_EQ(Field("k", true).json, "true");
}

TEST(Logging, LinesAreOneJsonObjectWithServiceAndFields) {
  Init("unit", "info", "json");
  ::testing::internal::CaptureStderr();
  Info("hello \"world\"", {{"request_id", "r-1"}, {"n", 3}});
  Debug("not shown");
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(line.find(R"("level":"info","service":"unit","msg":"hello \"world\"")"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("request_id":"r-1","n":3})"), std::string::npos) << line;
  EXPECT_EQ(line.find("not shown"), std::string::npos);
}

// Found from outside: a 15 KB unknown method name was written whole into a line of every call,
// 29 MB of log in 1.3 s from one client without a credential.
TEST(Logging, ALongValueIsCutAtACharacterAndSaysItsLength) {
  const std::string field =
      Field("k", std::string(kMaxFieldBytes - 1, 'a') + "\u00e9" + std::string(20000, 'b')).json;
  EXPECT_EQ(field, "\"" + std::string(kMaxFieldBytes - 1, 'a') + "... (" +
                       std::to_string(kMaxFieldBytes + 1 + 20000) + " bytes)\"");
  EXPECT_EQ(Field("k", std::string(kMaxFieldBytes, 'a')).json,
            "\"" + std::string(kMaxFieldBytes, 'a') + "\"");
}

TEST(Logging, ABudgetLetsSoManyLinesASecondAndThenSaysHowManyItLeftOut) {
  Init("unit", "info", "json");
  // Start at the beginning of a second, so that the 30 calls fall in one.
  const absl::Time next = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1);
  absl::SleepFor(next - absl::Now());
  int allowed = 0;
  for (int i = 0; i < 30; ++i) allowed += WithinBudget("unit test lines", 10) ? 1 : 0;
  EXPECT_EQ(allowed, 10);
  absl::SleepFor(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 1) - absl::Now());
  ::testing::internal::CaptureStderr();
  EXPECT_TRUE(WithinBudget("unit test lines", 10));
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(line.find(R"("msg":"log lines left out","kind":"unit test lines","count":20)"),
            std::string::npos)
      << line;
  // Another kind has a budget of its own.
  EXPECT_TRUE(WithinBudget("other unit test lines", 10));
}

}  // namespace
}  // namespace itsm::runtime::log
