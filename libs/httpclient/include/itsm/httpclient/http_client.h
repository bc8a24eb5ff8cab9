// A synchronous HTTP/1.1 client over one kept-alive connection, plain or TLS (verified against
// the system's CAs or a given CA file, with the host name checked), on Boost.Beast: what
// itsmctl uses to reach the gateway and the gateway to fetch an identity provider's JWKS.
//
//   ITSM_ASSIGN_OR_RETURN(HttpUrl url, HttpUrl::Parse("https://itsm.example.com/api"));
//   ITSM_ASSIGN_OR_RETURN(auto client, HttpClient::Create(url, {}));
//   ITSM_ASSIGN_OR_RETURN(HttpResponse r, client->Send({.method = "GET", .target = "/v1/x"}));
//
// `target` is relative to the URL's path ("/api" + "/v1/x"). Thread-safe: calls are serialized.
#ifndef ITSM_HTTPCLIENT_HTTP_CLIENT_H_
#define ITSM_HTTPCLIENT_HTTP_CLIENT_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace boost::asio::ssl {
class context;
}

namespace itsm::httpclient {

struct HttpUrl {
  bool tls = false;
  std::string host;
  std::string port;       // "443" / "80" when the URL names none
  std::string base_path;  // "" or "/api": what every target is appended to
  // http:// or https://, a host, an optional port and path; no query, fragment or user info.
  // INVALID_ARGUMENT saying what is wrong.
  static absl::StatusOr<HttpUrl> Parse(absl::string_view url);
  std::string ToString() const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query, relative to the URL's base path
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};  // sent with Content-Type application/json unless a header says otherwise
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string Header(const std::string& lower_case_name) const;
};

class HttpClient {
 public:
  struct Options {
    std::string ca_file = {};                    // PEM; "" = the system's CAs
    absl::Duration timeout = absl::Seconds(10);  // per request: connect, write and read
    size_t max_response_bytes = 16 * 1024 * 1024;
  };
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(HttpUrl url, Options options);
  ~HttpClient();

  // UNAVAILABLE when the server cannot be reached or the connection fails (the message says
  // where: resolving, connecting, the TLS handshake and its verification), DEADLINE_EXCEEDED
  // after the timeout, RESOURCE_EXHAUSTED for an answer over the limit. A kept-alive connection
  // the server closed in between is reopened once.
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

  const HttpUrl& url() const { return url_; }

 private:
  class Connection;
  HttpClient(HttpUrl url, Options options);

  const HttpUrl url_;
  const Options options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // null for http://
  absl::Mutex mu_;
  std::unique_ptr<Connection> connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::httpclient

#endif  // ITSM_HTTPCLIENT_HTTP_CLIENT_H_
