#include "services/gateway/src/console_files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/runtime/logging.h"

namespace itsm::gateway {
namespace {

constexpr absl::string_view kPrefix = "/console/";

// The console talks to this origin (the API and its event stream) and, for sign-in, to the OIDC
// provider's. No inline script or style (esbuild writes files), no framing (clickjacking of the
// forms that change records).
std::string PolicyFor(const ConsoleOidc& oidc) {
  std::string connect = "'self'";
  if (oidc.enabled()) {
    std::vector<std::string> origins = {OriginOf(oidc.issuer)};
    for (const std::string& extra : oidc.connect_origins) origins.push_back(OriginOf(extra));
    for (const std::string& origin : origins) {
      if (!origin.empty() && !absl::StrContains(connect, origin))
        absl::StrAppend(&connect, " ", origin);
    }
  }
  return absl::StrCat("default-src 'self'; connect-src ", connect,
                      "; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
}

StaticAnswer Plain(int status, absl::string_view text) {
  return {.status = status,
          .content_type = "text/plain; charset=utf-8",
          .body = absl::StrCat(text, "\n"),
          .headers = {{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}}};
}

// A path below /console/ that names a file inside the folder: plain segments of
// [A-Za-z0-9._-], none empty or starting with a dot (so no "..", no hidden files).
bool SafeRelativePath(absl::string_view relative) {
  if (relative.empty() || relative.size() > 255) return false;
  for (absl::string_view segment : absl::StrSplit(relative, '/')) {
    if (segment.empty() || segment[0] == '.') return false;
    for (char c : segment) {
      if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
  }
  return true;
}

bool AcceptsGzip(absl::string_view accept_encoding) {
  for (absl::string_view coding : absl::StrSplit(accept_encoding, ',')) {
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(coding, ';');
    if (absl::StripAsciiWhitespace(parts.first) != "gzip") continue;
    // "gzip;q=0" refuses it.
    return absl::StripAsciiWhitespace(parts.second) != "q=0";
  }
  return false;
}

std::optional<std::string> ReadWhole(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

}  // namespace

std::string StaticAnswer::Header(absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

std::string OriginOf(absl::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos || scheme_end == 0) return "";
  const size_t host_end = url.find_first_of("/?#", scheme_end + 3);
  absl::string_view origin = url.substr(0, host_end);
  if (origin.size() == scheme_end + 3) return "";
  // Only characters of scheme://host[:port]: the value goes into a header.
  for (char c : origin) {
    if (!absl::ascii_isalnum(c) && c != ':' && c != '/' && c != '.' && c != '-' && c != '[' &&
        c != ']') {
      return "";
    }
  }
  return absl::AsciiStrToLower(origin);
}

std::string ConsoleConfigJson(const ConsoleOidc& oidc) {
  if (!oidc.enabled()) return R"({"oidc":null})";
  std::string json = R"({"oidc":{"issuer":)";
  runtime::log::AppendJsonString(&json, oidc.issuer);
  json += R"(,"client_id":)";
  runtime::log::AppendJsonString(&json, oidc.client_id);
  json += R"(,"provider_name":)";
  runtime::log::AppendJsonString(&json, oidc.provider_name);
  json += R"(,"scopes":)";
  runtime::log::AppendJsonString(&json, oidc.scopes);
  json += R"(,"audience":)";
  runtime::log::AppendJsonString(&json, oidc.audience);
  json += "}}";
  return json;
}

ConsoleFiles::ConsoleFiles(std::string dir, ConsoleOidc oidc)
    : dir_(std::move(dir)), config_json_(ConsoleConfigJson(oidc)), policy_(PolicyFor(oidc)) {}

std::string ConsoleFiles::ContentType(absl::string_view file_name) {
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (absl::EndsWith(file_name, extension)) return std::string(type);
  }
  return "application/octet-stream";
}

bool ConsoleFiles::IsHashed(absl::string_view file_name) {
  // esbuild's [name]-[hash]: eight characters of A-Z and 0-9 before the extension.
  const size_t dot = file_name.find('.');
  if (dot == absl::string_view::npos || dot < 9 || file_name[dot - 9] != '-') return false;
  for (char c : file_name.substr(dot - 8, 8)) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c)) return false;
  }
  return true;
}

