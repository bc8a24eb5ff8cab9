// A throwaway certificate authority for a local suite, made with OpenSSL's library (libcrypto,
// already linked for the identity tokens; no openssl binary needed): an EC P-256 CA created in a
// folder on first start and kept afterwards (so that `curl --cacert run/tls/ca.pem` and other
// clients configured once keep trusting the suite), and a certificate per process, issued anew
// at each start. Certificates name localhost, 127.0.0.1 and ::1 and serve as both server and
// client certificates (mutual TLS between services). Keys are written 0600 in a folder that is
// the owner's alone (0700), like the token issuer's (local_issuer.h).
//
//   ITSM_ASSIGN_OR_RETURN(LocalCertificateAuthority ca,
//                         LocalCertificateAuthority::OpenOrCreate("run/tls"));
//   ITSM_ASSIGN_OR_RETURN(IssuedCertificate incident, ca.Issue("incident"));
//   env.emplace_back("ITSM_GRPC_TLS_CERT_FILE", incident.cert_file);  // + key, ca.ca_file
#ifndef ITSM_SUPERVISOR_LOCAL_TLS_H_
#define ITSM_SUPERVISOR_LOCAL_TLS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace itsm::supervisor {

struct IssuedCertificate {
  std::string cert_file = {};  // <dir>/<name>.pem: the certificate, then the CA's (a chain)
  std::string key_file = {};   // <dir>/<name>-key.pem, 0600
};

class LocalCertificateAuthority {
 public:
  // The CA lives ten years at most: a local run's trust should not expire under it, and it is
  // thrown away with the run directory. Leaf certificates live 30 days and are re-issued at
  // every start, so a suite restarted now and then never meets an expired one.
  static constexpr absl::Duration kCaLifetime = absl::Hours(24 * 3650);
  static constexpr absl::Duration kLeafLifetime = absl::Hours(24 * 30);

  // Reads the CA in `dir` (ca.pem, ca-key.pem), or creates the folder and a new CA; a CA that
  // expires within a leaf's lifetime is replaced.
  static absl::StatusOr<LocalCertificateAuthority> OpenOrCreate(const std::string& dir);

  // The PEM certificate of the CA: what clients trust (grpc_tls_ca_file, curl --cacert).
  const std::string& ca_file() const { return ca_file_; }

  // A new key and certificate for `name` (CN=itsm-<name>; SANs localhost, 127.0.0.1, ::1 and
  // `name` itself; usable as TLS server and client), written as <dir>/<file_stem>.pem and
  // <dir>/<file_stem>-key.pem (file_stem defaults to name), replacing earlier ones atomically.
  absl::StatusOr<IssuedCertificate> Issue(const std::string& name,
                                          absl::Duration lifetime = kLeafLifetime,
                                          std::string file_stem = "") const;

 private:
  std::string dir_;
  std::string ca_file_;
  std::string ca_key_file_;
};

// The serial number of the first certificate in a PEM file or text, as upper-case hex ("" when
// none can be read): how tests tell one issued certificate from the next.
std::string CertificateSerialHex(const std::string& pem);

}  // namespace itsm::supervisor

#endif  // ITSM_SUPERVISOR_LOCAL_TLS_H_
