// The gateway's trace of the requests it refuses itself — a credential that does not verify, a
// quota used up — which never reach a service, whose log would name the caller. One line each,
// `request refused`, with the route, the method, the status, the request id and the reason the
// answer gives (never the credential: no answer repeats one).
#ifndef ITSM_SERVICES_GATEWAY_SRC_REFUSED_REQUESTS_H_
#define ITSM_SERVICES_GATEWAY_SRC_REFUSED_REQUESTS_H_

#include "absl/strings/string_view.h"
#include "services/gateway/src/http_server.h"

namespace itsm::gateway {

// Logs `response` when it refuses who is asking (401, 403) or how often (429); nothing else.
void LogIfRefused(absl::string_view route, absl::string_view method, const HttpResponse& response);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_REFUSED_REQUESTS_H_
