// ApiKeyService through a real server that authenticates and authorises every call (as the
// gateway runs it), on both storage backends, and the gateway's cached verifier: who may manage
// keys, what a key proves and for how long — rotation's grace period, revocation, expiry — with
// an injected clock.
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "itsm/apikeys/api_key_grpc_service.h"
#include "itsm/apikeys/api_key_management.h"
#include "itsm/apikeys/api_key_repository.h"
#include "itsm/apikeys/api_key_verifier.h"
#include "itsm/base/clock.h"
#include "itsm/base/time_util.h"
#include "itsm/runtime/executor.h"
#include "itsm/storage/group_commit.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/grpc_server.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"

namespace itsm::apikeys {
namespace {

namespace v1 = ::itsm::gateway::v1;
using ::itsm::testing::Backend;

class ApiKeyServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, ApiKeyManagement::Schema()).ok());
    committer_ =
        std::make_unique<storage::GroupCommitter>(*db_, storage::GroupCommitter::Options{});
    local_verifier_ = std::make_unique<CachedApiKeyVerifier>(*db_, keys_, clock_);
    service_ = std::make_unique<ApiKeyGrpcService>(*db_, *committer_, executor_, keys_,
                                                   [this] { local_verifier_->ForgetAll(); });
    server_ = std::make_unique<itsm::testing::GrpcTestServer>(
        std::vector<grpc::Service*>{service_.get()},
        issuer_.AuthenticatorFor({"itsm.gateway.v1.ApiKeyService"}));
    admin_ = StubAs("root@corp", {common::v1::ROLE_ADMIN});
  }
  void TearDown() override {
    server_->Shutdown();
    committer_->Stop();
  }

  std::unique_ptr<v1::ApiKeyService::Stub> StubAs(const std::string& subject, auth::RoleSet roles) {
    return v1::ApiKeyService::NewStub(
        issuer_.Channel(server_->address(), {.subject = subject, .roles = roles}));
  }

  v1::CreateApiKeyResponse Create(const std::string& name, std::vector<common::v1::Role> roles) {
    v1::CreateApiKeyRequest r;
    r.set_name(name);
    for (auto role : roles) r.add_roles(role);
    grpc::ClientContext ctx;
    v1::CreateApiKeyResponse out;
    grpc::Status s = admin_->CreateApiKey(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  absl::StatusOr<auth::Identity> Authenticate(const std::string& secret) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    return keys_.Authenticate(**txn, secret);
  }

  base::ManualClock clock_{
      absl::FromCivil(absl::CivilSecond(2026, 11, 30, 9, 0, 0), absl::UTCTimeZone())};
  ApiKeyManagement keys_{clock_};
  itsm::testing::TestIssuer issuer_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  runtime::Executor executor_{"test", 2, 100};
  // The key cache of the replica serving the API (another replica's is made by the test).
  std::unique_ptr<CachedApiKeyVerifier> local_verifier_;
  std::unique_ptr<ApiKeyGrpcService> service_;
  std::unique_ptr<itsm::testing::GrpcTestServer> server_;
  std::unique_ptr<v1::ApiKeyService::Stub> admin_;
};

