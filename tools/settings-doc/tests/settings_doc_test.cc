#include "settings_doc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace itsm::settings_doc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

runtime::ServiceInfo Service(std::string name, int grpc_port,
                             std::vector<runtime::OptionSpec> own) {
  return {std::move(name), grpc_port, grpc_port + 1, std::move(own)};
}

TEST(SettingsDoc, CommonDefaultsThatDifferReadPerService) {
  auto sections =
      GenerateSections({Service("a", 50001, {runtime::IntOption("batch", 5, 1, 10, "Batch.")}),
                        Service("b", 50011, {})});
  ASSERT_TRUE(sections.ok()) << sections.status();
  EXPECT_THAT(sections->at("common"),
              HasSubstr("| `grpc_port` | `ITSM_GRPC_PORT` | int | per service | 0..65535 |"));
  EXPECT_THAT(
      sections->at("common"),
      HasSubstr("| `database_pool_size` | `ITSM_DATABASE_POOL_SIZE` | int | `8` | 1..256 |"));
  EXPECT_THAT(sections->at("a"), HasSubstr("| `batch` | `ITSM_BATCH` | int | `5` | 1..10 |"));
  EXPECT_THAT(sections->at("a"), Not(HasSubstr("grpc_port")));
}

TEST(SettingsDoc, DefaultOutsideItsBoundsIsAnError) {
  auto sections =
      GenerateSections({Service("a", 50001, {runtime::IntOption("batch", 0, 1, 10, "Batch.")})});
  ASSERT_EQ(sections.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sections.status().message(), HasSubstr("itsm-a declarations: batch"));
}

TEST(SettingsDoc, OptionDeclaredTwiceIsAnError) {
  auto sections = GenerateSections(
      {Service("a", 50001, {runtime::IntOption("grpc_port", 1, 0, 10, "Again.")})});
  ASSERT_EQ(sections.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sections.status().message(), HasSubstr("grpc_port is declared twice"));
}

TEST(SettingsDoc, ReplacesOnlyTheTextBetweenMarkers) {
  const std::string document =
      "# Settings\nprose\n<!-- generated: a -->\nold table\n<!-- end generated: a -->\nmore "
      "prose\n";
  auto updated = ReplaceGeneratedSections(document, {{"a", "| new |\n"}});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(*updated,
            "# Settings\nprose\n<!-- generated: a -->\n| new |\n<!-- end generated: a -->\nmore "
            "prose\n");
  // Generating again changes nothing: what --check compares.
  EXPECT_EQ(*ReplaceGeneratedSections(*updated, {{"a", "| new |\n"}}), *updated);
}

TEST(SettingsDoc, MissingOrBrokenMarkersAreErrors) {
  EXPECT_EQ(ReplaceGeneratedSections("# Settings\n", {{"a", "t\n"}}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ReplaceGeneratedSections("<!-- generated: a -->\nx\n", {{"a", "t\n"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ReplaceGeneratedSections("<!-- generated: b -->\n<!-- end generated: b -->\n", {{"a", "t\n"}})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace itsm::settings_doc
