#include "itsm/runtime/config.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace itsm::runtime {
namespace {

std::vector<OptionSpec> Specs() { return CommonOptions(50051, 9151); }

TEST(Config, DefaultsThenEnvironmentThenFlags) {
  unsetenv("ITSM_GRPC_PORT");
  setenv("ITSM_LOG_LEVEL", "debug", 1);
  setenv("ITSM_METRICS_PORT", "9999", 1);
  const char* argv[] = {"itsm-test", "--metrics_port=1234", "--data_dir", "/tmp/x"};
  auto config = Config::Load(4, argv, "test", Specs());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetInt("grpc_port"), 50051);         // default
  EXPECT_EQ(config->GetString("log_level"), "debug");     // environment
  EXPECT_EQ(config->GetInt("metrics_port"), 1234);        // flag beats environment
  EXPECT_EQ(config->GetString("data_dir"), "/tmp/x");     // "--name value" form
  EXPECT_EQ(config->DatabaseUrl(), "sqlite:///tmp/x/test.db");
  unsetenv("ITSM_LOG_LEVEL");
  unsetenv("ITSM_METRICS_PORT");
}

TEST(Config, UnknownOptionIsNamed) {
  const char* argv[] = {"itsm-test", "--grpc_prot=1"};
  auto config = Config::Load(2, argv, "test", Specs());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("grpc_prot"), std::string::npos);
}

TEST(Config, MissingValueIsAnError) {
  const char* argv[] = {"itsm-test", "--grpc_port"};
  EXPECT_EQ(Config::Load(2, argv, "test", Specs()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Config, HelpListsEveryOptionWithItsEnvironmentName) {
  const char* argv[] = {"itsm-test", "--help"};
  auto config = Config::Load(2, argv, "test", Specs());
  ASSERT_EQ(config.status().code(), absl::StatusCode::kCancelled);
  for (const auto& spec : Specs()) {
    EXPECT_NE(config.status().message().find(EnvironmentName(spec.name)), std::string::npos)
        << spec.name;
  }
}

TEST(Config, ExplicitDatabaseUrlWins) {
  const char* argv[] = {"itsm-test", "--database_url=postgresql://u@h/db"};
  auto config = Config::Load(2, argv, "test", Specs());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->DatabaseUrl(), "postgresql://u@h/db");
}

TEST(ConfigDeathTest, NonIntegerPortStopsAtStartNamingTheOption) {
  const char* argv[] = {"itsm-test", "--grpc_port=abc"};
  auto config = Config::Load(2, argv, "test", Specs());
  ASSERT_TRUE(config.ok());
  EXPECT_EXIT(config->GetInt("grpc_port"), ::testing::ExitedWithCode(2), "grpc_port");
}

}  // namespace
}  // namespace itsm::runtime
