// Mutual TLS for the suite's gRPC: the one place that turns the grpc_tls_* settings into server
// and channel credentials, so that every server and every client of the suite (services, the
// gateway's upstreams, the supervisor's health checks, itsmctl, the launcher, tests) speaks the
// same TLS. Certificates come from files and are re-read by gRPC's own file-watching provider
// (FileWatcherCertificateProvider) every `reload_seconds`, so a rotated certificate is used
// without a restart: write the new key and certificate, then rename them into place (the
// provider reads a key and a certificate that must match; a half-written pair is skipped and the
// previous one kept).
//
// With TLS on, a server requires a client certificate signed by `ca_file` (the connection is
// refused in the handshake otherwise), and a client verifies the server's certificate against
// `ca_file` and the host name it dialled (a SAN). mTLS says which process connects; the signed
// identity token (call_auth.h) still says who acts.
//
//   ITSM_ASSIGN_OR_RETURN(GrpcTls tls, GrpcTls::FromConfig(config));
//   builder.AddListeningPort(address, tls.ServerCredentials(), &port);
//   auto channel = grpc::CreateChannel("127.0.0.1:50051", tls.ChannelCredentials());
#ifndef ITSM_RUNTIME_GRPC_TLS_H_
#define ITSM_RUNTIME_GRPC_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "itsm/runtime/config.h"

namespace itsm::runtime {

struct GrpcTlsFiles {
  std::string cert_file =
      {};                     // PEM certificate (chain) this process presents, as server and client
  std::string key_file = {};  // its PEM private key
  std::string ca_file = {};   // PEM CA bundle that peers' certificates must chain to
  int reload_seconds = 60;
  bool enabled() const { return !cert_file.empty(); }
};

// grpc_tls_cert_file, grpc_tls_key_file, grpc_tls_ca_file, grpc_tls_reload_seconds: part of
// CommonOptions, so that every service reads them; tools that call services declare them too
// (the benchmark driver). A server's grpc_plaintext_health_port is in CommonOptions.
std::vector<OptionSpec> GrpcTlsOptions();

// Checks that the three files are all set (or none), readable, and that the key matches the
// certificate: a process with TLS misconfigured stops at start, naming the file, rather than
// failing every handshake later. INVALID_ARGUMENT naming the option otherwise.
absl::Status CheckGrpcTlsFiles(const GrpcTlsFiles& files);

// The credentials of one process. Copies share one certificate provider per side (each has a
// thread that re-reads the files), so make one and hand it around.
class GrpcTls {
 public:
  // Insecure credentials on both sides: TLS off.
  GrpcTls() = default;
  // TLS with `files` (checked with CheckGrpcTlsFiles); insecure when !files.enabled().
  static absl::StatusOr<GrpcTls> FromFiles(const GrpcTlsFiles& files);
  // From the grpc_tls_* options of `config`.
  static absl::StatusOr<GrpcTls> FromConfig(const Config& config);

  bool enabled() const { return files_.enabled(); }
  const GrpcTlsFiles& files() const { return files_; }
  // Require and verify client certificates, present ours (insecure when TLS is off).
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;
  // Present ours, verify the server's against the CA and the dialled host (insecure when off).
  std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() const;

 private:
  GrpcTlsFiles files_;
  std::shared_ptr<grpc::ServerCredentials> server_;
  std::shared_ptr<grpc::ChannelCredentials> channel_;
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_GRPC_TLS_H_
