#include "itsm/runtime/config.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/runtime/logging.h"

namespace itsm::runtime {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<OptionSpec> Specs() { return CommonOptions(50051, 9151); }

// Loads with `args` (after the program name) and exactly `environment`, never the test
// process's own: a developer's exported ITSM_LOG_LEVEL must not change the results.
absl::StatusOr<Config> LoadWith(std::vector<const char*> args, const Environment& environment,
                                std::vector<OptionSpec> specs = Specs()) {
  args.insert(args.begin(), "itsm-test");
  return Config::Load(static_cast<int>(args.size()), args.data(), "test", std::move(specs),
                      environment);
}

TEST(Config, DefaultsThenEnvironmentThenFlags) {
  auto config = LoadWith({"--metrics_port=1234", "--data_dir", "/tmp/x"},
                         {{"ITSM_LOG_LEVEL", "debug"}, {"ITSM_METRICS_PORT", "9999"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetInt("grpc_port"), 50051);       // default
  EXPECT_EQ(config->GetString("log_level"), "debug");  // environment
  EXPECT_EQ(config->GetInt("metrics_port"), 1234);     // flag beats environment
  EXPECT_EQ(config->GetString("data_dir"), "/tmp/x");  // "--name value" form
  EXPECT_EQ(config->DatabaseUrl(), "sqlite:///tmp/x/test.db");
}

TEST(Config, ReadsTheProcessEnvironmentByDefault) {
  setenv("ITSM_SHUTDOWN_TIMEOUT_SECONDS", "7", 1);
  const char* argv[] = {"itsm-test"};
  auto config = Config::Load(1, argv, "test", Specs());
  unsetenv("ITSM_SHUTDOWN_TIMEOUT_SECONDS");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetInt("shutdown_timeout_seconds"), 7);
}

TEST(Config, EveryCommonDefaultFitsItsDeclaration) {
  auto config = LoadWith({}, {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetInt("database_pool_size"), 8);
  EXPECT_EQ(config->GetString("sqlite_synchronous"), "full");
}

TEST(Config, UnknownOptionIsNamed) {
  auto config = LoadWith({"--grpc_prot=1"}, {});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("grpc_prot"));
}

TEST(Config, MissingValueIsAnError) {
  EXPECT_EQ(LoadWith({"--grpc_port"}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Config, OutOfBoundsIntNamesOptionBoundValueAndSource) {
  auto config = LoadWith({}, {{"ITSM_DATABASE_POOL_SIZE", "0"}});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "database_pool_size must be between 1 and 256, got \"0\" (from "
            "ITSM_DATABASE_POOL_SIZE)");

  config = LoadWith({"--grpc_port=65536"}, {});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "grpc_port must be between 0 and 65535, got \"65536\" (from --grpc_port)");
}

TEST(Config, BoundsAreInclusive) {
  auto config =
      LoadWith({"--grpc_port=0", "--metrics_port=65535"}, {{"ITSM_OUTBOX_POLL_INTERVAL_MS", "10"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetInt("grpc_port"), 0);
  EXPECT_EQ(config->GetInt("metrics_port"), 65535);
  EXPECT_EQ(config->GetInt("outbox_poll_interval_ms"), 10);
  EXPECT_FALSE(LoadWith({"--outbox_poll_interval_ms=9"}, {}).ok());
}

TEST(Config, NonIntegerIsRejectedAtLoad) {
  for (const char* bad : {"abc", "", "12x", "1.5"}) {
    auto config = LoadWith({}, {{"ITSM_GRPC_PORT", bad}});
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(config.status().message(),
              absl::StrCat("grpc_port must be an integer in 0..65535, got \"", bad,
                           "\" (from ITSM_GRPC_PORT)"));
  }
}

TEST(Config, BadEnumValueListsTheAllowedOnes) {
  auto config = LoadWith({"--log_level", "verbose"}, {});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "log_level must be one of trace, debug, info, warn, error, got \"verbose\" (from "
            "--log_level)");
  EXPECT_FALSE(LoadWith({}, {{"ITSM_SQLITE_SYNCHRONOUS", "off"}}).ok());
}

TEST(Config, EnumValuesMatchInAnyCaseAndReadAsDeclared) {
  auto config = LoadWith({}, {{"ITSM_LOG_LEVEL", "WARN"}, {"ITSM_SQLITE_SYNCHRONOUS", "Normal"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GetString("log_level"), "warn");
  EXPECT_EQ(config->GetString("sqlite_synchronous"), "normal");
}

TEST(Config, EveryBadValueIsReportedAtOnce) {
  auto config = LoadWith({"--log_format=xml"}, {{"ITSM_SHUTDOWN_TIMEOUT_SECONDS", "0"}});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("log_format must be one of json, text"));
  EXPECT_THAT(config.status().message(),
              HasSubstr("shutdown_timeout_seconds must be between 1 and 3600"));
}

TEST(Config, BoolsAcceptTheUsualSpellings) {
  std::vector<OptionSpec> specs = {BoolOption("quick", false, "Tiny run.")};
  EXPECT_FALSE(LoadWith({}, {}, specs)->GetBool("quick"));
  EXPECT_TRUE(LoadWith({"--quick=yes"}, {}, specs)->GetBool("quick"));
  EXPECT_TRUE(LoadWith({}, {{"ITSM_QUICK", "TRUE"}}, specs)->GetBool("quick"));
  EXPECT_FALSE(LoadWith({"--quick=0"}, {}, specs)->GetBool("quick"));
  auto bad = LoadWith({"--quick=maybe"}, {}, specs);
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "quick must be true or false, got \"maybe\" (from --quick)");
}

TEST(Config, BadDefaultIsCaughtAtLoad) {
  std::vector<OptionSpec> specs = {IntOption("fire_batch", 1, 2, 10, "Due clocks per trip.")};
  auto config = LoadWith({}, {}, specs);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("(from default)"));
}

TEST(Config, UnknownItsmVariableNamesTheClosestOption) {
  auto config = LoadWith({}, {{"ITSM_GRCP_PORT", "1"},
                              {"ITSM_DATABASE_POOLSIZE", "4"},
                              {"ITSM_LOG_LEVEL", "info"},
                              {"PATH", "/bin"},
                              {"OTHER_GRPC_PORT", "1"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->unknown_environment(),
              ElementsAre(AllOf(Field(&UnknownVariable::variable, "ITSM_DATABASE_POOLSIZE"),
                                Field(&UnknownVariable::closest_option, "database_pool_size")),
                          AllOf(Field(&UnknownVariable::variable, "ITSM_GRCP_PORT"),
                                Field(&UnknownVariable::closest_option, "grpc_port"))));
}

TEST(Config, UnknownItsmVariableIsAWarningLogLine) {
  auto config = LoadWith({}, {{"ITSM_OUTBOX_RETENTION_HOUR", "24"}});
  ASSERT_TRUE(config.ok()) << config.status();
  log::Init("unit", "info", "json");
  ::testing::internal::CaptureStderr();
  config->LogUnknownEnvironment();
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(line, HasSubstr(R"("level":"warn")"));
  EXPECT_THAT(line, HasSubstr(R"("variable":"ITSM_OUTBOX_RETENTION_HOUR")"));
  EXPECT_THAT(line, HasSubstr(R"("closest_option":"outbox_retention_hours")"));
}

TEST(Config, VariablesTheSuiteSharesOnPurposeAreNotWarnedAbout) {
  // What the launcher, the Helm chart and ctest put in every service's environment.
  auto config = LoadWith({}, {{"ITSM_SLA_ADDRESS", "127.0.0.1:50054"},
                              {"ITSM_SLA_TIMER_ADDRESS", "127.0.0.1:50056"},
                              {"ITSM_CONFIGURATION_ADDRESS", "127.0.0.1:50053"},
                              {"ITSM_REDIS_ADDRESS", "127.0.0.1:6390"},
                              {"ITSM_INCIDENT_B_ADDRESS", "127.0.0.1:50159"},  // a replica
                              {"ITSM_BIN_DIR", "/build/bin"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->unknown_environment(), IsEmpty());

  // A misspelt service name is not one the launcher announces.
  config = LoadWith({}, {{"ITSM_CONFIGURATON_ADDRESS", "127.0.0.1:50053"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->unknown_environment(),
              ElementsAre(Field(&UnknownVariable::variable, "ITSM_CONFIGURATON_ADDRESS")));
}

TEST(Config, HelpListsEveryOptionWithItsEnvironmentNameAndBounds) {
  auto config = LoadWith({"--help"}, {});
  ASSERT_EQ(config.status().code(), absl::StatusCode::kCancelled);
  for (const auto& spec : Specs()) {
    EXPECT_THAT(config.status().message(), HasSubstr(EnvironmentName(spec.name))) << spec.name;
  }
  EXPECT_THAT(config.status().message(), HasSubstr("--database_pool_size / "
                                                   "ITSM_DATABASE_POOL_SIZE  int (1..256)"));
}

TEST(Config, ExplicitDatabaseUrlWins) {
  auto config = LoadWith({"--database_url=postgresql://u@h/db"}, {});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->DatabaseUrl(), "postgresql://u@h/db");
}

TEST(Config, MarkdownTableHasOneRowPerOptionWithBounds) {
  const std::string table = OptionsMarkdownTable(
      {IntOption("commit_writers", 0, 0, 64, "Writer threads; 0: by dialect."),
       EnumOption("log_format", "json", {"json", "text"}, "Line format | a pipe."),
       StringOption("ready_file", "", "Written once serving, in <data_dir>.")},
      {{"commit_writers", "per service"}});
  EXPECT_EQ(table,
            "| option | environment | type | default | allowed | meaning |\n"
            "|---|---|---|---|---|---|\n"
            "| `commit_writers` | `ITSM_COMMIT_WRITERS` | int | per service | 0..64 | Writer "
            "threads; 0: by dialect. |\n"
            "| `log_format` | `ITSM_LOG_FORMAT` | enum | `json` | json, text | Line format \\| a "
            "pipe. |\n"
            "| `ready_file` | `ITSM_READY_FILE` | string | empty |  | Written once serving, in "
            "\\<data_dir>. |\n");
}

TEST(ConfigDeathTest, ReadingAnUndeclaredOptionAborts) {
  auto config = LoadWith({}, {});
  ASSERT_TRUE(config.ok());
  EXPECT_DEATH(config->GetString("grpc_prot"), "grpc_prot is not declared");
}

TEST(ConfigDeathTest, LoadOrExitStopsWithCodeTwoNamingTheOption) {
  std::vector<char*> argv = {const_cast<char*>("itsm-test"),
                             const_cast<char*>("--commit_batch_size=0")};
  EXPECT_EXIT(Config::LoadOrExit(2, argv.data(), "test",
                                 {IntOption("commit_batch_size", 512, 1, 10000, "Batch.")}),
              ::testing::ExitedWithCode(2),
              "configuration error: commit_batch_size must be between 1 and 10000, got \"0\"");
}

}  // namespace
}  // namespace itsm::runtime
