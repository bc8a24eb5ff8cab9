#include "services/gateway/src/console_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace itsm::gateway {
namespace {

namespace fs = std::filesystem;

class ConsoleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / absl::StrCat("console_files_test_", ::getpid());
    fs::remove_all(base_);
    fs::create_directories(base_ / "console" / "assets");
    Write("console/index.html", "<!doctype html><title>itsm</title>");
    Write("console/app-6RXZEX45.js", "console.log('app')");
    Write("console/app-6RXZEX45.js.gz", "GZIPPED");
    Write("console/style-DXLPZ5G2.css", "body{}");
    Write("console/assets/logo.svg", "<svg/>");
    Write("console/.env", "hidden");
    Write("secret.txt", "outside");
    fs::create_symlink(base_ / "secret.txt", base_ / "console" / "leak.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(base_ / name, std::ios::binary) << text;
  }
  std::optional<StaticAnswer> Get(absl::string_view path, absl::string_view encoding = "",
                                  absl::string_view method = "GET",
                                  absl::string_view if_none_match = "") {
    return ConsoleFiles((base_ / "console").string()).Serve(method, path, encoding, if_none_match);
  }

  fs::path base_;
};

TEST_F(ConsoleFilesTest, RootAndBareConsoleRedirectToTheConsole) {
  auto root = Get("/");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->status, 302);
  EXPECT_EQ(root->Header("Location"), "/console/");
  auto bare = Get("/console");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->status, 301);
  EXPECT_EQ(bare->Header("Location"), "/console/");
}

TEST_F(ConsoleFilesTest, OtherPathsAreNotTheConsoles) {
  EXPECT_FALSE(Get("/v1/incidents").has_value());
  EXPECT_FALSE(Get("/consoles/x").has_value());
  EXPECT_FALSE(Get("/", "", "POST").has_value());
}

TEST_F(ConsoleFilesTest, IndexIsRevalidatedWithItsETag) {
  auto index = Get("/console/");
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->body, "<!doctype html><title>itsm</title>");
  EXPECT_EQ(index->Header("Cache-Control"), "no-cache");
  EXPECT_NE(index->Header("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  const std::string etag = index->Header("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = Get("/console/index.html", "", "GET", absl::StrCat("\"other\", ", etag));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
}

TEST_F(ConsoleFilesTest, HashedBundlesAreImmutableWithTheirContentType) {
  auto js = Get("/console/app-6RXZEX45.js");
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->Header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js->Header("Content-Encoding"), "");
  EXPECT_EQ(js->body, "console.log('app')");
  auto css = Get("/console/style-DXLPZ5G2.css");
  ASSERT_TRUE(css.has_value());
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  auto svg = Get("/console/assets/logo.svg");
  ASSERT_TRUE(svg.has_value());
  EXPECT_EQ(svg->content_type, "image/svg+xml");
  EXPECT_EQ(svg->Header("Cache-Control"), "no-cache");
}

TEST_F(ConsoleFilesTest, PrecompressedCopyGoesToClientsThatAcceptGzip) {
  auto gz = Get("/console/app-6RXZEX45.js", "br, gzip;q=0.8");
  ASSERT_TRUE(gz.has_value());
  EXPECT_EQ(gz->Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->Header("Vary"), "Accept-Encoding");
  EXPECT_EQ(gz->body, "GZIPPED");
  EXPECT_EQ(gz->content_type, "text/javascript; charset=utf-8");
  auto refused = Get("/console/app-6RXZEX45.js", "gzip;q=0");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->body, "console.log('app')");
}

TEST_F(ConsoleFilesTest, HeadHasTheLengthButNoBody) {
  auto head = Get("/console/app-6RXZEX45.js", "", "HEAD");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->Header("Content-Length"), "18");
}

TEST_F(ConsoleFilesTest, OtherMethodsAreNotAllowed) {
  auto post = Get("/console/index.html", "", "POST");
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->Header("Allow"), "GET, HEAD");
}

