// Group commit: many small writes share one transaction, and so one fsync.
//
// A create call that commits alone pays a full fsync; at thousands of calls a second that is the
// bottleneck. Writers submit a unit of work; a writer thread collects whatever is queued (up to
// max_batch), runs the units one after the other in one transaction, commits once, and only then
// reports each unit's result. Nobody is told "done" before the commit that holds their write
// succeeded.
//
// A unit that fails leaves nothing behind; the others still commit. Most failures (a record not
// found, a rule that refuses, a stale version) happen before the unit writes anything, so the
// batch first runs without a savepoint per unit (two statements, and on PostgreSQL a
// subtransaction, per unit saved: decision 175). When a unit fails after writing
// (Transaction::Footprint moved), the transaction is rolled back and the whole batch runs again,
// each unit in a savepoint of its own. So a unit may run twice, and only its last run counts:
// whatever it does outside the transaction must be undone or overwritten by running it again
// (assign the answer, do not append to it; count in `done`, not in the unit).
//
//   GroupCommitter committer(db, {});
//   committer.Submit([&](Transaction& txn) { return repo.Insert(txn, incident); },
//                    [reactor](absl::Status s) { reactor->Finish(ToGrpc(s)); });
#ifndef ITSM_STORAGE_GROUP_COMMIT_H_
#define ITSM_STORAGE_GROUP_COMMIT_H_

#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/storage/database.h"

namespace itsm::storage {

class GroupCommitter {
 public:
  using Work = std::function<absl::Status(Transaction&)>;
  using Done = std::function<void(absl::Status)>;

  struct Options {
    // Units per transaction at most.
    int max_batch = 512;
    // Writer threads. SQLite has one writer at a time, so more only help PostgreSQL.
    int writers = 1;
  };

  GroupCommitter(Database& db, Options options);
  // Stops after finishing every unit already submitted.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `work`; `done` runs on the completion thread once its transaction committed (OK) or
  // failed. After Stop(), `done` is called at once with UNAVAILABLE. `done` must not block, and
  // must not call Run(): it would wait for the thread it runs on.
  void Submit(Work work, Done done);
  // Submits and waits.
  absl::Status Run(Work work);
  // Called on the writer thread after every successful commit (e.g. to wake the outbox relay).
  void SetAfterCommit(std::function<void()> after_commit);
  // Called on the writer thread after every batch with its size, the time from the first BEGIN
  // to the end of COMMIT, and whether it ran a second time with a savepoint per unit (for
  // metrics; see servicedb::ObserveGroupCommits).
  using BatchObserver =
      std::function<void(size_t units, absl::Duration elapsed, bool ran_again_isolated)>;
  void SetBatchObserver(BatchObserver observer);
  // Finishes queued units and joins the writers. Idempotent.
  void Stop();

  // Whether batches commit in the order their units ran: with one writer, a batch begins only
  // once the one before it committed.
  bool CommitsInOrder() const { return options_.writers <= 1; }
  // Waits until every batch under way when called (taken by a writer, not yet committed or
  // rolled back) has ended: whatever its units wrote is then visible to a snapshot taken after
  // this returns, or was never written. With several writers, batches commit out of the order
  // their units ran; a reader that follows an order of write stamps (a sync by update time)
  // waits, so that no write stamped before the call becomes visible behind its cursor.
  // UNAVAILABLE after `timeout`.
  absl::Status WaitForBatchesUnderWay(absl::Duration timeout);

 private:
  struct Unit {
    Work work;
    Done done;
  };
  void WriterLoop();
  void RunBatch(std::vector<Unit>& batch);
  // One transaction over the batch, each unit's result in `results`; the batch's own result
  // (a failed BEGIN or COMMIT fails every unit). Without `savepoint_per_unit`, nullopt when a
  // unit failed after writing: the transaction was rolled back, and the batch must run again
  // with savepoints.
  std::optional<absl::Status> RunInOneTransaction(std::vector<Unit>& batch,
                                                  std::vector<absl::Status>& results,
                                                  bool savepoint_per_unit);
  void CompletionLoop();

  Database& db_;
  const Options options_;
  std::function<void()> after_commit_;
  BatchObserver observer_;
  absl::Mutex mu_;
  std::deque<Unit> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Batches numbered as writers take them, and the numbers of those not yet ended.
  uint64_t batches_taken_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<uint64_t> under_way_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> writers_;

  // Results are handed to a thread of their own: answering a caller (a gRPC Finish) costs about
  // as much as writing its row, and the writer can start the next batch meanwhile.
  absl::Mutex completion_mu_;
  std::deque<std::pair<Done, absl::Status>> completions_ ABSL_GUARDED_BY(completion_mu_);
  bool completions_closed_ ABSL_GUARDED_BY(completion_mu_) = false;
  std::thread completer_;
};

}  // namespace itsm::storage

#endif  // ITSM_STORAGE_GROUP_COMMIT_H_
