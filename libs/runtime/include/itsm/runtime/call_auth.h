// Who is calling, proven: every call a service serves passes the authentication interceptor,
// which verifies the bearer token (`authorization: Bearer <jwt>`) and checks the method's
// declared roles (libs/auth) before any handler runs, and records the verdict on the call:
//  - allowed: the verified subject, roles and tenant as x-itsm-verified-* metadata, which
//    CallerOf() reads (whatever a client sent under those names, or as x-itsm-actor, is
//    removed first, so a header can never name the caller);
//  - refused: the refusal, which Admit() returns, so that RunCall, CommitCall, ReadCall and
//    every handler that starts with Admit() answer UNAUTHENTICATED or PERMISSION_DENIED and do
//    nothing. A handler that forgot still answers the refusal: the interceptor replaces its
//    status.
// Methods of services outside the itsm.* packages (health, reflection) are not checked.
//
// Without an authenticator (authentication disabled, a development setting that logs a warning
// at start) callers name themselves in x-itsm-actor, as before identities existed.
#ifndef ITSM_RUNTIME_CALL_AUTH_H_
#define ITSM_RUNTIME_CALL_AUTH_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "itsm/auth/access_policy.h"
#include "itsm/auth/key_source.h"
#include "itsm/auth/token_verifier.h"

namespace itsm::runtime {

inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kVerifiedSubjectHeader[] = "x-itsm-verified-subject";
inline constexpr char kVerifiedRolesHeader[] = "x-itsm-verified-roles";
inline constexpr char kVerifiedTenantHeader[] = "x-itsm-verified-tenant";
// "1" when the caller may act on its own records only (auth::Decision::own_records_only).
inline constexpr char kOwnRecordsOnlyHeader[] = "x-itsm-own-records-only";
// "<grpc code>:<message>" when the call was refused.
inline constexpr char kRefusalHeader[] = "x-itsm-refusal";

class CallAuthenticator {
 public:
  CallAuthenticator(std::shared_ptr<const auth::TokenVerifier> verifier, auth::AccessPolicy policy)
      : verifier_(std::move(verifier)), policy_(std::move(policy)) {}

  // What a service of the suite runs: tokens of the suite's own issuer (`keys`, iss `issuer`,
  // aud `audience`), which vouches for services too, checked against the declarations of the
  // gRPC services named in full ("itsm.incident.v1.IncidentService").
  static absl::StatusOr<std::shared_ptr<const CallAuthenticator>> ForSuiteIssuer(
      std::shared_ptr<auth::KeySource> keys, const std::string& issuer, const std::string& audience,
      const std::vector<std::string>& service_names);

  struct Verdict {
    absl::Status refusal;  // OK: allowed
    auth::Identity identity = {};
    auth::Decision decision = {};
  };
  // `method`: "/package.Service/Method"; `authorization`: the header's value ("" if absent).
  Verdict Check(absl::string_view method, absl::string_view authorization) const;

 private:
  std::shared_ptr<const auth::TokenVerifier> verifier_;
  auth::AccessPolicy policy_;
};

class AuthInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Null: authentication disabled. `require_peer_certificate`: the suite's RPCs (not health, not
  // reflection) are refused UNAUTHENTICATED to a caller without a verified client certificate,
  // i.e. on the plaintext health port a server with mutual TLS may also listen on.
  explicit AuthInterceptorFactory(std::shared_ptr<const CallAuthenticator> authenticator,
                                  bool require_peer_certificate = false)
      : authenticator_(std::move(authenticator)),
        require_peer_certificate_(require_peer_certificate) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::shared_ptr<const CallAuthenticator> authenticator_;
  bool require_peer_certificate_ = false;
};

// The call's refusal by the interceptor; OK when allowed (or authentication is disabled).
absl::Status Refusal(const grpc::ServerContextBase& context);
// Whether the caller may act on its own records only.
bool OwnRecordsOnly(const grpc::ServerContextBase& context);

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_CALL_AUTH_H_
