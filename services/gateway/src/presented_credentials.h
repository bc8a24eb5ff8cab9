// What an HTTP request presents to authenticate, read one way for every route: the REST calls
// (gateway.cc) and the event streams (event_streams.cc) alike.
//
//   absl::StatusOr<Caller> caller = callers.Authenticate(PresentedCredentials(request));
#ifndef ITSM_SERVICES_GATEWAY_SRC_PRESENTED_CREDENTIALS_H_
#define ITSM_SERVICES_GATEWAY_SRC_PRESENTED_CREDENTIALS_H_

#include "services/gateway/src/caller_authentication.h"
#include "services/gateway/src/http_server.h"

namespace itsm::gateway {

// Authorization and X-API-Key, as views into `request` (which must outlive them), and whether
// either was given more than once.
Credentials PresentedCredentials(const HttpRequest& request);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_PRESENTED_CREDENTIALS_H_
