#include "itsm/supervisor/local_issuer.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "itsm/auth/keys.h"
#include "itsm/base/status_macros.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::supervisor {

absl::StatusOr<LocalIssuer> LocalIssuer::OpenOrCreate(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat(dir, ": ", error.message()));
  // Before the key is written: a file created in a private folder is never readable by others,
  // whatever the umask.
  if (chmod(dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat(dir, ": cannot make it private"));
  }
  LocalIssuer issuer{.signing_key_file = dir + "/issuer-key.pem", .jwks_file = dir + "/jwks.json"};
  auth::SigningKey key;
  if (std::filesystem::exists(issuer.signing_key_file)) {
    ITSM_ASSIGN_OR_RETURN(std::string pem, ReadFile(issuer.signing_key_file));
    absl::StatusOr<auth::SigningKey> read = auth::SigningKeyFromPem(pem);
    if (!read.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(issuer.signing_key_file, ": ", read.status().message()));
    }
    key = *std::move(read);
  } else {
    ITSM_ASSIGN_OR_RETURN(key, auth::GenerateSigningKey(auth::Algorithm::kEs256));
    ITSM_RETURN_IF_ERROR(
        WriteFileAtomically(issuer.signing_key_file, key.private_pem, /*owner_only=*/true));
  }
  ITSM_RETURN_IF_ERROR(WriteFileAtomically(issuer.jwks_file, auth::JwksOf({key})));
  // The local Redis asks for it, so that no client of another Redis on the port (another
  // suite's, one that took the port during a restart) writes the suite's clocks there, and no
  // other user of the machine reads or changes them.
  issuer.redis_password_file = dir + "/redis-password";
  if (std::filesystem::exists(issuer.redis_password_file)) {
    ITSM_ASSIGN_OR_RETURN(issuer.redis_password, ReadFile(issuer.redis_password_file));
    issuer.redis_password = std::string(absl::StripAsciiWhitespace(issuer.redis_password));
  }
  if (issuer.redis_password.empty()) {
    unsigned char bytes[24];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      return absl::InternalError("cannot draw random bytes for the Redis password");
    }
    issuer.redis_password = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
    ITSM_RETURN_IF_ERROR(WriteFileAtomically(issuer.redis_password_file, issuer.redis_password,
                                             /*owner_only=*/true));
  }
  return issuer;
}

}  // namespace itsm::supervisor