std::optional<StaticAnswer> ConsoleFiles::Serve(absl::string_view method, absl::string_view path,
                                                absl::string_view accept_encoding,
                                                absl::string_view if_none_match) const {
  const bool read = method == "GET" || method == "HEAD";
  if (path == "/" && !read) return std::nullopt;  // the API's own 404/405
  if (path != "/" && path != "/console" && !absl::StartsWith(path, kPrefix)) return std::nullopt;
  if (!read) {
    StaticAnswer answer = Plain(405, "the console's files are read with GET or HEAD");
    answer.headers.push_back({"Allow", "GET, HEAD"});
    return answer;
  }
  if (path == "/" || path == "/console") {
    StaticAnswer answer = Plain(path == "/" ? 302 : 301, "the console is at /console/");
    answer.headers.push_back({"Location", std::string(kPrefix)});
    return answer;
  }
  absl::string_view relative = path.substr(kPrefix.size());
  if (relative == "config.json") {
    // Settings, not a file: never cached, so a changed provider is picked up on the next load.
    StaticAnswer answer{
        .status = 200,
        .content_type = "application/json",
        .headers = {{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}}};
    if (method == "HEAD") {
      answer.headers.push_back({"Content-Length", absl::StrCat(config_json_.size())});
    } else {
      answer.body = config_json_;
    }
    return answer;
  }
  if (relative.empty()) relative = "index.html";
  if (!SafeRelativePath(relative)) return Plain(404, "no such file in the console");

  const std::filesystem::path root = std::filesystem::path(dir_);
  std::filesystem::path file = root / std::string(relative);
  // A symbolic link inside the folder must not lead out of it.
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(file, ec);
  const std::filesystem::path real_root = std::filesystem::canonical(root, ec);
  if (ec || real.empty() || !absl::StartsWith(real.string(), real_root.string() + "/") ||
      !std::filesystem::is_regular_file(real, ec)) {
    return Plain(404, "no such file in the console");
  }

  const std::string name = file.filename().string();
  const bool hashed = IsHashed(name);
  bool gzipped = false;
  std::string chosen = real.string();
  if (AcceptsGzip(accept_encoding) && std::filesystem::is_regular_file(chosen + ".gz", ec)) {
    chosen += ".gz";
    gzipped = true;
  }
  struct stat info = {};
  if (::stat(chosen.c_str(), &info) != 0) return Plain(404, "no such file in the console");
  // Size and modification time: a rebuilt index.html gets a new tag (the gzipped copy its own).
  const std::string etag = absl::StrCat("\"", info.st_size, "-", info.st_mtim.tv_sec, ".",
                                        info.st_mtim.tv_nsec, gzipped ? "-gz" : "", "\"");

  StaticAnswer answer{.status = 200, .content_type = ContentType(name)};
  answer.headers = {
      {"Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache"},
      {"ETag", etag},
      {"Vary", "Accept-Encoding"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  if (gzipped) answer.headers.push_back({"Content-Encoding", "gzip"});
  if (absl::EndsWith(name, ".html")) answer.headers.push_back({"Content-Security-Policy", policy_});
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    if (absl::StripAsciiWhitespace(tag) == etag) {
      answer.status = 304;
      return answer;
    }
  }
  if (method == "HEAD") {
    answer.headers.push_back({"Content-Length", absl::StrCat(info.st_size)});
    return answer;
  }
  std::optional<std::string> bytes = ReadWhole(chosen);
  if (!bytes) return Plain(404, "no such file in the console");
  answer.body = *std::move(bytes);
  return answer;
}

}  // namespace itsm::gateway
