#include "itsm/supervisor/local_issuer.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
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
    ITSM_RETURN_IF_ERROR(WriteFileAtomically(issuer.signing_key_file, key.private_pem));
    chmod(issuer.signing_key_file.c_str(), 0600);
  }
  ITSM_RETURN_IF_ERROR(WriteFileAtomically(issuer.jwks_file, auth::JwksOf({key})));
  return issuer;
}

}  // namespace itsm::supervisor
