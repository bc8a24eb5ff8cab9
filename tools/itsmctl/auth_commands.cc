// itsmctl auth: the suite's identity-token issuer outside a local run.
//
//   itsmctl auth token               → a bearer token for you (--actor, --roles), ten minutes
//   itsmctl auth keygen --dir keys   → keys/issuer-key.pem (private, 0600) and keys/jwks.json
//
// The token is for other clients (grpcurl, curl through the gateway). keygen makes what the
// Helm chart's auth Secret holds (docs/security.md); run again on the same folder, it keeps the
// key and rewrites the JWKS from it.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "itsm/base/status_macros.h"
#include "itsm/supervisor/local_issuer.h"

namespace itsm::ctl {

absl::Status RunAuth(const Context& ctx, const std::vector<std::string>& argv) {
  if (!argv.empty() && argv[0] == "token") {
    if (argv.size() > 1) return absl::InvalidArgumentError("usage: itsmctl auth token");
    ITSM_ASSIGN_OR_RETURN(std::string token, ctx.IdentityToken());
    std::printf("%s\n", token.c_str());
    return absl::OkStatus();
  }
  if (argv.empty() || argv[0] != "keygen") {
    return absl::InvalidArgumentError("usage: itsmctl auth token | itsmctl auth keygen --dir DIR");
  }
  auto args = Args::Parse({argv.begin() + 1, argv.end()}, {});
  if (!args.ok()) return args.status();
  if (absl::Status known = args->OnlyKnown({"dir"}); !known.ok()) return known;
  const std::string dir = args->Get("dir");
  if (dir.empty()) return absl::InvalidArgumentError("--dir: required");
  auto issuer = supervisor::LocalIssuer::OpenOrCreate(dir);
  if (!issuer.ok()) return issuer.status();
  std::printf("signing key  %s   (private: the services' auth_signing_key_file)\n",
              issuer->signing_key_file.c_str());
  std::printf("public keys  %s   (the services' auth_jwks_file)\n", issuer->jwks_file.c_str());
  return absl::OkStatus();
}

}  // namespace itsm::ctl
