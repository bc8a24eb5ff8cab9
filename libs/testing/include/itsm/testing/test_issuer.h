// A token issuer for tests, as the launcher's is for a local suite: a fresh signing key, the
// authenticator a service built on it runs, and channels whose calls carry a chosen identity.
// Tests of authorisation use it with real servers and real tokens, never a bypass.
//
//   TestIssuer issuer;
//   GrpcTestServer server({&service},
//   issuer.AuthenticatorFor({"itsm.incident.v1.IncidentService"})); auto stub =
//   v1::IncidentService::NewStub(
//       issuer.Channel(server.address(), {.subject = "alice", .roles =
//       {common::v1::ROLE_REQUESTER}}));
#ifndef ITSM_TESTING_TEST_ISSUER_H_
#define ITSM_TESTING_TEST_ISSUER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "itsm/auth/identity.h"
#include "itsm/auth/keys.h"
#include "itsm/runtime/call_auth.h"

namespace itsm::testing {

class TestIssuer {
 public:
  TestIssuer();

  // What a service serving `service_names` runs with this issuer's JWKS.
  std::shared_ptr<const runtime::CallAuthenticator> AuthenticatorFor(
      const std::vector<std::string>& service_names) const;
  // "Bearer <token>" for `identity`, valid for `ttl`: for callers that set their own metadata.
  std::string Authorization(const auth::Identity& identity,
                            absl::Duration ttl = absl::Minutes(10)) const;
  // A channel to `address` whose calls present `identity`.
  std::shared_ptr<grpc::Channel> Channel(const std::string& address,
                                         const auth::Identity& identity) const;
  // The settings of a service process trusting this issuer (ITSM_AUTH_*), its key and JWKS
  // written into `dir`.
  std::vector<std::pair<std::string, std::string>> ServiceEnv(const std::string& dir) const;

  static constexpr char kIssuer[] = "itsm";
  static constexpr char kAudience[] = "itsm";

 private:
  auth::SigningKey key_;
};

}  // namespace itsm::testing

#endif  // ITSM_TESTING_TEST_ISSUER_H_
