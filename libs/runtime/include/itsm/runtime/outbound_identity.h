// A service calling another presents its own identity: a token it signs for itself (subject
// "service:<name>", role service) with the suite's signing key, renewed before it expires, and
// attached to every call on the channels made here. A call that already carries an
// authorization (itsmctl passing on its user's) keeps it.
//
//   auto identity = OutboundIdentity::FromKeyFile("run/auth/issuer.pem", "itsm", "sla-timer");
//   auto channel = OutboundChannel("127.0.0.1:50053", identity);  // null identity: no token
//   auto secure = OutboundChannel("127.0.0.1:50053", identity, tls.ChannelCredentials());
#ifndef ITSM_RUNTIME_OUTBOUND_IDENTITY_H_
#define ITSM_RUNTIME_OUTBOUND_IDENTITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "itsm/auth/token_signer.h"
#include "itsm/base/clock.h"

namespace itsm::runtime {

class OutboundIdentity {
 public:
  // Tokens live `ttl` and are renewed once a fifth of it is left, so a token is signed a few
  // times an hour, not per call.
  OutboundIdentity(auth::TokenSigner signer, auth::Identity identity, std::string audience,
                   const base::Clock& clock, absl::Duration ttl = absl::Minutes(10))
      : signer_(std::move(signer)),
        identity_(std::move(identity)),
        audience_(std::move(audience)),
        clock_(clock),
        ttl_(ttl) {}

  // `identity` signed with the PEM private key in `key_file`: how tools that hold the suite's
  // key (the local launcher, itsmctl beside it, tests) name their caller.
  static absl::StatusOr<std::shared_ptr<OutboundIdentity>> FromKeyFile(const std::string& key_file,
                                                                       const std::string& issuer,
                                                                       const std::string& audience,
                                                                       auth::Identity identity);
  // The identity of service `service_name` (subject "service:<name>", role service).
  static absl::StatusOr<std::shared_ptr<OutboundIdentity>> ForService(
      const std::string& key_file, const std::string& issuer, const std::string& audience,
      const std::string& service_name);

  // "Bearer <token>", signing a new token when the current one is near its end.
  absl::StatusOr<std::string> AuthorizationHeader();

 private:
  const auth::TokenSigner signer_;
  const auth::Identity identity_;
  const std::string audience_;
  const base::Clock& clock_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  std::string header_ ABSL_GUARDED_BY(mu_);
  absl::Time renew_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// A channel to `address` whose calls carry `identity`'s token (none when null), over
// `credentials` (GrpcTls::ChannelCredentials() for mutual TLS, grpc_tls.h; null: plaintext).
// Every channel of the suite to one of its services is made here. Channels to one address share
// one connection unless their `connection` numbers differ.
std::shared_ptr<grpc::Channel> OutboundChannel(
    const std::string& address, std::shared_ptr<OutboundIdentity> identity,
    std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr, int connection = 0);

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_OUTBOUND_IDENTITY_H_
