// What a newcomer and an SRE see first, black box, on the whole suite started by the launcher:
//  - every itsmctl command README.md shows runs as written and succeeds (a README that lies is a
//    bug: the README's own `incident get ... --output json` once failed);
//  - the stop goes through its named stages;
//  - every process's /metrics passes `promtool check metrics`, and the metrics the docs and the
//    alert rules rely on exist.
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/supervisor/suite_service.h"
#include "launched_suite.h"

namespace itsm {
namespace {

// The words of a shell command line as the README writes them: spaces separate, double quotes
// group (no escapes or variables are used there).
std::vector<std::string> ShellWords(absl::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, in_word = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (c == ' ' && !quoted) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// The README's itsmctl command lines (indented code), except those sent to the background.
std::vector<std::vector<std::string>> ReadmeCommands() {
  std::ifstream in(std::string(ITSM_SOURCE_DIR) + "/README.md");
  std::vector<std::vector<std::string>> commands;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&l, "build/bin/itsmctl ") || absl::EndsWith(l, "&")) continue;
    commands.push_back(ShellWords(l));
  }
  return commands;
}

TEST(ReadmeAndMetrics, EveryReadmeCommandWorksAndEveryMetricsEndpointPassesPromtool) {
  const auto commands = ReadmeCommands();
  ASSERT_GE(commands.size(), 8u) << "README.md lost its examples?";
  testing::LaunchedSuite suite({"configuration", "incident", "sla", "sla-timer"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  for (const auto& args : commands) {
    std::string out;
    EXPECT_EQ(suite.Itsmctl(args, &out), 0) << absl::StrJoin(args, " ") << "\n" << out;
  }
  // itsmctl follows every page of a list: nine shipped classes, two a page.
  std::string classes;
  ASSERT_EQ(suite.Itsmctl({"ci", "class", "list", "--page-size", "2"}, &classes), 0) << classes;
  for (const char* name : {"application", "business_service", "cluster", "database", "hardware",
                           "location", "network_device", "server", "virtual_machine"}) {
    EXPECT_TRUE(absl::StrContains(classes, absl::StrCat("\n", name, " "))) << name << "\n"
                                                                           << classes;
  }

  const launcher::v1::Endpoints endpoints = suite.Endpoints();
  ASSERT_EQ(endpoints.services_size(), 4);
  testing::ScratchDir scratch;
  for (const auto& service : endpoints.services()) {
    absl::string_view url = service.metrics_url();
    ASSERT_TRUE(absl::ConsumePrefix(&url, "http://")) << url;
    const std::string address(url.substr(0, url.find('/')));
    auto metrics = supervisor::ScrapeMetrics(address);
    ASSERT_TRUE(metrics.ok()) << service.name() << ": " << metrics.status();
    EXPECT_TRUE(absl::StrContains(*metrics, "itsm_grpc_server_handled_total")) << service.name();
    if (service.name() != "sla-timer") {
      EXPECT_TRUE(absl::StrContains(*metrics, "itsm_outbox_dead_letter_total")) << service.name();
    }
    const std::string file = scratch.File(service.name() + ".prom");
    ASSERT_TRUE(supervisor::WriteFileAtomically(file, *metrics).ok());
    supervisor::ChildProcess::Options check;
    check.binary = "/bin/sh";
    check.args = {"-c", "promtool check metrics < " + file};
    check.log_file = scratch.File(service.name() + ".promtool");
    auto proc = supervisor::ChildProcess::Start(check);
    ASSERT_TRUE(proc.ok());
    EXPECT_EQ((*proc)->Wait(absl::Seconds(60)), 0)
        << service.name() << ":\n"
        << supervisor::ReadFile(check.log_file).value_or("");
  }
  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
  // The stop went through its named stages, each logged with its duration, the outbox's final
  // round among them.
  for (const auto& service : endpoints.services()) {
    if (service.name() == "sla-timer") continue;
    const std::string log = supervisor::ReadFile(service.log_file()).value_or("");
    for (const char* stage : {"not serving", "grace period", "drain calls", "outbox relay"}) {
      EXPECT_TRUE(absl::StrContains(log, absl::StrCat(R"("stage":")", stage, R"(")")))
          << service.name() << " did not log the stage " << stage;
    }
  }
}

}  // namespace
}  // namespace itsm
