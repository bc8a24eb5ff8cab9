// The identity-token issuer of a local suite: one ES256 signing key and its JWKS, created in a
// folder on first start and kept afterwards (restarts keep accepting the tokens already given
// out). The launcher hands both files to every service; whoever can read the private key can
// sign any identity, exactly as whoever holds kubeadm's admin.conf is cluster admin, so the
// folder is the owner's alone (0700).
//
//   ITSM_ASSIGN_OR_RETURN(LocalIssuer issuer, LocalIssuer::OpenOrCreate("run/auth"));
//   env.emplace_back("ITSM_AUTH_JWKS_FILE", issuer.jwks_file);
#ifndef ITSM_SUPERVISOR_LOCAL_ISSUER_H_
#define ITSM_SUPERVISOR_LOCAL_ISSUER_H_

#include <string>

#include "absl/status/statusor.h"

namespace itsm::supervisor {

struct LocalIssuer {
  // PKCS#8 PEM of the private key (the services' auth_signing_key_file).
  std::string signing_key_file;
  // Its public half as a JWKS document (the services' auth_jwks_file).
  std::string jwks_file;
  // The local Redis's password (the services' redis_password_file), made once, kept after.
  std::string redis_password_file = {};
  std::string redis_password = {};

  // Reads the key in `dir`, or creates the folder, a new key and its JWKS (and the Redis
  // password). The JWKS is rewritten from the key each time, so the two always agree.
  static absl::StatusOr<LocalIssuer> OpenOrCreate(const std::string& dir);
};

}  // namespace itsm::supervisor

#endif  // ITSM_SUPERVISOR_LOCAL_ISSUER_H_
