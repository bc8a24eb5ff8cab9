// Authentication and authorisation of every call, through a real server (StartGrpcServer) and
// real channels: identity tokens signed with a generated key, the JWKS in a file, as a service
// runs them. What a call straight to a service without a valid identity gets, what a forged
// header achieves (nothing), and that a refused call does no work.
#include "itsm/runtime/call_auth.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "itsm/auth/token_signer.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/grpc_server.h"
#include "itsm/runtime/outbound_identity.h"

namespace itsm::runtime {
namespace {

using ::testing::HasSubstr;

// Admin-only RPCs: RepublishEvents starts with Admit, as every handler does; GetOutboxStats
// "forgets" it, to show that the interceptor's status still wins.
class OutboxAdmin final : public outbox::v1::OutboxAdminService::CallbackService {
 public:
  grpc::ServerUnaryReactor* RepublishEvents(grpc::CallbackServerContext* ctx,
                                            const outbox::v1::RepublishEventsRequest* request,
                                            outbox::v1::RepublishEventsResponse*) override {
    if (absl::Status bad = Admit(*ctx, *request); !bad.ok()) return Reject(ctx, bad);
    ++work_done;
    last_actor = Actor(*ctx);
    return Reject(ctx, absl::OkStatus());
  }
  grpc::ServerUnaryReactor* GetOutboxStats(grpc::CallbackServerContext* ctx,
                                           const outbox::v1::GetOutboxStatsRequest*,
                                           outbox::v1::GetOutboxStatsResponse* response) override {
    response->set_pending_events(42);
    return Reject(ctx, absl::OkStatus());
  }
  std::atomic<int> work_done{0};
  std::string last_actor;
};

// CreateIncident declares own_records_roles: [ROLE_REQUESTER].
class Incidents final : public incident::v1::IncidentService::CallbackService {
 public:
  grpc::ServerUnaryReactor* CreateIncident(
      grpc::CallbackServerContext* ctx, const incident::v1::CreateIncidentRequest* request,
      incident::v1::CreateIncidentResponse* response) override {
    if (absl::Status bad = Admit(*ctx, *request); !bad.ok()) return Reject(ctx, bad);
    response->mutable_incident()->set_created_by(Actor(*ctx));
    response->mutable_incident()->set_description(OwnRecordsOnly(*ctx) ? "own" : "any");
    last_roles = CallerOf(*ctx).roles;
    return Reject(ctx, absl::OkStatus());
  }
  std::optional<std::vector<std::string>> last_roles;
};

class CallAuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new auth::SigningKey(*auth::GenerateSigningKey(auth::Algorithm::kEs256, "suite-1"));
  }
  static void TearDownTestSuite() { delete key_; }

  void Start(bool authentication) {
    std::shared_ptr<const CallAuthenticator> authenticator;
    if (authentication) {
      jwks_path_ = absl::StrCat(::testing::TempDir(), "/call-auth-", getpid(), ".json");
      std::ofstream(jwks_path_) << auth::JwksOf({*key_});
      auto keys = auth::JwksFileSource::Open(jwks_path_, base::SystemClock::Get());
      ASSERT_TRUE(keys.ok()) << keys.status();
      auto verifier = std::make_shared<const auth::TokenVerifier>(
          std::vector<auth::TrustedIssuer>{
              // As ServiceRuntime trusts the suite's own issuer: it vouches for services too.
              {.issuer = "itsm",
               .audience = "itsm",
               .keys = std::move(*keys),
               .forbidden_roles = {}}},
          base::SystemClock::Get());
      auto policy = auth::AccessPolicy::ForServiceNames(
          {"itsm.outbox.v1.OutboxAdminService", "itsm.incident.v1.IncidentService"});
      ASSERT_TRUE(policy.ok()) << policy.status();
      authenticator = std::make_shared<const CallAuthenticator>(verifier, *std::move(policy));
    }
    server_ =
        StartGrpcServer("127.0.0.1:0", {&outbox_, &incidents_}, registry_, &port_, authenticator);
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
    outbox_stub_ = outbox::v1::OutboxAdminService::NewStub(channel);
    incident_stub_ = incident::v1::IncidentService::NewStub(channel);
    health_stub_ = grpc::health::v1::Health::NewStub(channel);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    if (!jwks_path_.empty()) std::filesystem::remove(jwks_path_);
  }

