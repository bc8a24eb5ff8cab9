// Issue 17: the web console in a real browser against the suite as a user starts it. The
// launcher hands build/console to the gateway and prints the console's URL; this test checks
// the gateway's static answers itself, then runs web/tests/e2e.mjs (Debian's Chromium driven by
// playwright-core, axe-core in the page) with the gateway's URL and the printed admin key: the
// incident workflow, then the CMDB, change calendar, service-level and supplier views
// (web/tests/e2e_views.mjs) and the change and CMDB writes by role (web/tests/e2e_actions.mjs).
// A test OIDC provider (web/tests/oidc_provider.mjs) runs beside the suite, trusted by the
// gateway (oidc_issuer, oidc_jwks_file) and named to the console (console_oidc_client_id):
// e2e.mjs signs in through it as well (e2e_oidc.mjs).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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
    // The provider first: the gateway reads its keys at start.
    const std::string ready = idp_jwks_ + ".ready";
    supervisor::ChildProcess::Options provider;
    provider.binary = "node";
    provider.args = {absl::StrCat(ITSM_SOURCE_DIR, "/web/tests/oidc_provider.mjs"),
                     "--port",
                     absl::StrCat(idp_port_),
                     "--jwks-file",
                     idp_jwks_,
                     "--ready-file",
                     ready,
                     "--user",
                     "alice:alice-password:agent"};
    provider.log_file = idp_jwks_ + ".log";
    auto idp = supervisor::ChildProcess::Start(provider);
    ASSERT_TRUE(idp.ok()) << idp.status();
    idp_ = std::move(*idp);
    ASSERT_TRUE(supervisor::WaitUntil([&] { return fs::exists(ready); }, absl::Seconds(30),
                                      "the test OIDC provider")
                    .ok())
        << supervisor::ReadFile(idp_jwks_ + ".log").value_or("");
    suite_.Start();
    std::tie(host_, port_) = suite_.HttpHostPort("gateway");
    ASSERT_GT(port_, 0) << suite_.launch_log();
  }
  void TearDown() override {
    EXPECT_EQ(suite_.Stop(), 0) << suite_.launch_log();
    if (idp_ != nullptr) {
      EXPECT_EQ(idp_->Stop(absl::Seconds(10)), 0);
    }
  }

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

  // The test provider's address and key file, fixed before the suite that trusts it.
  const int idp_port_ = supervisor::FindFreePort();
  const std::string idp_issuer_ = absl::StrCat("http://127.0.0.1:", idp_port_);
  const std::string idp_jwks_ =
      absl::StrCat(::testing::TempDir(), "/console-e2e-idp-", ::getpid(), ".json");
  std::unique_ptr<supervisor::ChildProcess> idp_;

  // Every service a view of the console reads (web/src/views/routes.tsx): the CMDB, changes,
  // SLA compliance and the queue's countdowns and the "why" of the clocks (the timer runs the
  // clocks, the SLA service reports them) and suppliers; in the default suite's start order
  // (deploy/local/suite.json). The gateway's write rate limit is raised so that the test can
  // create the records a virtualised queue needs.
  testing::LaunchedSuite suite_{
      {"configuration", "incident", "change", "sla", "sla-timer", "supplier", "gateway"},
      {{"ITSM_HTTP_PORT", "0"},
       {"ITSM_RATE_LIMIT_WRITES_PER_SECOND", "2000"},
       {"ITSM_RATE_LIMIT_WRITE_BURST", "2000"},
       {"ITSM_OIDC_ISSUER", idp_issuer_},
       {"ITSM_OIDC_JWKS_FILE", idp_jwks_},
       {"ITSM_CONSOLE_OIDC_CLIENT_ID", "itsm-console"},
       {"ITSM_CONSOLE_OIDC_PROVIDER_NAME", "Test IdP"}}};
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
  // How to sign in with the provider (public values only), which the page may fetch from.
  HttpAnswer config = browser.Send("GET", "/console/config.json");
  ASSERT_EQ(config.status, 200);
  EXPECT_TRUE(absl::StrContains(config.body, absl::StrCat(R"("issuer":")", idp_issuer_, R"(")")))
      << config.body;
  EXPECT_TRUE(absl::StrContains(config.body, R"("client_id":"itsm-console")")) << config.body;
  EXPECT_TRUE(absl::StrContains(index.Header("content-security-policy"),
                                absl::StrCat("connect-src 'self' ", idp_issuer_, ";")))
      << index.Header("content-security-policy");
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
      " ITSM_SCREENSHOTS=", shots != nullptr ? shots : "", " ITSM_OIDC_ISSUER=", idp_issuer_,
      " ITSM_OIDC_USER=alice:alice-password ITSM_OIDC_PROVIDER_NAME='Test IdP'",
      " node tests/e2e.mjs > ", out, " 2>&1");
  const int code = std::system(command.c_str());
  const std::string log = supervisor::ReadFile(out).value_or("");
  std::cout << log;
  EXPECT_EQ(code, 0) << log;
  if (code != 0) {
    // What the services said besides info, for a failure on a machine where nobody can look.
    for (const char* service : {"incident", "sla", "sla-timer", "supplier", "change", "gateway"}) {
      const std::string service_log =
          supervisor::ReadFile(suite_.File(absl::StrCat("run/logs/", service, ".log")))
              .value_or("");
      std::vector<std::string> notable;
      for (absl::string_view line : absl::StrSplit(service_log, '\n')) {
        if (!line.empty() && !absl::StrContains(line, R"("level":"info")")) {
          notable.emplace_back(line);
        }
      }
      const size_t from = notable.size() > 40 ? notable.size() - 40 : 0;
      std::cout << "--- " << service << ": " << notable.size() << " lines above info, the last:\n";
      for (size_t i = from; i < notable.size(); ++i) std::cout << notable[i] << "\n";
    }
  }
}

}  // namespace
}  // namespace itsm
