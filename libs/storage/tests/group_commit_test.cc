#include "itsm/storage/group_commit.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
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

// Runs `units` as one batch: a first unit holds the writer until all of them are queued. Returns
// each unit's result, and through `observed` what the batch observer saw of their batch.
struct ObservedBatch {
  size_t units = 0;
  bool ran_again_isolated = false;
};
std::vector<absl::Status> RunAsOneBatch(GroupCommitter& committer,
                                        std::vector<GroupCommitter::Work> units,
                                        ObservedBatch& observed) {
  absl::Mutex mu;
  int batches = 0;
  committer.SetBatchObserver([&](size_t n, absl::Duration, bool ran_again_isolated) {
    absl::MutexLock lock(&mu);
    observed = {n, ran_again_isolated};
    ++batches;
  });
  absl::Notification holding, all_queued;
  committer.Submit(
      [&](Transaction&) {
        holding.Notify();
        all_queued.WaitForNotification();
        return absl::OkStatus();
      },
      [](absl::Status) {});
  holding.WaitForNotification();
  std::vector<absl::Status> results(units.size());
  int done = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    committer.Submit(units[i], [&, i](absl::Status s) {
      absl::MutexLock lock(&mu);
      results[i] = s;
      ++done;
    });
  }
  all_queued.Notify();
  {
    // The answers go out on the completion thread, possibly before the writer reports the
    // batch: wait for both (the holding unit's batch, then theirs).
    absl::MutexLock lock(&mu);
    auto all_done = [&]() { return done == static_cast<int>(units.size()) && batches == 2; };
    mu.Await(absl::Condition(&all_done));
  }
  committer.SetBatchObserver(nullptr);
  return results;
}

GroupCommitter::Work Insert(int64_t id, std::atomic<int>* runs) {
  return [id, runs](Transaction& txn) {
    ++*runs;
    return txn.Execute("INSERT INTO t(id) VALUES ($1)", {id}).status();
  };
}

TEST_P(GroupCommitTest, AUnitThatFailsAfterWritingIsUndoneAloneByRunningTheBatchAgain) {
  GroupCommitter committer(*db_, {});
  std::atomic<int> first_runs{0}, failing_runs{0}, last_runs{0};
  ObservedBatch observed;
  const std::vector<absl::Status> results =
      RunAsOneBatch(committer,
                    {Insert(1, &first_runs),
                     [&failing_runs](Transaction& txn) -> absl::Status {
                       ++failing_runs;
                       if (auto s = txn.Execute("INSERT INTO t(id) VALUES (2)"); !s.ok())
                         return s.status();
                       return absl::FailedPreconditionError("refused after writing");
                     },
                     Insert(3, &last_runs)},
                    observed);
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kFailedPrecondition) << results[1];
  EXPECT_TRUE(results[2].ok()) << results[2];
  EXPECT_EQ(observed.units, 3u);
  EXPECT_TRUE(observed.ran_again_isolated);
  // The units before the failing one ran twice, only the second run's writes committed.
  EXPECT_EQ(first_runs.load(), 2);
  EXPECT_EQ(failing_runs.load(), 2);
  EXPECT_EQ(last_runs.load(), 1);
  EXPECT_EQ(Count(), 2);
}

TEST_P(GroupCommitTest, AUnitThatFailsBeforeWritingCostsTheBatchNoSecondRun) {
  GroupCommitter committer(*db_, {});
  std::atomic<int> first_runs{0}, last_runs{0};
  ObservedBatch observed;
  const std::vector<absl::Status> results =
      RunAsOneBatch(committer,
                    {Insert(1, &first_runs),
                     [](Transaction& txn) -> absl::Status {
                       // Reads and an update that matches nothing leave nothing to undo.
                       if (auto rows = txn.Query("SELECT id FROM t WHERE id = 99"); !rows.ok()) {
                         return rows.status();
                       }
                       if (auto s = txn.Execute("UPDATE t SET id = 100 WHERE id = 99"); !s.ok()) {
                         return s.status();
                       }
                       return absl::NotFoundError("no such record");
                     },
                     Insert(3, &last_runs)},
                    observed);
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kNotFound) << results[1];
  EXPECT_TRUE(results[2].ok()) << results[2];
  EXPECT_FALSE(observed.ran_again_isolated);
  EXPECT_EQ(first_runs.load(), 1);
  EXPECT_EQ(last_runs.load(), 1);
  EXPECT_EQ(Count(), 2);
}

