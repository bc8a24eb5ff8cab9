// Owning handles for the OpenSSL objects the suite makes and reads (certificates, keys, BIOs,
// big numbers), so that every early return frees them. Header-only: a user links OpenSSL itself.
//
//   itsm::base::Bio bio(BIO_new_file(path.c_str(), "r"));
//   itsm::base::X509Handle cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
#ifndef ITSM_BASE_OPENSSL_HANDLES_H_
#define ITSM_BASE_OPENSSL_HANDLES_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace itsm::base {

struct OpenSslFree {
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(X509* x) const { X509_free(x); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(BIGNUM* n) const { BN_free(n); }
};
using Bio = std::unique_ptr<BIO, OpenSslFree>;
using X509Handle = std::unique_ptr<X509, OpenSslFree>;
using PkeyHandle = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using BignumHandle = std::unique_ptr<BIGNUM, OpenSslFree>;

}  // namespace itsm::base

#endif  // ITSM_BASE_OPENSSL_HANDLES_H_
