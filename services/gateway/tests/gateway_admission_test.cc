// Admission at the gateway over real HTTP: callers authenticated by API keys from a real key
// store (SQLite), rate limits in a real redis-server, the services unreachable (a closed port).
// A request the gateway admits is forwarded and answered 503 by the missing service; one it
// refuses is answered by the gateway itself: 401 with WWW-Authenticate, 429 with Retry-After,
// and RateLimit-* on every answer. A Redis outage lets requests through (fail open) or refuses
// them (fail closed), as configured.
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/apikeys/api_key_management.h"
#include "itsm/apikeys/api_key_verifier.h"
#include "itsm/auth/access_policy.h"
#include "itsm/auth/key_source.h"
#include "itsm/auth/keys.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/migrations.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/testing/test_env.h"
#include "services/gateway/src/gateway.h"
#include "services/gateway/tests/http_client.h"

namespace itsm::gateway {
namespace {

using testing::HttpAnswer;
using testing::HttpClient;

class GatewayAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = supervisor::RedisServer::Start(dir_.File("redis"), 0, dir_.File("redis.log"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    auto db = itsm::testing::NewDatabase(itsm::testing::Backend::kSqlite);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, apikeys::ApiKeyManagement::Schema()).ok());
    secret_ = NewKeySecret("integration");

    auto jwks = auth::ParseJwks(auth::JwksOf({key_}));
    ASSERT_TRUE(jwks.ok());
    api_keys_ = std::make_unique<apikeys::CachedApiKeyVerifier>(*db_, keys_, clock_);
    callers_ = std::make_unique<CallerAuthentication>(
        std::make_shared<auth::TokenVerifier>(
            std::vector<auth::TrustedIssuer>{
                {.issuer = "itsm",
                 .audience = "itsm",
                 .keys = std::make_shared<auth::StaticKeySource>(*std::move(jwks))}},
            clock_),
        "itsm", auth::TokenSigner(key_, "itsm", clock_), api_keys_.get(), clock_,
        CallerAuthentication::Options{});
    limiter_ = std::make_unique<ratelimit::RedisRateLimiter>(
        ratelimit::RedisRateLimiter::Options{.redis_address = redis_->address()}, clock_);
  }
  void Serve(bool fail_open) {
    limits_ = std::make_unique<CallerRateLimits>(
        *limiter_,
        CallerRateLimits::Options{.read = {.per_second = 1, .burst = 5},
                                  .write = {.per_second = 0.5, .burst = 2},
                                  .fail_open = fail_open},
        registry_);
    auto routes = RouteTable::Build(auth::LinkedServices("itsm."));
    ASSERT_TRUE(routes.ok()) << routes.status();
    const std::string nowhere = absl::StrCat("127.0.0.1:", supervisor::FindFreePort());
    for (const auto* service : routes->services()) {
      upstreams_.Add(service->full_name(),
                     grpc::CreateChannel(nowhere, grpc::InsecureChannelCredentials()));
    }
    gateway_ = std::make_unique<Gateway>(*std::move(routes), upstreams_, metrics_,
                                         Gateway::Options{.upstream_timeout = absl::Seconds(5),
                                                          .callers = callers_.get(),
                                                          .rate_limits = limits_.get(),
                                                          .blocking = &executor_});
    auto server = HttpServer::Start({.port = 0}, *gateway_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_ == nullptr) return;
    server_->StopAccepting();
    EXPECT_TRUE(gateway_->Drain(absl::Seconds(10)));
    server_->Stop();
  }
  std::string NewKeySecret(const std::string& name) {
    gateway::v1::CreateApiKeyRequest request;
    request.set_name(name);
    request.add_roles(common::v1::ROLE_AGENT);
    gateway::v1::CreateApiKeyResponse created;
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE(keys_.Create(**txn, {.actor = "root@corp"}, request, created).ok());
    EXPECT_TRUE((*txn)->Commit().ok());
    return created.secret();
  }
  HttpClient Client(const std::string& secret) {
    return HttpClient("127.0.0.1", server_->port(), {{"X-API-Key", secret}});
  }
  static constexpr char kCreate[] = R"({"title":"Printer on fire","impact":2,"urgency":2})";

