#include "services/gateway/src/presented_credentials.h"

namespace itsm::gateway {
namespace {

namespace http = boost::beast::http;

absl::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

Credentials PresentedCredentials(const HttpRequest& request) {
  return {
      .authorization = View(request[http::field::authorization]),
      .authorization_given = request.count(http::field::authorization) > 0,
      .api_key = View(request["X-API-Key"]),
      .api_key_given = request.count("X-API-Key") > 0,
      .repeated = request.count(http::field::authorization) > 1 || request.count("X-API-Key") > 1};
}

}  // namespace itsm::gateway