TEST_P(ApiKeyServiceTest, AKeyIsShownOnceStoredAsAHashAndProvesItsIdentity) {
  v1::CreateApiKeyResponse created =
      Create("ci-pipeline", {common::v1::ROLE_AGENT, common::v1::ROLE_VIEWER});
  ASSERT_FALSE(created.secret().empty());
  EXPECT_EQ(created.api_key().subject(), "apikey:ci-pipeline");
  EXPECT_EQ(created.api_key().created_by(), "root@corp");
  EXPECT_EQ(created.secret().rfind(created.api_key().prefix() + "_", 0), 0u);

  // Nothing stored or listed holds the secret.
  auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  for (const char* table : {"api_keys", "api_key_secrets", "audit_entries"}) {
    auto rows = (*txn)->Query(absl::StrCat("SELECT * FROM ", table));
    ASSERT_TRUE(rows.ok());
    for (const auto& row : rows->rows()) {
      for (const auto& value : row) {
        EXPECT_EQ(value.AsString().find(created.secret().substr(18)), std::string::npos) << table;
      }
    }
  }
  txn->reset();
  grpc::ClientContext ctx;
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(admin_->ListApiKeys(&ctx, {}, &listed).ok());
  ASSERT_EQ(listed.api_keys_size(), 1);
  EXPECT_EQ(listed.api_keys(0).DebugString().find(created.secret()), std::string::npos);

  auto identity = Authenticate(created.secret());
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "apikey:ci-pipeline");
  EXPECT_TRUE(identity->roles.Has(common::v1::ROLE_AGENT));
  EXPECT_FALSE(identity->roles.Has(common::v1::ROLE_ADMIN));
  std::string wrong = created.secret();
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(Authenticate(wrong).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Authenticate("itsm_nonsense").status().code(), absl::StatusCode::kUnauthenticated);
  // An unknown key and a wrong secret read alike; each names the prefix presented (public: the
  // logs then tell a revoked key still in use from a guess), a secret without the form none.
  const std::string unknown = "itsm_000000000000_" + std::string(43, 'A');
  EXPECT_EQ(Authenticate(wrong).status().message(),
            absl::StrCat("API key ", created.api_key().prefix(), ": unknown, revoked or expired"));
  EXPECT_EQ(Authenticate(unknown).status().message(),
            "API key itsm_000000000000: unknown, revoked or expired");
  EXPECT_EQ(Authenticate("x").status().message(), "API key: unknown, revoked or expired");
}

