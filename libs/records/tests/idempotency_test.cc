// The idempotency store on both backends, with real concurrent transactions racing for one key.
#include "itsm/records/idempotency.h"

#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"

namespace itsm::records {
namespace {

using ::itsm::testing::Backend;

constexpr char kMethod[] = "itsm.test.v1.TestService/CreateThing";
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class IdempotencyTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam(), {.pool_size = 8});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(
        storage::ApplyMigrations(*db_, IdempotencyStore::kComponent, IdempotencyStore::Migrations())
            .ok());
    ASSERT_TRUE(storage::ApplyMigrations(
                    *db_, "test", {{1, "things", "CREATE TABLE things (id TEXT PRIMARY KEY)"}})
                    .ok());
  }

  // One create as a service runs it: claim, then write the record only when first.
  absl::StatusOr<IdempotencyClaim> Create(const std::string& key, const std::string& fingerprint,
                                          const std::string& id, absl::Time now = kNow,
                                          const std::string& caller = "alice@corp") {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_->Begin(storage::TransactionMode::kReadWrite));
    ITSM_ASSIGN_OR_RETURN(
        auto claim, IdempotencyStore::Claim(*txn, kMethod, caller, key, fingerprint, id, now));
    if (claim.first) {
      ITSM_RETURN_IF_ERROR(txn->Execute("INSERT INTO things(id) VALUES ($1)", {id}).status());
    }
    ITSM_RETURN_IF_ERROR(txn->Commit());
    return claim;
  }

  int64_t Count(const char* table) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query(std::string("SELECT COUNT(*) FROM ") + table)->row(0)[0].AsInt();
  }

  std::unique_ptr<storage::Database> db_;
};

TEST_P(IdempotencyTest, SecondCallWithTheSameRequestGetsTheFirstRecord) {
  auto first = Create("k1", "f", "id-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->first);
  auto again = Create("k1", "f", "id-2");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->first);
  EXPECT_EQ(again->record_id, "id-1");
  EXPECT_EQ(Count("things"), 1);
}

TEST_P(IdempotencyTest, KeyReusedForAnotherRequestIsAlreadyExistsNamingTheField) {
  ASSERT_TRUE(Create("k1", "f", "id-1").ok());
  auto other = Create("k1", "g", "id-2");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(other.status().message(), "idempotency_key: already used for a different request");
  EXPECT_EQ(Count("things"), 1);
}

TEST_P(IdempotencyTest, EmptyKeyClaimsNothingAndKeysAreScopedByMethod) {
  ASSERT_TRUE(Create("", "f", "a").ok());
  ASSERT_TRUE(Create("", "f", "b").ok());
  EXPECT_EQ(Count("idempotency_keys"), 0);
  // A key of blanks is no key: refused, naming the field, nothing claimed or written.
  for (const char* blank : {"   ", "\t", "\u00a0\u200b"}) {
    auto refused = Create(blank, "f", "x");
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << blank;
    EXPECT_EQ(refused.status().message(),
              "idempotency_key: blank; leave it out or send a key of your own");
  }
  EXPECT_EQ(Count("idempotency_keys"), 0);
  EXPECT_EQ(Count("things"), 2);
  ASSERT_TRUE(Create("k", "f", "c").ok());
  auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  auto other_method =
      IdempotencyStore::Claim(**txn, "other/Method", "alice@corp", "k", "g", "d", kNow);
  ASSERT_TRUE(other_method.ok()) << other_method.status();
  EXPECT_TRUE(other_method->first);
}

// The same key and body from another caller is another call: it creates its own record, and
// never gets back the record of the caller who used the key first.
TEST_P(IdempotencyTest, KeysAreEachCallersOwn) {
  ASSERT_TRUE(Create("portal-991", "f", "alices", kNow, "alice@corp").ok());
  auto bobs = Create("portal-991", "f", "bobs", kNow, "bob@corp");
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  EXPECT_TRUE(bobs->first);
  EXPECT_EQ(bobs->record_id, "bobs");
  auto alice_again = Create("portal-991", "f", "other", kNow, "alice@corp");
  ASSERT_TRUE(alice_again.ok()) << alice_again.status();
  EXPECT_EQ(alice_again->record_id, "alices");
  EXPECT_EQ(Count("things"), 2);
}

// Many writers race with one key, each in its own transaction (real concurrency on PostgreSQL,
// serialised by SQLite's write lock): one record, and every caller is answered with it.
TEST_P(IdempotencyTest, ConcurrentCallsSharingAKeyAllGetTheOneRecord) {
  constexpr int kRounds = 20;
  constexpr int kCallers = 6;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = "race-" + std::to_string(round);
    std::vector<absl::StatusOr<IdempotencyClaim>> results(kCallers, absl::UnknownError(""));
    std::vector<std::thread> threads;
    for (int c = 0; c < kCallers; ++c) {
      threads.emplace_back(
          [&, c] { results[c] = Create(key, "same", key + "/" + std::to_string(c)); });
    }
    for (auto& t : threads) t.join();
    int firsts = 0;
    std::set<std::string> ids;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.status();
      firsts += r->first ? 1 : 0;
      ids.insert(r->record_id);
    }
    EXPECT_EQ(firsts, 1) << key;
    EXPECT_EQ(ids.size(), 1u) << key;
  }
  EXPECT_EQ(Count("things"), kRounds);
}

TEST_P(IdempotencyTest, PrunerForgetsKeysOlderThanTheRetention) {
  ASSERT_TRUE(Create("old", "f", "id-old", kNow - absl::Hours(200)).ok());
  ASSERT_TRUE(Create("new", "f", "id-new", kNow - absl::Hours(1)).ok());
  IdempotencyPruner pruner(*db_, absl::Hours(168));
  auto pruned = pruner.PruneOnce(kNow);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 1);
  auto reused = Create("old", "f", "id-again");
  ASSERT_TRUE(reused.ok());
  EXPECT_TRUE(reused->first) << "a pruned key creates again";
  auto kept = Create("new", "f", "id-x");
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->first);
}

INSTANTIATE_TEST_SUITE_P(Backends, IdempotencyTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::records
