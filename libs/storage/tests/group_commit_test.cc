#include "itsm/storage/group_commit.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"

namespace itsm::storage {
namespace {

using ::itsm::testing::Backend;

class GroupCommitTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(
        ApplyMigrations(*db_, "gc", {{1, "t", "CREATE TABLE t (id BIGINT PRIMARY KEY)", ""}}).ok());
  }
  int64_t Count() {
    auto txn = db_->Begin(TransactionMode::kReadOnly);
    return (*txn)->Query("SELECT COUNT(*) FROM t")->row(0)[0].AsInt();
  }
  std::unique_ptr<Database> db_;
};

TEST_P(GroupCommitTest, ConcurrentUnitsAllCommitAndReportAfterCommit) {
  GroupCommitter committer(*db_, {});
  std::atomic<int> commits{0};
  committer.SetAfterCommit([&] { commits++; });
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t id = t * kPerThread + i;
        absl::Status s = committer.Run([id](Transaction& txn) {
          return txn.Execute("INSERT INTO t(id) VALUES ($1)", {id}).status();
        });
        if (s.ok()) ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  committer.Stop();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(Count(), kThreads * kPerThread);
  EXPECT_GE(commits.load(), 1);
  EXPECT_LE(commits.load(), kThreads * kPerThread);
}

TEST_P(GroupCommitTest, AFailingUnitIsRolledBackAloneAndTheOthersCommit) {
  GroupCommitter committer(*db_, {});
  std::vector<absl::Status> results(3);
  absl::Mutex mu;
  int done = 0;
  // Submitted back to back, so that they very likely share one batch; the assertions hold
  // either way.
  for (int i = 0; i < 3; ++i) {
    committer.Submit(
        [i](Transaction& txn) -> absl::Status {
          auto s = txn.Execute("INSERT INTO t(id) VALUES ($1)", {i == 1 ? 0 : i});
          return s.status();
        },
        [&, i](absl::Status s) {
          absl::MutexLock lock(&mu);
          results[i] = s;
          done++;
        });
  }
  committer.Stop();
  EXPECT_EQ(done, 3);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(Count(), 2);
}

TEST_P(GroupCommitTest, SubmitAfterStopIsUnavailable) {
  GroupCommitter committer(*db_, {});
  committer.Stop();
  absl::Status s = committer.Run([](Transaction&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupCommitTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::storage