TEST_P(ApiKeyServiceTest, RotationKeepsTheOldSecretForItsGracePeriodAndRevocationEndsBoth) {
  v1::CreateApiKeyResponse created = Create("monitoring", {common::v1::ROLE_VIEWER});
  v1::RotateApiKeyRequest rotate;
  rotate.set_id("monitoring");
  rotate.set_version(created.api_key().version());
  *rotate.mutable_grace_period() = base::ToProtoDuration(absl::Hours(1));
  grpc::ClientContext c1;
  v1::RotateApiKeyResponse rotated;
  ASSERT_TRUE(admin_->RotateApiKey(&c1, rotate, &rotated).ok());
  ASSERT_NE(rotated.secret(), created.secret());
  EXPECT_TRUE(Authenticate(created.secret()).ok());
  EXPECT_TRUE(Authenticate(rotated.secret()).ok());
  clock_.Advance(absl::Hours(1));
  EXPECT_FALSE(Authenticate(created.secret()).ok()) << "the grace period is over";
  EXPECT_TRUE(Authenticate(rotated.secret()).ok());

  // A stale version is refused and changes nothing.
  grpc::ClientContext c2;
  v1::RotateApiKeyResponse stale;
  EXPECT_EQ(admin_->RotateApiKey(&c2, rotate, &stale).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_TRUE(Authenticate(rotated.secret()).ok());

  grpc::ClientContext c3;
  v1::RevokeApiKeyRequest revoke;
  revoke.set_id(rotated.api_key().id());
  revoke.set_version(rotated.api_key().version());
  v1::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(admin_->RevokeApiKey(&c3, revoke, &revoked).ok());
  EXPECT_EQ(revoked.api_key().state(), v1::API_KEY_STATE_REVOKED);
  EXPECT_FALSE(Authenticate(rotated.secret()).ok());
  // The name stays the revoked key's: "apikey:monitoring" in the audit trail means that key
  // alone (decision 209). The revoked key stays listed for the record.
  grpc::ClientContext c4;
  v1::CreateApiKeyRequest again;
  again.set_name("monitoring");
  again.add_roles(common::v1::ROLE_VIEWER);
  v1::CreateApiKeyResponse refused;
  grpc::Status s = admin_->CreateApiKey(&c4, again, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(s.error_message().rfind("name: a revoked API key was named \"monitoring\"", 0), 0u)
      << s.error_message();
  grpc::ClientContext c5;
  v1::ListApiKeysRequest all;
  all.set_include_revoked(true);
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(admin_->ListApiKeys(&c5, all, &listed).ok());
  EXPECT_EQ(listed.api_keys_size(), 1);
  // Its trail names who did each step, read by the revoked key's id; no secret is in it.
  grpc::ClientContext c6;
  v1::GetApiKeyHistoryRequest history_of;
  history_of.set_id(rotated.api_key().id());
  v1::GetApiKeyHistoryResponse history;
  ASSERT_TRUE(admin_->GetApiKeyHistory(&c6, history_of, &history).ok());
  ASSERT_EQ(history.entries_size(), 3);
  EXPECT_EQ(history.entries(0).action(), "create");
  EXPECT_EQ(history.entries(1).version(), 2);
  EXPECT_EQ(history.entries(2).version(), 3);
  for (const auto& entry : history.entries()) {
    EXPECT_EQ(entry.actor(), "root@corp");
    for (const std::string& secret : {created.secret(), rotated.secret()}) {
      EXPECT_EQ(entry.DebugString().find(secret.substr(18)), std::string::npos);
    }
  }
  // Only admins read it; a key that never existed is NOT_FOUND naming the field.
  grpc::ClientContext c7;
  v1::GetApiKeyHistoryResponse denied;
  EXPECT_EQ(StubAs("dana@corp", {common::v1::ROLE_VIEWER})
                ->GetApiKeyHistory(&c7, history_of, &denied)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext c8;
  history_of.set_id("never-made");
  grpc::Status missing = admin_->GetApiKeyHistory(&c8, history_of, &denied);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "id: no API key \"never-made\"");
}

// Entries written before the second migration, in the library's own table, are read after it
// through the record toolkit's, unchanged.
TEST_P(ApiKeyServiceTest, TheAuditTrailOfEarlierVersionsMovesToTheToolkitsTable) {
  auto db = itsm::testing::NewDatabase(GetParam());
  ASSERT_TRUE(db.ok()) << db.status();
  std::vector<storage::Migration> earlier = ApiKeyRepository::Migrations();
  ASSERT_EQ(earlier.size(), 2u);
  earlier.pop_back();
  ASSERT_TRUE(storage::ApplyMigrations(**db, "apikeys", earlier).ok());
  v1::ApiKey key;
  key.set_id("01a24600-0000-7000-8000-000000000001");
  key.set_name("old-key");
  key.set_state(v1::API_KEY_STATE_ACTIVE);
  key.set_version(1);
  common::v1::AuditEntry entry;
  entry.set_version(1);
  entry.set_actor("root@corp");
  entry.set_action("create");
  entry.set_request_id("req-1");
  {
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(ApiKeyRepository::Insert(**txn, key).ok());
    ASSERT_TRUE((*txn)
                    ->Execute("INSERT INTO api_key_audit(record_id, version, time_us, data)"
                              " VALUES ($1, 1, 0, $2)",
                              {key.id(), storage::Bytes{entry.SerializeAsString()}})
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  ASSERT_TRUE(storage::ApplySchema(**db, ApiKeyManagement::Schema()).ok());
  auto txn = (*db)->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  v1::GetApiKeyHistoryRequest request;
  request.set_id("old-key");
  v1::GetApiKeyHistoryResponse history;
  ASSERT_TRUE(keys_.History(**txn, request, history).ok());
  ASSERT_EQ(history.entries_size(), 1);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(history.entries(0), entry));
  EXPECT_FALSE((*txn)->Query("SELECT 1 FROM api_key_audit").ok());  // the table is gone
}

TEST_P(ApiKeyServiceTest, OnlyAdminsManageKeysAndBadRequestsNameTheField) {
  auto agent = StubAs("dana@corp", {common::v1::ROLE_AGENT});
  grpc::ClientContext c1;
  v1::CreateApiKeyRequest r;
  r.set_name("sneaky");
  r.add_roles(common::v1::ROLE_ADMIN);
  v1::CreateApiKeyResponse out;
  EXPECT_EQ(agent->CreateApiKey(&c1, r, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  struct Case {
    std::string field;
    std::function<void(v1::CreateApiKeyRequest&)> set;
  };
  for (const Case& c : std::vector<Case>{
           {"name", [](auto& q) { q.set_name("Has Spaces"); }},
           {"name", [](auto& q) { q.set_name(""); }},
           {"roles", [](auto& q) { q.clear_roles(); }},
           {"roles", [](auto& q) { q.add_roles(common::v1::ROLE_SERVICE); }},
           {"roles", [](auto& q) { q.add_roles(static_cast<common::v1::Role>(99)); }},
           {"roles[1]", [](auto& q) { q.add_roles(common::v1::ROLE_VIEWER); }},
           {"expire_time",
            [this](auto& q) { *q.mutable_expire_time() = base::ToProtoTimestamp(clock_.Now()); }},
       }) {
    v1::CreateApiKeyRequest bad;
    bad.set_name("valid-name");
    bad.add_roles(common::v1::ROLE_VIEWER);
    c.set(bad);
    grpc::ClientContext ctx;
    v1::CreateApiKeyResponse refused;
    grpc::Status s = admin_->CreateApiKey(&ctx, bad, &refused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(s.error_message().rfind(c.field + ":", 0), 0u) << s.error_message();
  }
  Create("taken", {common::v1::ROLE_VIEWER});
  grpc::ClientContext c2;
  v1::CreateApiKeyRequest dup;
  dup.set_name("taken");
  dup.add_roles(common::v1::ROLE_VIEWER);
  grpc::Status s = admin_->CreateApiKey(&c2, dup, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  grpc::ClientContext c3;
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(admin_->ListApiKeys(&c3, {}, &listed).ok());
  EXPECT_EQ(listed.api_keys_size(), 1) << "refused creates stored nothing";
}

TEST_P(ApiKeyServiceTest, ExpiredKeysAuthenticateNoMore) {
  v1::CreateApiKeyRequest r;
  r.set_name("temporary");
  r.add_roles(common::v1::ROLE_VIEWER);
  *r.mutable_expire_time() = base::ToProtoTimestamp(clock_.Now() + absl::Hours(2));
  grpc::ClientContext ctx;
  v1::CreateApiKeyResponse created;
  ASSERT_TRUE(admin_->CreateApiKey(&ctx, r, &created).ok());
  CachedApiKeyVerifier verifier(*db_, keys_, clock_);
  EXPECT_TRUE(verifier.Verify(created.secret()).ok());
  clock_.Advance(absl::Hours(2));
  EXPECT_FALSE(verifier.Verify(created.secret()).ok()) << "expired, even from the cache";
  EXPECT_FALSE(Authenticate(created.secret()).ok());
}

TEST_P(ApiKeyServiceTest, TheVerifierCachesAnswersForItsTimeToLive) {
  v1::CreateApiKeyResponse created = Create("dashboards", {common::v1::ROLE_VIEWER});
  CachedApiKeyVerifier verifier(*db_, keys_, clock_, {.ttl = absl::Seconds(10)});
  ASSERT_TRUE(verifier.Verify(created.secret()).ok());
  grpc::ClientContext ctx;
  v1::RevokeApiKeyRequest revoke;
  revoke.set_id("dashboards");
  revoke.set_version(created.api_key().version());
  v1::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(admin_->RevokeApiKey(&ctx, revoke, &revoked).ok());
  EXPECT_TRUE(verifier.Verify(created.secret()).ok()) << "still cached";
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(verifier.Verify(created.secret()).status().code(), absl::StatusCode::kUnauthenticated);
}

// On the replica that revoked or rotated a key, its cache forgets the key at once.
TEST_P(ApiKeyServiceTest, TheReplicaThatWithdrewAKeyStopsAcceptingItAtOnce) {
  v1::CreateApiKeyResponse revoked_key = Create("to-revoke", {common::v1::ROLE_VIEWER});
  v1::CreateApiKeyResponse rotated_key = Create("to-rotate", {common::v1::ROLE_VIEWER});
  ASSERT_TRUE(local_verifier_->Verify(revoked_key.secret()).ok());
  ASSERT_TRUE(local_verifier_->Verify(rotated_key.secret()).ok());
  {
    grpc::ClientContext ctx;
    v1::RevokeApiKeyRequest revoke;
    revoke.set_id("to-revoke");
    revoke.set_version(revoked_key.api_key().version());
    v1::RevokeApiKeyResponse out;
    ASSERT_TRUE(admin_->RevokeApiKey(&ctx, revoke, &out).ok());
  }
  EXPECT_EQ(local_verifier_->Verify(revoked_key.secret()).status().code(),
            absl::StatusCode::kUnauthenticated);
  {
    grpc::ClientContext ctx;
    v1::RotateApiKeyRequest rotate;  // no grace period: the old secret ends now
    rotate.set_id("to-rotate");
    rotate.set_version(rotated_key.api_key().version());
    v1::RotateApiKeyResponse out;
    ASSERT_TRUE(admin_->RotateApiKey(&ctx, rotate, &out).ok());
    EXPECT_TRUE(local_verifier_->Verify(out.secret()).ok());
  }
  EXPECT_EQ(local_verifier_->Verify(rotated_key.secret()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiKeyServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::apikeys