TEST_F(ConsoleFilesTest, PathsLeavingTheFolderAreRefused) {
  for (absl::string_view path :
       {"/console/../secret.txt", "/console/assets/../../secret.txt", "/console/%2e%2e/secret.txt",
        "/console/.env", "/console//etc/passwd", "/console/assets\\..\\..\\secret.txt",
        "/console/leak.txt", "/console/assets/", "/console/nope.js", "/console/assets"}) {
    auto answer = Get(path);
    ASSERT_TRUE(answer.has_value()) << path;
    EXPECT_EQ(answer->status, 404) << path;
    EXPECT_EQ(answer->body.find("outside"), std::string::npos) << path;
  }
}

TEST(ConsoleFileNames, HashedNamesAreEsbuilds) {
  EXPECT_TRUE(ConsoleFiles::IsHashed("app-6RXZEX45.js"));
  EXPECT_TRUE(ConsoleFiles::IsHashed("style-DXLPZ5G2.css"));
  EXPECT_FALSE(ConsoleFiles::IsHashed("index.html"));
  EXPECT_FALSE(ConsoleFiles::IsHashed("app-6rxzex45.js"));
  EXPECT_FALSE(ConsoleFiles::IsHashed("my-app.js"));
  EXPECT_EQ(ConsoleFiles::ContentType("x.woff2"), "font/woff2");
  EXPECT_EQ(ConsoleFiles::ContentType("x.bin"), "application/octet-stream");
}

TEST_F(ConsoleFilesTest, ConfigSaysThereIsNoProviderWhenNoneIsConfigured) {
  auto config = Get("/console/config.json");
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->status, 200);
  EXPECT_EQ(config->content_type, "application/json");
  EXPECT_EQ(config->body, R"({"oidc":null})");
  EXPECT_EQ(config->Header("Cache-Control"), "no-store");
  // The page may fetch from its own origin only.
  EXPECT_NE(Get("/console/")->Header("Content-Security-Policy").find("connect-src 'self';"),
            std::string::npos);
  // An issuer without the console's client id is the API's alone (no button).
  ConsoleOidc issuer_only{.issuer = "https://idp.example.com"};
  EXPECT_EQ(ConsoleFiles((base_ / "console").string(), issuer_only)
                .Serve("GET", "/console/config.json", "", "")
                ->body,
            R"({"oidc":null})");
}

TEST_F(ConsoleFilesTest, ConfigNamesTheProviderAndThePageMayFetchFromIt) {
  ConsoleOidc oidc{.issuer = "https://IdP.example.com:8443/realms/itsm",
                   .client_id = "itsm-console",
                   .provider_name = "Corp \"SSO\"",
                   .scopes = "openid profile",
                   .audience = "itsm",
                   .connect_origins = {"https://tokens.example.com/oauth2/token"}};
  ConsoleFiles console((base_ / "console").string(), oidc);
  auto config = console.Serve("GET", "/console/config.json", "gzip", "");
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->status, 200);
  EXPECT_EQ(config->body, R"({"oidc":{"issuer":"https://IdP.example.com:8443/realms/itsm",)"
                          R"("client_id":"itsm-console","provider_name":"Corp \"SSO\"",)"
                          R"("scopes":"openid profile","audience":"itsm"}})");
  auto head = console.Serve("HEAD", "/console/config.json", "", "");
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->Header("Content-Length"), absl::StrCat(config->body.size()));
  const std::string policy =
      console.Serve("GET", "/console/", "", "")->Header("Content-Security-Policy");
  EXPECT_NE(policy.find("connect-src 'self' https://idp.example.com:8443 "
                        "https://tokens.example.com;"),
            std::string::npos)
      << policy;
}

TEST(OriginOfTest, KeepsSchemeHostAndPortOnly) {
  EXPECT_EQ(OriginOf("http://127.0.0.1:9000/issuer"), "http://127.0.0.1:9000");
  EXPECT_EQ(OriginOf("https://idp.example.com"), "https://idp.example.com");
  EXPECT_EQ(OriginOf("https://idp.example.com?x=1"), "https://idp.example.com");
  EXPECT_EQ(OriginOf("idp.example.com/x"), "");
  EXPECT_EQ(OriginOf("https://"), "");
  // Nothing that could end the header's directive or add one.
  EXPECT_EQ(OriginOf("https://a.example.com;script-src *"), "");
}

}  // namespace
}  // namespace itsm::gateway
