// The local suite's first API key: on the first start of a run directory with a gateway, the
// launcher creates an admin key through the gateway's ApiKeyService and prints its secret once,
// as Grafana and Kibana hand out their first admin credential. A marker file (the key's id and
// prefix, never the secret) makes later starts skip it; the secret is kept nowhere.
#ifndef ITSM_TOOLS_LAUNCHER_FIRST_ADMIN_KEY_H_
#define ITSM_TOOLS_LAUNCHER_FIRST_ADMIN_KEY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "itsm/runtime/grpc_tls.h"
#include "itsm/runtime/outbound_identity.h"

namespace itsm::launcher {

// The new key's secret, or "" when `marker_file` says one was created before. `gateway` is the
// gateway's gRPC address; `admin` the launcher's own admin identity, `tls` its credentials.
absl::StatusOr<std::string> CreateFirstAdminKey(const std::string& gateway,
                                                std::shared_ptr<runtime::OutboundIdentity> admin,
                                                const std::string& marker_file,
                                                const runtime::GrpcTls& tls);

}  // namespace itsm::launcher

#endif  // ITSM_TOOLS_LAUNCHER_FIRST_ADMIN_KEY_H_
