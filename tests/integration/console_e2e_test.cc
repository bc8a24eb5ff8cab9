// Issue 17: the web console in a real browser against the suite as a user starts it. The
// launcher hands build/console to the gateway and prints the console's URL; this test checks
// the gateway's static answers itself, then runs web/tests/e2e.mjs (Debian's Chromium driven by
// playwright-core, axe-core in the page) with the gateway's URL and the printed admin key.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "launched_suite.h"
#include "services/gateway/tests/http_client.h"

namespace itsm {
namespace {

namespace fs = std::filesystem;
using gateway::testing::HttpAnswer;
using gateway::testing::HttpClient;

class ConsoleE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(fs::path(ITSM_CONSOLE_DIR) / "index.html"))
        << "the console is not built (target itsm_console)";
    ASSERT_TRUE(fs::exists(fs::path(ITSM_SOURCE_DIR) / "web/node_modules/playwright-core"))
        << "web/'s packages are not installed: run tools/install-deps.sh";
    ASSERT_TRUE(fs::exists(Chromium()))
        << Chromium() << " is missing: run tools/install-deps.sh (Debian's chromium)";
    suite_.Start();
    std::tie(host_, port_) = suite_.HttpHostPort("gateway");
    ASSERT_GT(port_, 0) << suite_.launch_log();
  }
  void TearDown() override { EXPECT_EQ(suite_.Stop(), 0) << suite_.launch_log(); }

  static std::string Chromium() {
    const char* configured = std::getenv("ITSM_CHROMIUM");
    return configured != nullptr ? configured : "/usr/bin/chromium";
  }
  // The key the launcher prints once, after endpoints.json (the suite is up before it is).
  std::string AdminKey() {
    (void)supervisor::WaitUntil(
        [&] { return absl::StrContains(suite_.launch_log(), "Press Ctrl-C"); }, absl::Seconds(30),
        "the launcher's summary");
    const std::string log = suite_.launch_log();
    const size_t at = log.find("itsm_");
    if (at == std::string::npos) return "";
    return log.substr(at, log.find_first_of(" \n'", at) - at);
  }

  // The SLA service and its timer for the countdowns and the "why" of the clocks; the gateway's
  // write rate limit raised so the test can create the records a virtualised queue needs.
  testing::LaunchedSuite suite_{{"incident", "sla", "sla-timer", "gateway"},
                                {{"ITSM_HTTP_PORT", "0"},
                                 {"ITSM_RATE_LIMIT_WRITES_PER_SECOND", "2000"},
                                 {"ITSM_RATE_LIMIT_WRITE_BURST", "2000"}}};
  std::string host_;
  int port_ = 0;
};

TEST_F(ConsoleE2eTest, TheGatewayServesTheBuiltConsole) {
  ASSERT_FALSE(AdminKey().empty()) << suite_.launch_log();
  EXPECT_TRUE(absl::StrContains(suite_.launch_log(), "/console/")) << suite_.launch_log();
  HttpClient browser(host_, port_);
  HttpAnswer root = browser.Send("GET", "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.Header("location"), "/console/");
  HttpAnswer index = browser.Send("GET", "/console/");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("cache-control"), "no-cache");
  EXPECT_EQ(browser.Send("GET", "/console/", "", {{"If-None-Match", index.Header("etag")}}).status,
            304);
  const size_t at = index.body.find("app-");
  ASSERT_NE(at, std::string::npos) << index.body;
  const std::string bundle = index.body.substr(at, index.body.find('"', at) - at);
  HttpAnswer js = browser.Send("GET", "/console/" + bundle, "", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.Header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js.Header("content-encoding"), "gzip");
  EXPECT_EQ(browser.Send("GET", "/console/%2e%2e/index.html").status, 404);
  EXPECT_EQ(browser.Send("GET", "/console/../../etc/passwd").status, 404);
  EXPECT_EQ(browser.Send("DELETE", "/console/index.html").status, 405);
  // The API is unchanged beside it.
  EXPECT_EQ(browser.Send("GET", "/healthz").status, 200);
}

TEST_F(ConsoleE2eTest, AnIncidentIsWorkedInTheBrowserAndAnotherSessionSeesItLive) {
  const std::string key = AdminKey();
  ASSERT_FALSE(key.empty()) << "no admin key printed:\n" << suite_.launch_log();
  const char* shots = std::getenv("ITSM_CONSOLE_SCREENSHOTS");
  const std::string out = ::testing::TempDir() + "/console-e2e.out";
  const std::string command = absl::StrCat(
      "cd ", ITSM_SOURCE_DIR, "/web && ITSM_GATEWAY_URL=http://", host_, ":", port_,
      " ITSM_ADMIN_KEY=", key, " ITSM_CHROMIUM=", Chromium(),
      " ITSM_SCREENSHOTS=", shots != nullptr ? shots : "", " node tests/e2e.mjs > ", out, " 2>&1");
  const int code = std::system(command.c_str());
  const std::string log = supervisor::ReadFile(out).value_or("");
  std::cout << log;
  EXPECT_EQ(code, 0) << log;
}

}  // namespace
}  // namespace itsm
