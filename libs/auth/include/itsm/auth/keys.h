// Keys for signed identity tokens: public keys read from a JWKS (RFC 7517) document to verify,
// and signing keys generated or read from PEM files to sign. The cryptography is OpenSSL's.
//
//   ITSM_ASSIGN_OR_RETURN(SigningKey key, GenerateSigningKey(Algorithm::kEs256, "gw-2026-11"));
//   std::string jwks = JwksOf({key});                 // publish the public half
//   ITSM_ASSIGN_OR_RETURN(KeySet keys, ParseJwks(jwks));  // a verifier's view of it
#ifndef ITSM_AUTH_KEYS_H_
#define ITSM_AUTH_KEYS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::auth {

// The only signature algorithms accepted: asymmetric, so that whoever can verify cannot sign.
enum class Algorithm { kRs256, kEs256 };
// "RS256" / "ES256".
absl::string_view AlgorithmName(Algorithm alg);
std::optional<Algorithm> AlgorithmFromName(absl::string_view name);

struct VerificationKey {
  std::string kid;
  Algorithm alg = Algorithm::kEs256;
  // SubjectPublicKeyInfo PEM.
  std::string public_pem;
};

// The public keys of one issuer.
class KeySet {
 public:
  KeySet() = default;
  explicit KeySet(std::vector<VerificationKey> keys) : keys_(std::move(keys)) {}
  // The key with this kid; with an empty kid, the only key when there is exactly one.
  const VerificationKey* Find(absl::string_view kid) const;
  const std::vector<VerificationKey>& keys() const { return keys_; }

 private:
  std::vector<VerificationKey> keys_;
};

// Reads a JWKS document: RSA keys (n, e; at least 2048 bits) and EC P-256 keys (x, y). Keys
// with "use" other than "sig", of other types or curves, are skipped; a key without kid is
// accepted only when it is the only one. INVALID_ARGUMENT names what is wrong.
absl::StatusOr<KeySet> ParseJwks(absl::string_view json);

struct SigningKey {
  std::string kid;
  Algorithm alg = Algorithm::kEs256;
  // PKCS#8 PEM.
  std::string private_pem;
  std::string public_pem;
};

// A new key pair: P-256 for ES256, 2048-bit RSA for RS256. An empty kid becomes the key's
// RFC 7638 thumbprint, the same every time the key is read, so signer and JWKS agree without
// configuration.
absl::StatusOr<SigningKey> GenerateSigningKey(Algorithm alg, std::string kid = "");
// A private key from PEM (EC P-256 → ES256, RSA → RS256); kid as above.
absl::StatusOr<SigningKey> SigningKeyFromPem(absl::string_view private_pem, std::string kid = "");
// The same from a PEM file (the suite's issuer key, mounted or written by the launcher).
absl::StatusOr<SigningKey> SigningKeyFromPemFile(const std::string& path);
// {"keys":[...]}: the public halves, to publish.
std::string JwksOf(const std::vector<SigningKey>& keys);

}  // namespace itsm::auth

#endif  // ITSM_AUTH_KEYS_H_
