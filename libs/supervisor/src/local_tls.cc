#include "itsm/supervisor/local_tls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/openssl_handles.h"
#include "itsm/base/status_macros.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::supervisor {
namespace {

using base::Bio;
using Cert = base::X509Handle;
using Key = base::PkeyHandle;

absl::Status OpenSslError(absl::string_view what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  return absl::InternalError(absl::StrCat(what, ": ", text));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("cannot write a private key");
  }
  return BioText(bio.get());
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("cannot write a certificate");
  return BioText(bio.get());
}

absl::StatusOr<Cert> ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return OpenSslError("not a PEM certificate");
  return cert;
}

absl::StatusOr<Key> ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) return OpenSslError("not a PEM private key");
  return key;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return OpenSslError(absl::StrCat("extension ", OBJ_nid2sn(nid)));
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) return OpenSslError("cannot add an extension");
  return absl::OkStatus();
}

// A certificate for `key`, named `common_name`, signed by `issuer_key` (the issuer's certificate
// `issuer`, or itself when null: the CA).
absl::StatusOr<Cert> MakeCertificate(EVP_PKEY* key, const std::string& common_name,
                                     absl::Duration lifetime, X509* issuer, EVP_PKEY* issuer_key,
                                     const std::string& subject_alt_names) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);  // v3
  // 127 random bits: unique serials without a counter to keep (RFC 5280 allows 20 octets).
  base::BignumHandle serial(BN_new());
  if (BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("cannot draw a serial number");
  }
  // An hour back: a peer whose clock runs a little behind still accepts a certificate just made.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), absl::ToInt64Seconds(lifetime));
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("itsm local suite"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  ITSM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  if (issuer == nullptr) {
    ITSM_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    ITSM_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    ITSM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid"));
    ITSM_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    ITSM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_key_usage,
                                      "critical,digitalSignature,keyEncipherment"));
    ITSM_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth"));
    ITSM_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_alt_name, subject_alt_names));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return OpenSslError("cannot sign a certificate");
  }
  return cert;
}

// Written beside and renamed (a reader — gRPC's file watcher, the gateway — never sees half a
// file), private to the owner when `secret`.
absl::Status WriteFile(const std::string& path, const std::string& contents, bool secret) {
  ITSM_RETURN_IF_ERROR(WriteFileAtomically(path, contents, /*owner_only=*/secret));
  // A certificate is everyone's to read, whatever the umask.
  if (!secret && chmod(path.c_str(), 0644) != 0) {
    return absl::InternalError(absl::StrCat(path, ": cannot set its permissions"));
  }
  return absl::OkStatus();
}

// Seconds from now until the certificate expires (negative once it has).
int64_t SecondsLeft(X509* cert) {
  int days = 0;
  int seconds = 0;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert)) != 1) return -1;
  return int64_t{days} * 86400 + seconds;
}

}  // namespace

absl::StatusOr<LocalCertificateAuthority> LocalCertificateAuthority::OpenOrCreate(
    const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat(dir, ": ", error.message()));
  if (chmod(dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat(dir, ": cannot make it private"));
  }
  LocalCertificateAuthority ca;
  ca.dir_ = dir;
  ca.ca_file_ = dir + "/ca.pem";
  ca.ca_key_file_ = dir + "/ca-key.pem";
  if (std::filesystem::exists(ca.ca_file_) && std::filesystem::exists(ca.ca_key_file_)) {
    ITSM_ASSIGN_OR_RETURN(std::string pem, ReadFile(ca.ca_file_));
    absl::StatusOr<Cert> cert = ReadCert(pem);
    if (!cert.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(ca.ca_file_, ": ", cert.status().message()));
    }
    if (SecondsLeft(cert->get()) > absl::ToInt64Seconds(kLeafLifetime)) return ca;
  }
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslError("cannot generate the CA's key");
  ITSM_ASSIGN_OR_RETURN(
      Cert cert, MakeCertificate(key.get(), "itsm local CA", kCaLifetime, nullptr, key.get(), ""));
  ITSM_ASSIGN_OR_RETURN(std::string key_pem, KeyPem(key.get()));
  ITSM_ASSIGN_OR_RETURN(std::string cert_pem, CertPem(cert.get()));
  // The key first: a CA certificate without its key would be "found" by the next start.
  ITSM_RETURN_IF_ERROR(WriteFile(ca.ca_key_file_, key_pem, /*secret=*/true));
  ITSM_RETURN_IF_ERROR(WriteFile(ca.ca_file_, cert_pem, /*secret=*/false));
  return ca;
}

absl::StatusOr<IssuedCertificate> LocalCertificateAuthority::Issue(const std::string& name,
                                                                   absl::Duration lifetime,
                                                                   std::string file_stem) const {
  if (file_stem.empty()) file_stem = name;
  ITSM_ASSIGN_OR_RETURN(std::string ca_pem, ReadFile(ca_file_));
  ITSM_ASSIGN_OR_RETURN(std::string ca_key_pem, ReadFile(ca_key_file_));
  ITSM_ASSIGN_OR_RETURN(Cert ca, ReadCert(ca_pem));
  ITSM_ASSIGN_OR_RETURN(Key ca_key, ReadKey(ca_key_pem));
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslError("cannot generate a key");
  // The name itself too (e.g. a Kubernetes-style "itsm-incident" host in a test's hosts file);
  // only names a DNS SAN may hold.
  std::string sans = "DNS:localhost,IP:127.0.0.1,IP:::1";
  const bool dns_name = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
  if (dns_name && name != "localhost") absl::StrAppend(&sans, ",DNS:", name);
  ITSM_ASSIGN_OR_RETURN(Cert cert, MakeCertificate(key.get(), absl::StrCat("itsm-", name), lifetime,
                                                   ca.get(), ca_key.get(), sans));
  ITSM_ASSIGN_OR_RETURN(std::string key_pem, KeyPem(key.get()));
  ITSM_ASSIGN_OR_RETURN(std::string cert_pem, CertPem(cert.get()));
  IssuedCertificate issued{.cert_file = absl::StrCat(dir_, "/", file_stem, ".pem"),
                           .key_file = absl::StrCat(dir_, "/", file_stem, "-key.pem")};
  // The key first, then the certificate: a watcher that reads between the two renames sees a
  // pair that does not match and keeps the previous one until the next look.
  ITSM_RETURN_IF_ERROR(WriteFile(issued.key_file, key_pem, /*secret=*/true));
  ITSM_RETURN_IF_ERROR(WriteFile(issued.cert_file, cert_pem + ca_pem, /*secret=*/false));
  return issued;
}

std::string CertificateSerialHex(const std::string& pem) {
  absl::StatusOr<Cert> cert = ReadCert(pem);
  if (!cert.ok()) return "";
  base::BignumHandle serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert->get()), nullptr));
  if (serial == nullptr) return "";
  char* hex = BN_bn2hex(serial.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return out;
}

}  // namespace itsm::supervisor
