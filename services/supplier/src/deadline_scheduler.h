// Deadlines that fire by themselves, exactly once (docs/supplier.md, "Deadlines"; decision 60).
//
// DeadlineSchedule keeps the durable schedule in step with the records: every write of a
// contract or supplier recomputes its deadlines (ContractDeadlines, Schedulable) in the write's
// own transaction. DeadlineScheduler fires what is due: in one unit of the group committer it
// claims due rows, marks each fired and writes its event (and the contract's change, for expiry
// and tacit renewal) to the outbox — all or nothing, so a crash before the commit fires it again
// later and a crash after it never fires it twice; replicas sharing PostgreSQL claim disjoint
// rows (FOR UPDATE SKIP LOCKED). Time comes from a Clock, so tests move it instead of sleeping.
//
//   DeadlineSchedule schedule(policy, clock);
//   DeadlineScheduler scheduler(committer, rules, schedule, clock, {});
//   scheduler.Start();            // or, in tests: clock.Advance(...); scheduler.FireDue();
#ifndef ITSM_SERVICES_SUPPLIER_DEADLINE_SCHEDULER_H_
#define ITSM_SERVICES_SUPPLIER_DEADLINE_SCHEDULER_H_

#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/base/clock.h"
#include "itsm/storage/group_commit.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "services/supplier/src/contract_deadlines.h"
#include "services/supplier/src/contract_rules.h"

namespace itsm::supplier {

class DeadlineSchedule {
 public:
  DeadlineSchedule(DeadlinePolicy policy, const base::Clock& clock)
      : policy_(std::move(policy)), clock_(clock) {}
  // The record's deadlines from now on, replacing those not fired yet (inside `txn`).
  absl::Status ForContract(storage::Transaction& txn, const v1::Contract& contract) const;
  absl::Status ForSupplier(storage::Transaction& txn, const v1::Supplier& supplier) const;

 private:
  const DeadlinePolicy policy_;
  const base::Clock& clock_;
};

class DeadlineScheduler {
 public:
  struct Options {
    absl::Duration poll_interval = absl::Seconds(30);
    // Deadlines fired per transaction.
    int batch = 100;
  };
  DeadlineScheduler(storage::GroupCommitter& committer, const ContractRules& rules,
                    const DeadlineSchedule& schedule, const base::Clock& clock, Options options)
      : committer_(committer),
        rules_(rules),
        schedule_(schedule),
        clock_(clock),
        options_(options) {}
  ~DeadlineScheduler() { Stop(); }

  // Fires every deadline due now (a tacit renewal chain of past terms included), in
  // transactions of up to `batch`. Returns how many fired. A batch that fails is fired one
  // deadline at a time; one that fails alone is logged and passed over until the next call, so
  // it holds up no other. An error only when the due deadlines cannot even be read.
  absl::StatusOr<int> FireDue();
  // Called with each deadline after its transaction committed (metrics).
  void SetObserver(std::function<void(const v1::Deadline&)> observer) {
    observer_ = std::move(observer);
  }
  void Start();
  void Stop();

 private:
  absl::Status Fire(storage::Transaction& txn, const v1::Deadline& deadline) const;

  storage::GroupCommitter& committer_;
  const ContractRules& rules_;
  const DeadlineSchedule& schedule_;
  const base::Clock& clock_;
  const Options options_;
  std::function<void(const v1::Deadline&)> observer_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_DEADLINE_SCHEDULER_H_
