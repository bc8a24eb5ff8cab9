#include "itsm/runtime/grpc_tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "itsm/base/openssl_handles.h"

namespace itsm::runtime {
namespace {

using base::Bio;
using base::PkeyHandle;
using base::X509Handle;

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "not PEM";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

absl::StatusOr<X509Handle> ReadCertificate(const std::string& option, const std::string& file) {
  Bio bio(BIO_new_file(file.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(option, ": cannot read ", file));
  }
  X509Handle cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(option, ": ", file, " holds no PEM certificate (", OpenSslError(), ")"));
  }
  return cert;
}

}  // namespace

std::vector<OptionSpec> GrpcTlsOptions() {
  return {
      StringOption("grpc_tls_cert_file", "",
                   "PEM certificate (chain) this process presents to gRPC peers, as server and "
                   "as client. Set with grpc_tls_key_file and grpc_tls_ca_file to turn mutual "
                   "TLS on; empty: plaintext gRPC."),
      StringOption("grpc_tls_key_file", "", "PEM private key of grpc_tls_cert_file."),
      StringOption("grpc_tls_ca_file", "",
                   "PEM CA bundle: peers' certificates (clients' and servers') must chain to it."),
      // gRPC's file watcher re-reads the files this often; a minute is what its own examples
      // use, short enough for a rotation that leaves the old certificate valid meanwhile.
      IntOption("grpc_tls_reload_seconds", 60, 1, 86400,
                "How often the three files are re-read; new connections use what was read."),
  };
}

absl::Status CheckGrpcTlsFiles(const GrpcTlsFiles& files) {
  const int set = !files.cert_file.empty() + !files.key_file.empty() + !files.ca_file.empty();
  if (set == 0) return absl::OkStatus();
  if (set != 3) {
    return absl::InvalidArgumentError(
        "grpc_tls_cert_file, grpc_tls_key_file and grpc_tls_ca_file go together: set all three "
        "(mutual TLS) or none (plaintext)");
  }
  auto cert = ReadCertificate("grpc_tls_cert_file", files.cert_file);
  if (!cert.ok()) return cert.status();
  if (auto ca = ReadCertificate("grpc_tls_ca_file", files.ca_file); !ca.ok()) return ca.status();
  Bio bio(BIO_new_file(files.key_file.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("grpc_tls_key_file: cannot read ", files.key_file));
  }
  PkeyHandle key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grpc_tls_key_file: ", files.key_file, " holds no PEM private key (", OpenSslError(), ")"));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("grpc_tls_key_file: ", files.key_file,
                                                   " is not the key of grpc_tls_cert_file ",
                                                   files.cert_file));
  }
  return absl::OkStatus();
}

absl::StatusOr<GrpcTls> GrpcTls::FromFiles(const GrpcTlsFiles& files) {
  if (absl::Status checked = CheckGrpcTlsFiles(files); !checked.ok()) return checked;
  GrpcTls tls;
  tls.files_ = files;
  if (!files.enabled()) return tls;
  namespace gx = grpc::experimental;
  // One provider for both sides: one thread re-reading the files, one view of them.
  auto provider = std::make_shared<gx::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.ca_file,
      static_cast<unsigned int>(files.reload_seconds));

  gx::TlsServerCredentialsOptions server(provider);
  server.watch_root_certs();
  server.watch_identity_key_cert_pairs();
  server.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.server_ = gx::TlsServerCredentials(server);

  gx::TlsChannelCredentialsOptions channel;
  channel.set_certificate_provider(provider);
  channel.watch_root_certs();
  channel.watch_identity_key_cert_pairs();
  channel.set_verify_server_certs(true);
  // The chain alone would accept any certificate of the CA: the host dialled must be one of the
  // server certificate's names, as for HTTPS.
  channel.set_certificate_verifier(std::make_shared<gx::HostNameCertificateVerifier>());
  tls.channel_ = gx::TlsCredentials(channel);
  if (tls.server_ == nullptr || tls.channel_ == nullptr) {
    return absl::InternalError("gRPC could not build TLS credentials from the grpc_tls_* files");
  }
  return tls;
}

absl::StatusOr<GrpcTls> GrpcTls::FromConfig(const Config& config) {
  return FromFiles({.cert_file = config.GetString("grpc_tls_cert_file"),
                    .key_file = config.GetString("grpc_tls_key_file"),
                    .ca_file = config.GetString("grpc_tls_ca_file"),
                    .reload_seconds = static_cast<int>(config.GetInt("grpc_tls_reload_seconds"))});
}

std::shared_ptr<grpc::ServerCredentials> GrpcTls::ServerCredentials() const {
  return server_ != nullptr ? server_ : grpc::InsecureServerCredentials();
}

std::shared_ptr<grpc::ChannelCredentials> GrpcTls::ChannelCredentials() const {
  return channel_ != nullptr ? channel_ : grpc::InsecureChannelCredentials();
}

}  // namespace itsm::runtime
