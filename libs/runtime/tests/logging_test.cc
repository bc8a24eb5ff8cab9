#include "itsm/runtime/logging.h"

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

}  // namespace
}  // namespace itsm::runtime::log