  static std::string Token(const std::string& subject, auth::RoleSet roles,
                           const std::string& issuer = "itsm") {
    auth::TokenSigner signer(*key_, issuer, base::SystemClock::Get());
    return *signer.Sign({.subject = subject, .roles = roles}, "itsm", absl::Minutes(5));
  }

  grpc::Status Republish(const std::string& authorization,
                         std::vector<std::pair<std::string, std::string>> extra = {}) {
    grpc::ClientContext ctx;
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    for (const auto& [k, v] : extra) ctx.AddMetadata(k, v);
    outbox::v1::RepublishEventsRequest request;
    outbox::v1::RepublishEventsResponse response;
    return outbox_stub_->RepublishEvents(&ctx, request, &response);
  }

  static inline auth::SigningKey* key_ = nullptr;
  prometheus::Registry registry_;
  OutboxAdmin outbox_;
  Incidents incidents_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string jwks_path_;
  std::unique_ptr<outbox::v1::OutboxAdminService::Stub> outbox_stub_;
  std::unique_ptr<incident::v1::IncidentService::Stub> incident_stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;
};

TEST_F(CallAuthTest, ACallWithoutAnIdentityIsUnauthenticatedAndDoesNothing) {
  Start(true);
  grpc::Status status = Republish("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("a verified identity is required"));
  // A self-declared actor is no identity.
  status = Republish("", {{"x-itsm-actor", "cfo@corp"}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(outbox_.work_done, 0);
}

TEST_F(CallAuthTest, BadTokensAreUnauthenticatedWithTheReason) {
  Start(true);
  EXPECT_THAT(Republish("Basic YWRtaW46YWRtaW4=").error_message(), HasSubstr("Bearer"));
  EXPECT_THAT(Republish("Bearer not-a-jwt").error_message(), HasSubstr("not a signed JWT"));
  grpc::Status foreign = Republish(absl::StrCat(
      "Bearer ", Token("mallory", {common::v1::ROLE_ADMIN}, "https://elsewhere.example.com")));
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(foreign.error_message(), HasSubstr("not trusted"));
  EXPECT_EQ(outbox_.work_done, 0);
}

TEST_F(CallAuthTest, RolesOutsideTheDeclarationArePermissionDenied) {
  Start(true);
  grpc::Status status =
      Republish(absl::StrCat("Bearer ", Token("viewer@corp", {common::v1::ROLE_VIEWER})));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("viewer@corp (roles: viewer) may not call it"));
  EXPECT_EQ(outbox_.work_done, 0);
}

TEST_F(CallAuthTest, TheVerifiedSubjectIsTheCallerWhateverHeadersSay) {
  Start(true);
  grpc::Status status =
      Republish(absl::StrCat("Bearer ", Token("root@corp", {common::v1::ROLE_ADMIN})),
                {{"x-itsm-actor", "cfo@corp"}, {"x-itsm-verified-subject", "cfo@corp"}});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(outbox_.work_done, 1);
  EXPECT_EQ(outbox_.last_actor, "root@corp");
}

// A proxy or log in front that read the second credential would name another caller.
TEST_F(CallAuthTest, TwoCredentialsAreUnauthenticated) {
  Start(true);
  grpc::Status status =
      Republish(absl::StrCat("Bearer ", Token("root@corp", {common::v1::ROLE_ADMIN})),
                {{"authorization",
                  absl::StrCat("Bearer ", Token("viewer@corp", {common::v1::ROLE_VIEWER}))}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("authorization: given more than once"));
  EXPECT_EQ(outbox_.work_done, 0);
}

TEST_F(CallAuthTest, AHandlerThatForgetsToAdmitStillAnswersTheRefusal) {
  Start(true);
  grpc::ClientContext ctx;
  outbox::v1::GetOutboxStatsResponse response;
  grpc::Status status = outbox_stub_->GetOutboxStats(&ctx, {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(CallAuthTest, OwnRecordsRolesReachTheHandlerFlagged) {
  Start(true);
  for (auto [roles, expected] : {std::pair{auth::RoleSet{common::v1::ROLE_REQUESTER}, "own"},
                                 std::pair{auth::RoleSet{common::v1::ROLE_AGENT}, "any"}}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", Token("ann@corp", roles)));
    ctx.AddMetadata("x-itsm-own-records-only", "0");  // a client cannot clear the flag
    incident::v1::CreateIncidentRequest request;
    incident::v1::CreateIncidentResponse response;
    grpc::Status status = incident_stub_->CreateIncident(&ctx, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.incident().created_by(), "ann@corp");
    EXPECT_EQ(response.incident().description(), expected);
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization",
                  absl::StrCat("Bearer ", Token("v@corp", {common::v1::ROLE_VIEWER})));
  incident::v1::CreateIncidentResponse response;
  EXPECT_EQ(incident_stub_->CreateIncident(&ctx, {}, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// The application classes see the verified roles (an approval level's role is checked there);
// a client cannot add one, and without authentication they are unknown, not empty.
class CallerRolesTest : public CallAuthTest {
 protected:
  std::optional<std::vector<std::string>> RolesSeenByTheHandler() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization",
                    absl::StrCat("Bearer ", Token("cab@corp", {common::v1::ROLE_AGENT,
                                                               common::v1::ROLE_CAB_MEMBER})));
    ctx.AddMetadata("x-itsm-verified-subject", "root@corp");
    ctx.AddMetadata("x-itsm-verified-roles", "admin,change_manager");
    incident::v1::CreateIncidentRequest request;
    incident::v1::CreateIncidentResponse response;
    grpc::Status status = incident_stub_->CreateIncident(&ctx, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return incidents_.last_roles;
  }
};

TEST_F(CallerRolesTest, AreTheTokensWhateverHeadersSay) {
  Start(true);
  EXPECT_EQ(RolesSeenByTheHandler(),
            std::optional(std::vector<std::string>{"agent", "cab_member"}));
}

TEST_F(CallerRolesTest, AreUnknownWithAuthenticationDisabled) {
  Start(false);
  EXPECT_EQ(RolesSeenByTheHandler(), std::nullopt);
}

TEST_F(CallAuthTest, AServiceCallsAnotherWithItsOwnIdentity) {
  Start(true);
  auto identity = std::make_shared<OutboundIdentity>(
      auth::TokenSigner(*key_, "itsm", base::SystemClock::Get()),
      auth::Identity{.subject = "service:sla-timer", .roles = {common::v1::ROLE_SERVICE}}, "itsm",
      base::SystemClock::Get());
  auto with_identity = incident::v1::IncidentService::NewStub(
      OutboundChannel(absl::StrCat("127.0.0.1:", port_), identity));
  incident::v1::GetIncidentResponse response;
  {
    // Allowed for the service role: past authentication, the fake answers UNIMPLEMENTED.
    grpc::ClientContext ctx;
    EXPECT_EQ(with_identity->GetIncident(&ctx, {}, &response).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(incident_stub_->GetIncident(&ctx, {}, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    // A service may not do what the declaration does not give it.
    grpc::ClientContext ctx;
    incident::v1::CreateIncidentResponse created;
    EXPECT_EQ(with_identity->CreateIncident(&ctx, {}, &created).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    // A caller's own authorization is passed on as it is.
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization",
                    absl::StrCat("Bearer ", Token("ann@corp", {common::v1::ROLE_AGENT})));
    incident::v1::CreateIncidentResponse created;
    ASSERT_TRUE(with_identity->CreateIncident(&ctx, {}, &created).ok());
    EXPECT_EQ(created.incident().created_by(), "ann@corp");
  }
}

TEST_F(CallAuthTest, HealthNeedsNoIdentity) {
  Start(true);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(health_stub_->Check(&ctx, {}, &response).ok());
}

TEST_F(CallAuthTest, WithAuthenticationDisabledTheCallerNamesItselfButCannotForgeAVerifiedName) {
  Start(false);
  grpc::Status status =
      Republish("", {{"x-itsm-actor", "dev@local"}, {"x-itsm-verified-subject", "cfo@corp"}});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(outbox_.last_actor, "dev@local");
}

}  // namespace
}  // namespace itsm::runtime
