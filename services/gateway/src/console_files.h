// The web console's files (web/, built into build/console), served by the gateway under
// /console/ from the folder `console_dir` names: GET and HEAD only; "/" and "/console" redirect
// to "/console/", which is index.html. Bundles carry their content hash in their names
// (app-<HASH>.js), so they are cached for a year as immutable; everything else (index.html,
// which names the current bundles) is revalidated on every load with its ETag. A file with a
// precompressed sibling (<name>.gz, written by the build) goes gzipped to a client that accepts
// it. Paths that could leave the folder (.., dot files, backslashes, escapes, symbolic links
// pointing out) are refused before the file system is asked.
//
// GET /console/config.json tells the console how to sign in with the OIDC provider, when there
// is one: public values only (issuer, client id, scopes, audience), never a secret; and the
// page's Content-Security-Policy then lets the console fetch from the provider's origin (its
// discovery document and token endpoint).
//
//   ConsoleFiles console("/srv/itsm/console");
//   std::optional<StaticAnswer> answer = console.Serve("GET", "/console/", "gzip", "");
#ifndef ITSM_SERVICES_GATEWAY_SRC_CONSOLE_FILES_H_
#define ITSM_SERVICES_GATEWAY_SRC_CONSOLE_FILES_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace itsm::gateway {

// An answer independent of the HTTP library (the unit test reads it as it is).
struct StaticAnswer {
  int status = 200;
  std::string content_type = {};
  // Empty for HEAD (Content-Length is then among the headers) and for 304.
  std::string body = {};
  std::vector<std::pair<std::string, std::string>> headers = {};

  // The value of header `name` (exact case), or "".
  std::string Header(absl::string_view name) const;
};

// What the console needs to offer "Sign in with <provider>" (authorisation-code flow with PKCE,
// a public client: docs/console.md). Public values only.
struct ConsoleOidc {
  // The provider's issuer (oidc_issuer); empty: no provider sign-in.
  std::string issuer = {};
  // The console's client id at the provider (console_oidc_client_id); empty: none.
  std::string client_id = {};
  // The name on the button (console_oidc_provider_name); empty: the issuer's host.
  std::string provider_name = {};
  // Space-separated scopes asked for (console_oidc_scopes).
  std::string scopes = {};
  // The audience the gateway requires of the provider's tokens (oidc_audience).
  std::string audience = {};
  // Origins besides the issuer's the console may fetch from (the token endpoint when the
  // provider keeps it elsewhere).
  std::vector<std::string> connect_origins = {};

  bool enabled() const { return !issuer.empty() && !client_id.empty(); }
};

// The JSON of GET /console/config.json: {"oidc":{...}} or {"oidc":null}.
std::string ConsoleConfigJson(const ConsoleOidc& oidc);
// "https://idp.example.com:8443/realms/x" -> "https://idp.example.com:8443"; "" when the URL
// has no scheme://host.
std::string OriginOf(absl::string_view url);

class ConsoleFiles {
 public:
  explicit ConsoleFiles(std::string dir, ConsoleOidc oidc = {});

  // The answer for a request of `path` (without its query), or nullopt when the path is not
  // the console's ("/", "/console" or under "/console/"; "/" only for GET and HEAD).
  std::optional<StaticAnswer> Serve(absl::string_view method, absl::string_view path,
                                    absl::string_view accept_encoding,
                                    absl::string_view if_none_match) const;

  // The Content-Type of a file by its extension (application/octet-stream when unknown).
  static std::string ContentType(absl::string_view file_name);
  // Whether a file name carries esbuild's content hash ("app-6RXZEX45.js"): then it never
  // changes and may be cached as immutable.
  static bool IsHashed(absl::string_view file_name);

 private:
  const std::string dir_;
  const std::string config_json_;
  // The Content-Security-Policy of the HTML pages (connect-src names the provider's origins).
  const std::string policy_;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_CONSOLE_FILES_H_
