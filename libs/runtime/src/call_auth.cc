#include "itsm/runtime/call_auth.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/call_context.h"

namespace itsm::runtime {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr absl::string_view kBearer = "bearer ";
// The suite's own services; others (grpc.health.v1, reflection) are infrastructure.
constexpr absl::string_view kCheckedPrefix = "/itsm.";

// Client metadata no client may set: the interceptor alone writes it.
constexpr const char* kReservedHeaders[] = {kVerifiedSubjectHeader, kVerifiedRolesHeader,
                                            kVerifiedTenantHeader, kOwnRecordsOnlyHeader,
                                            kRefusalHeader};

class AuthInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuthInterceptor(grpc::experimental::ServerRpcInfo* info, const CallAuthenticator* authenticator,
                  bool require_peer_certificate)
      : info_(info),
        authenticator_(authenticator),
        require_peer_certificate_(require_peer_certificate) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* md = methods->GetRecvInitialMetadata();
      for (const char* name : kReservedHeaders) md->erase(grpc::string_ref(name));
      if (require_peer_certificate_ && absl::StartsWith(info_->method(), kCheckedPrefix) &&
          !PeerHasCertificate()) {
        Refuse(*md, absl::UnauthenticatedError(
                        "this port serves health checks only (no client certificate): call the "
                        "service's mutual-TLS port"));
      } else if (authenticator_ != nullptr) {
        // With identities on, a self-declared actor is noise at best and a forgery at worst.
        md->erase(grpc::string_ref("x-itsm-actor"));
        if (absl::StartsWith(info_->method(), kCheckedPrefix)) Decide(*md);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        !refusal_.ok()) {
      methods->ModifySendStatus(grpc::Status(static_cast<grpc::StatusCode>(refusal_.code()),
                                             std::string(refusal_.message())));
    }
    methods->Proceed();
  }

 private:
  // The handler sees the refusal (runtime::Admit) and the status is replaced on the way out.
  // The string_refs point into members of this interceptor, which lives as long as the call.
  void Refuse(std::multimap<grpc::string_ref, grpc::string_ref>& md, absl::Status refusal) {
    refusal_ = std::move(refusal);
    refusal_text_ = absl::StrCat(static_cast<int>(refusal_.code()), ":", refusal_.message());
    md.emplace(grpc::string_ref(kRefusalHeader), grpc::string_ref(refusal_text_));
  }

  // A TLS peer whose certificate the handshake verified (the mutual-TLS port requires one).
  bool PeerHasCertificate() const {
    grpc::ServerContextBase* context = info_->server_context();
    if (context == nullptr) return false;
    std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
    return auth != nullptr && auth->IsPeerAuthenticated();
  }

  void Decide(std::multimap<grpc::string_ref, grpc::string_ref>& md) {
    // One credential a call, as at the gateway: a proxy or log in front that reads another of
    // two would name another caller than the one the audit trail records.
    if (md.count(grpc::string_ref(kAuthorizationHeader)) > 1) {
      return Refuse(md, absl::UnauthenticatedError(
                            "authorization: given more than once; a call presents one credential"));
    }
    std::string authorization;
    if (auto it = md.find(grpc::string_ref(kAuthorizationHeader)); it != md.end()) {
      authorization.assign(it->second.data(), it->second.size());
    }
    CallAuthenticator::Verdict verdict = authenticator_->Check(info_->method(), authorization);
    subject_ = verdict.identity.subject;
    if (!verdict.refusal.ok()) {
      // A verified caller refused for its roles is still named, for the log line of the refusal
      // (the handler sees the refusal first and does nothing).
      if (!subject_.empty()) {
        md.emplace(grpc::string_ref(kVerifiedSubjectHeader), grpc::string_ref(subject_));
      }
      return Refuse(md, verdict.refusal);
    }
    roles_ = verdict.identity.roles.ToString();
    tenant_ = verdict.identity.tenant;
    md.emplace(grpc::string_ref(kVerifiedSubjectHeader), grpc::string_ref(subject_));
    md.emplace(grpc::string_ref(kVerifiedRolesHeader), grpc::string_ref(roles_));
    md.emplace(grpc::string_ref(kVerifiedTenantHeader), grpc::string_ref(tenant_));
    if (verdict.decision.own_records_only) {
      md.emplace(grpc::string_ref(kOwnRecordsOnlyHeader), grpc::string_ref("1", 1));
    }
  }

  grpc::experimental::ServerRpcInfo* info_;
  const CallAuthenticator* authenticator_;
  const bool require_peer_certificate_;
  absl::Status refusal_;
  std::string refusal_text_, subject_, roles_, tenant_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const CallAuthenticator>> CallAuthenticator::ForSuiteIssuer(
    std::shared_ptr<auth::KeySource> keys, const std::string& issuer, const std::string& audience,
    const std::vector<std::string>& service_names) {
  auto verifier = std::make_shared<const auth::TokenVerifier>(
      std::vector<auth::TrustedIssuer>{{.issuer = issuer,
                                        .audience = audience,
                                        .keys = std::move(keys),
                                        // The suite's own issuer vouches for services too.
                                        .forbidden_roles = {}}},
      base::SystemClock::Get());
  ITSM_ASSIGN_OR_RETURN(auth::AccessPolicy policy,
                        auth::AccessPolicy::ForServiceNames(service_names));
  return std::make_shared<const CallAuthenticator>(std::move(verifier), std::move(policy));
}

CallAuthenticator::Verdict CallAuthenticator::Check(absl::string_view method,
                                                    absl::string_view authorization) const {
  Verdict verdict;
  const auth::Identity* identity = nullptr;
  if (!authorization.empty()) {
    if (authorization.size() <= kBearer.size() ||
        !absl::EqualsIgnoreCase(authorization.substr(0, kBearer.size()), kBearer)) {
      verdict.refusal = absl::UnauthenticatedError(
          "authorization: expected \"Bearer <token>\" (an API key is exchanged at the gateway)");
      return verdict;
    }
    absl::StatusOr<auth::Identity> verified =
        verifier_->Verify(absl::StripAsciiWhitespace(authorization.substr(kBearer.size())));
    if (!verified.ok()) {
      verdict.refusal = verified.status();
      return verdict;
    }
    verdict.identity = *std::move(verified);
    identity = &verdict.identity;
  }
  absl::StatusOr<auth::Decision> decision = policy_.Authorise(method, identity);
  if (!decision.ok()) {
    verdict.refusal = decision.status();
  } else {
    verdict.decision = *decision;
  }
  return verdict;
}

grpc::experimental::Interceptor* AuthInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AuthInterceptor(info, authenticator_.get(), require_peer_certificate_);
}

absl::Status Refusal(const grpc::ServerContextBase& context) {
  std::string text = ClientMetadata(context, kRefusalHeader);
  if (text.empty()) return absl::OkStatus();
  size_t colon = text.find(':');
  int code = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(0, colon), &code) || code <= 0 ||
      code > 16) {
    return absl::PermissionDeniedError("refused");
  }
  return absl::Status(static_cast<absl::StatusCode>(code), text.substr(colon + 1));
}

bool OwnRecordsOnly(const grpc::ServerContextBase& context) {
  return ClientMetadata(context, kOwnRecordsOnlyHeader) == "1";
}

}  // namespace itsm::runtime
