// GET /v1/session: who the credential a request presents is, as the gateway verified it — the
// subject, roles and tenant the services will be told (docs/api.md, "Who am I"). A browser
// client (the web console) needs it to show "assigned to me": an API key or a provider's token
// does not say on its face which subject it stands for.
//
//   std::string json = SessionJson(caller.identity);
//   // {"subject":"apikey:alice","roles":["ROLE_AGENT"],"tenant":"","issuer":"itsm",...}
#ifndef ITSM_SERVICES_GATEWAY_SRC_SESSION_ANSWER_H_
#define ITSM_SERVICES_GATEWAY_SRC_SESSION_ANSWER_H_

#include <string>

#include "itsm/auth/identity.h"

namespace itsm::gateway {

inline constexpr char kSessionPath[] = "/v1/session";

// The identity as JSON: subject, roles (enum names, as API keys name them), tenant, issuer and,
// when the proof expires, expireTime (RFC 3339, UTC). Never the credential itself.
std::string SessionJson(const auth::Identity& identity);

// GET /v1/session as an OpenAPI 3.1 path item (JSON), for /openapi.json beside the RPCs' routes.
std::string SessionOpenApiPathItem();

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_SESSION_ANSWER_H_