// A statement that fails, even one that never ran (SQL that does not parse), aborts a PostgreSQL
// transaction: the unit is undone alone though it changed no row, last in its batch or not.
TEST_P(GroupCommitTest, AUnitWhoseStatementFailsIsUndoneAloneEvenWhenItIsLast) {
  GroupCommitter committer(*db_, {});
  std::atomic<int> first_runs{0};
  ObservedBatch observed;
  const std::vector<absl::Status> results =
      RunAsOneBatch(committer,
                    {Insert(1, &first_runs),
                     [](Transaction& txn) { return txn.Query("SELEC id FROM t").status(); }},
                    observed);
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_FALSE(results[1].ok());
  EXPECT_TRUE(observed.ran_again_isolated);
  EXPECT_EQ(Count(), 1);
}

TEST_P(GroupCommitTest, SubmitAfterStopIsUnavailable) {
  GroupCommitter committer(*db_, {});
  committer.Stop();
  absl::Status s = committer.Run([](Transaction&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

// A reader that follows write stamps waits for the batches under way when it asks, and for no
// batch taken after: the first, held inside its unit, keeps it waiting until it commits.
TEST_P(GroupCommitTest, WaitForBatchesUnderWayWaitsForTheBatchesTakenBeforeTheCall) {
  GroupCommitter committer(*db_, {.writers = 2});
  EXPECT_FALSE(committer.CommitsInOrder());
  EXPECT_TRUE(committer.WaitForBatchesUnderWay(absl::Seconds(1)).ok());  // none under way
  absl::Notification entered, release;
  absl::Notification committed;
  committer.Submit(
      [&](Transaction& txn) {
        entered.Notify();
        release.WaitForNotification();
        return txn.Execute("INSERT INTO t(id) VALUES (1)").status();
      },
      [&](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        committed.Notify();
      });
  entered.WaitForNotification();
  const absl::Status timed_out = committer.WaitForBatchesUnderWay(absl::Milliseconds(200));
  EXPECT_EQ(timed_out.code(), absl::StatusCode::kUnavailable) << timed_out;
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(100));
    release.Notify();
  });
  EXPECT_TRUE(committer.WaitForBatchesUnderWay(absl::Seconds(30)).ok());
  EXPECT_EQ(Count(), 1);  // visible once the wait returned
  releaser.join();
  committed.WaitForNotification();

  // A batch taken after the call is not waited for: A is under way when the wait begins, B is
  // taken by the other writer meanwhile and still held when A ends; the wait ends with A. (Two
  // batches at once need PostgreSQL: SQLite's second writer waits for the first's lock.)
  if (GetParam() == Backend::kSqlite) return;
  absl::Notification a_entered, a_release, b_entered, b_release;
  auto held = [](int id, absl::Notification& in, absl::Notification& out) {
    return [id, &in, &out](Transaction& txn) {
      in.Notify();
      out.WaitForNotification();
      return txn.Execute("INSERT INTO t(id) VALUES ($1)", {int64_t{id}}).status();
    };
  };
  committer.Submit(held(2, a_entered, a_release), [](absl::Status) {});
  a_entered.WaitForNotification();
  absl::Notification waited;
  std::thread waiter([&] {
    EXPECT_TRUE(committer.WaitForBatchesUnderWay(absl::Seconds(30)).ok());
    waited.Notify();
  });
  absl::SleepFor(absl::Milliseconds(200));  // time for the waiter to begin its wait
  committer.Submit(held(3, b_entered, b_release), [](absl::Status) {});
  b_entered.WaitForNotification();
  a_release.Notify();
  EXPECT_TRUE(waited.WaitForNotificationWithTimeout(absl::Seconds(10)));
  b_release.Notify();
  waiter.join();
  committer.Stop();
  EXPECT_TRUE(committer.WaitForBatchesUnderWay(absl::Milliseconds(100)).ok());
  EXPECT_TRUE(GroupCommitter(*db_, {}).CommitsInOrder());
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupCommitTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::storage
