#include "itsm/runtime/outbound_identity.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/support/client_interceptor.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/call_auth.h"
#include "itsm/runtime/logging.h"

namespace itsm::runtime {
namespace {

using grpc::experimental::InterceptionHookPoints;

class IdentityInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit IdentityInterceptor(OutboundIdentity* identity) : identity_(identity) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* md = methods->GetSendInitialMetadata();
      if (md->find(kAuthorizationHeader) == md->end()) {
        absl::StatusOr<std::string> header = identity_->AuthorizationHeader();
        if (header.ok()) {
          md->emplace(kAuthorizationHeader, *header);
        } else {
          // The call goes without: the callee answers UNAUTHENTICATED, which names the problem.
          log::Error("cannot sign this service's identity token",
                     {{"error", header.status().ToString()}});
        }
      }
    }
    methods->Proceed();
  }

 private:
  OutboundIdentity* identity_;
};

class IdentityInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit IdentityInterceptorFactory(std::shared_ptr<OutboundIdentity> identity)
      : identity_(std::move(identity)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new IdentityInterceptor(identity_.get());
  }

 private:
  std::shared_ptr<OutboundIdentity> identity_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<OutboundIdentity>> OutboundIdentity::FromKeyFile(
    const std::string& key_file, const std::string& issuer, const std::string& audience,
    auth::Identity identity) {
  ITSM_ASSIGN_OR_RETURN(auth::SigningKey key, auth::SigningKeyFromPemFile(key_file));
  auth::TokenSigner signer(std::move(key), issuer, base::SystemClock::Get());
  return std::make_shared<OutboundIdentity>(std::move(signer), std::move(identity), audience,
                                            base::SystemClock::Get());
}

absl::StatusOr<std::shared_ptr<OutboundIdentity>> OutboundIdentity::ForService(
    const std::string& key_file, const std::string& issuer, const std::string& audience,
    const std::string& service_name) {
  return FromKeyFile(key_file, issuer, audience,
                     auth::Identity{.subject = absl::StrCat("service:", service_name),
                                    .roles = {common::v1::ROLE_SERVICE}});
}

absl::StatusOr<std::string> OutboundIdentity::AuthorizationHeader() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  if (now >= renew_at_) {
    ITSM_ASSIGN_OR_RETURN(std::string token, signer_.Sign(identity_, audience_, ttl_));
    header_ = absl::StrCat("Bearer ", token);
    renew_at_ = now + ttl_ * 4 / 5;
  }
  return header_;
}

std::shared_ptr<grpc::Channel> OutboundChannel(
    const std::string& address, std::shared_ptr<OutboundIdentity> identity,
    std::shared_ptr<grpc::ChannelCredentials> credentials, int connection) {
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  // gRPC shares a connection between channels whose arguments are equal: a distinct value gives
  // a channel its own (one HTTP/2 connection is served by one thread at a time at each end).
  if (connection != 0) args.SetInt("itsm.connection", connection);
  // A service that was down for a minute (restarted with backoff, a pod rescheduled) is called
  // again within seconds of serving: gRPC's default reconnect backoff grows to 120 s, during
  // which every call fails at once with UNAVAILABLE.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  if (identity == nullptr) return grpc::CreateCustomChannel(address, credentials, args);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<IdentityInterceptorFactory>(std::move(identity)));
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, credentials, args,
                                                                 std::move(interceptors));
}

}  // namespace itsm::runtime