  itsm::testing::ScratchDir dir_;
  std::unique_ptr<supervisor::RedisServer> redis_;
  base::ManualClock clock_{absl::FromUnixSeconds(1800000000)};
  auth::SigningKey key_ = *auth::GenerateSigningKey(auth::Algorithm::kEs256);
  std::unique_ptr<storage::Database> db_;
  apikeys::ApiKeyManagement keys_{clock_};
  std::string secret_;
  std::unique_ptr<apikeys::CachedApiKeyVerifier> api_keys_;
  std::unique_ptr<CallerAuthentication> callers_;
  std::unique_ptr<ratelimit::RedisRateLimiter> limiter_;
  prometheus::Registry registry_;
  std::unique_ptr<CallerRateLimits> limits_;
  runtime::Executor executor_{"admission", 2, 100};
  GatewayMetrics metrics_{registry_};
  Upstreams upstreams_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(GatewayAdmissionTest, WithoutAValidCredentialTheGatewayAnswers401ItselfAndForwardsNothing) {
  Serve(/*fail_open=*/true);
  for (const std::map<std::string, std::string>& headers :
       std::vector<std::map<std::string, std::string>>{
           {},
           {{"X-API-Key", "itsm_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
           {{"Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJldmUifQ."}},
           {{"Authorization", "Basic YWRtaW46YWRtaW4="}}}) {
    HttpAnswer refused =
        HttpClient("127.0.0.1", server_->port()).Send("POST", "/v1/incidents", kCreate, headers);
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_EQ(refused.Header("www-authenticate"), "Bearer realm=\"itsm\"");
    EXPECT_TRUE(absl::StrContains(refused.body, "\"code\":16")) << refused.body;
  }
  // Public documents need no credential.
  EXPECT_EQ(HttpClient("127.0.0.1", server_->port()).Send("GET", "/openapi.json").status, 200);
}

// A bucket per identity: the same subject vouched for by another issuer, or names that would
// read the same once joined ("a|b" + "c" and "a" + "b|c"), never share one.
TEST_F(GatewayAdmissionTest, IdentitiesThatLookAlikeHaveBucketsOfTheirOwn) {
  Serve(/*fail_open=*/false);
  const std::vector<auth::Identity> alike = {
      {.subject = "c", .tenant = "a|b", .issuer = "itsm"},
      {.subject = "b|c", .tenant = "a", .issuer = "itsm"},
      {.subject = "b|c", .tenant = "a", .issuer = "https://login.example.com"},
  };
  for (const auth::Identity& who : alike) {
    for (int i = 0; i < 2; ++i) {  // the write burst
      EXPECT_TRUE(limits_->Take(who, /*write=*/true).refusal.ok()) << who.issuer << i;
    }
  }
  for (const auth::Identity& who : alike) {
    EXPECT_EQ(limits_->Take(who, /*write=*/true).refusal.code(),
              absl::StatusCode::kResourceExhausted);
  }
}

TEST_F(GatewayAdmissionTest, ACallerPastItsWriteBurstIsAnswered429WithRetryAfter) {
  Serve(/*fail_open=*/true);
  HttpClient client = Client(secret_);
  for (int i = 0; i < 2; ++i) {
    HttpAnswer admitted = client.Send("POST", "/v1/incidents", kCreate);
    EXPECT_EQ(admitted.status, 503) << admitted.body;  // forwarded: the service is not there
    EXPECT_EQ(admitted.Header("ratelimit-limit"), "2");
    EXPECT_EQ(admitted.Header("ratelimit-remaining"), absl::StrCat(1 - i));
  }
  HttpAnswer limited = client.Send("POST", "/v1/incidents", kCreate);
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(limited.Header("retry-after"), "2");
  EXPECT_EQ(limited.Header("ratelimit-remaining"), "0");
  EXPECT_TRUE(absl::StrContains(limited.body, "apikey:integration")) << limited.body;
  // Reads have their own bucket, and another caller its own.
  EXPECT_EQ(client.Send("GET", "/v1/incidents/INC0000001").status, 503);
  EXPECT_EQ(Client(NewKeySecret("other")).Send("POST", "/v1/incidents", kCreate).status, 503);
  // Two seconds later one write's worth has refilled.
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(client.Send("POST", "/v1/incidents", kCreate).status, 503);
}

TEST_F(GatewayAdmissionTest, TheSessionSaysWhoTheCredentialIsAndCountsAsARead) {
  Serve(/*fail_open=*/true);
  HttpClient client = Client(secret_);
  HttpAnswer session = client.Send("GET", "/v1/session");
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(session.Header("content-type"), "application/json");
  EXPECT_EQ(session.Header("cache-control"), "no-store");
  // Its fields in one order, call after call.
  EXPECT_TRUE(absl::StartsWith(
      session.body, R"({"subject":"apikey:integration","roles":["ROLE_AGENT"],"tenant":"",)"))
      << session.body;
  EXPECT_EQ(client.Send("GET", "/v1/session").body, session.body);
  EXPECT_FALSE(absl::StrContains(session.body, secret_)) << "never the credential itself";
  // A read: the read bucket (burst 5) pays for it.
  EXPECT_EQ(session.Header("ratelimit-limit"), "5");
  EXPECT_EQ(session.Header("ratelimit-remaining"), "4");
  // Another key, another subject.
  HttpAnswer other = Client(NewKeySecret("wallboard")).Send("GET", "/v1/session");
  EXPECT_TRUE(absl::StrContains(other.body, R"("subject":"apikey:wallboard")")) << other.body;
  // Without a valid credential: 401 from the gateway, like every API route.
  HttpAnswer anonymous = HttpClient("127.0.0.1", server_->port()).Send("GET", "/v1/session");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_EQ(anonymous.Header("www-authenticate"), "Bearer realm=\"itsm\"");
  HttpAnswer forged =
      HttpClient("127.0.0.1", server_->port())
          .Send("GET", "/v1/session", "",
                {{"Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJldmUifQ."}});
  EXPECT_EQ(forged.status, 401) << forged.body;
  // Past the read burst: 429, as for any read.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.Send("GET", "/v1/session").status, 200);
  EXPECT_EQ(client.Send("GET", "/v1/session").status, 429);
}

TEST_F(GatewayAdmissionTest, ARedisOutageLetsRequestsThroughWhenFailingOpen) {
  Serve(/*fail_open=*/true);
  redis_->Stop();
  HttpAnswer admitted = Client(secret_).Send("POST", "/v1/incidents", kCreate);
  EXPECT_EQ(admitted.status, 503) << admitted.body;
  EXPECT_FALSE(absl::StrContains(admitted.body, "rate limiter")) << admitted.body;
  EXPECT_EQ(admitted.Header("ratelimit-limit"), "");
}

TEST_F(GatewayAdmissionTest, ARedisOutageRefusesRequestsWhenFailingClosed) {
  Serve(/*fail_open=*/false);
  redis_->Stop();
  HttpAnswer refused = Client(secret_).Send("POST", "/v1/incidents", kCreate);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_TRUE(absl::StrContains(refused.body, "rate limiter is unavailable")) << refused.body;
  EXPECT_EQ(refused.Header("retry-after"), "1");
}

}  // namespace
}  // namespace itsm::gateway
