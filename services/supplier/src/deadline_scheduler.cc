#include "services/supplier/src/deadline_scheduler.h"

#include <pthread.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/caller.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/unit_of_work.h"
#include "itsm/runtime/logging.h"
#include "itsm/supplier/v1/events.pb.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/deadline_repository.h"
#include "services/supplier/src/supplier_events.h"
#include "services/supplier/src/supplier_repository.h"

namespace itsm::supplier {
namespace {

using ContractWork = records::UnitOfWork<v1::Contract, ContractRepository>;

const base::Caller& DeadlineCaller() {
  static const base::Caller kCaller{.actor = "service:supplier", .request_id = "deadline"};
  return kCaller;
}

// One deadline among all (the repository's key: record, kind, lead, instant).
std::string KeyOf(const v1::Deadline& d) {
  return absl::StrCat(d.record_id(), "/", d.kind(), "/", d.lead_days(), "/",
                      d.deadline_time().seconds(), ".", d.deadline_time().nanos());
}

template <typename Event>
Event Announce(const v1::Contract& contract, const v1::Deadline& deadline) {
  Event e;
  *e.mutable_contract() = contract;
  *e.mutable_deadline() = deadline;
  return e;
}

}  // namespace

absl::Status DeadlineSchedule::ForContract(storage::Transaction& txn,
                                           const v1::Contract& contract) const {
  ITSM_ASSIGN_OR_RETURN(std::vector<DeadlineAt> all, ContractDeadlines(contract, policy_));
  return DeadlineRepository::Replace(txn, contract.id(), contract.supplier_id(),
                                     Schedulable(all, clock_.Now()));
}

absl::Status DeadlineSchedule::ForSupplier(storage::Transaction& txn,
                                           const v1::Supplier& supplier) const {
  ITSM_ASSIGN_OR_RETURN(std::vector<DeadlineAt> all, ReviewDeadlines(supplier));
  return DeadlineRepository::Replace(txn, supplier.id(), supplier.id(), all);
}

absl::Status DeadlineScheduler::Fire(storage::Transaction& txn,
                                     const v1::Deadline& deadline) const {
  ITSM_ASSIGN_OR_RETURN(bool mine, DeadlineRepository::MarkFired(txn, deadline));
  if (!mine) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  const records::EventStream& events = SupplierEvents();
  if (deadline.kind() == v1::DEADLINE_KIND_REVIEW_DUE) {
    ITSM_ASSIGN_OR_RETURN(v1::Supplier supplier,
                          SupplierRepository::Get(txn, deadline.record_id()));
    v1::SupplierReviewDue due;
    *due.mutable_supplier() = supplier;
    *due.mutable_deadline() = deadline;
    return events.Publish(txn, supplier.id(), due, now);
  }
  ContractWork work(txn, DeadlineCaller(), events);
  ITSM_ASSIGN_OR_RETURN(v1::Contract contract, work.Load(deadline.record_id()));
  switch (deadline.kind()) {
    case v1::DEADLINE_KIND_NOTICE_APPROACHING:
      return events.Publish(txn, contract.id(),
                            Announce<v1::ContractNoticeDeadlineApproaching>(contract, deadline),
                            now);
    case v1::DEADLINE_KIND_NOTICE_PASSED:
      return events.Publish(txn, contract.id(),
                            Announce<v1::ContractNoticeDeadlinePassed>(contract, deadline), now);
    case v1::DEADLINE_KIND_EXPIRING:
      return events.Publish(txn, contract.id(), Announce<v1::ContractExpiring>(contract, deadline),
                            now);
    case v1::DEADLINE_KIND_EXPIRED: {
      ContractChange change = rules_.Expired(contract);
      ITSM_RETURN_IF_ERROR(work.Save(change, contract.version()));
      v1::ContractExpired expired;
      *expired.mutable_contract() = change.after;
      for (const auto& f : records::FieldNames(change.changes)) expired.add_changed_fields(f);
      *expired.mutable_deadline() = deadline;
      expired.set_actor(DeadlineCaller().actor);
      ITSM_RETURN_IF_ERROR(events.Publish(txn, contract.id(), expired, now));
      return schedule_.ForContract(txn, change.after);
    }
    case v1::DEADLINE_KIND_RENEWED: {
      ITSM_ASSIGN_OR_RETURN(ContractChange change, rules_.Renewed(contract));
      ITSM_RETURN_IF_ERROR(work.Save(change, contract.version()));
      v1::ContractRenewed renewed;
      *renewed.mutable_contract() = change.after;
      for (const auto& f : records::FieldNames(change.changes)) renewed.add_changed_fields(f);
      *renewed.mutable_deadline() = deadline;
      renewed.set_previous_end_date(contract.end_date());
      renewed.set_actor(DeadlineCaller().actor);
      ITSM_RETURN_IF_ERROR(events.Publish(txn, contract.id(), renewed, now));
      // The next term's deadlines; a term already over (a chain of past renewals) is due at once
      // and fires in FireDue's next round.
      return schedule_.ForContract(txn, change.after);
    }
    default:
      return absl::InternalError("deadline of an unknown kind");
  }
}

absl::StatusOr<int> DeadlineScheduler::FireDue() {
  int fired = 0;
  // Deadlines that failed on their own this round, passed over until the next: one record that
  // cannot fire (its contract refused by a rule, a fault of its rows) must not hold up every
  // deadline due after it, as a batch that fails whole would.
  absl::flat_hash_set<std::string> failing;
  const auto fired_one = [&](const v1::Deadline& d) {
    ++fired;
    if (observer_) observer_(d);
  };
  while (true) {
    {
      // A long catch-up (many deadlines due at once) must not hold up Stop().
      absl::MutexLock lock(&mu_);
      if (stopping_) return fired;
    }
    std::vector<v1::Deadline> claimed;
    const absl::Status batch = committer_.Run([&](storage::Transaction& txn) -> absl::Status {
      claimed.clear();
      const int limit = options_.batch + static_cast<int>(failing.size());
      ITSM_ASSIGN_OR_RETURN(std::vector<v1::Deadline> due,
                            DeadlineRepository::ClaimDue(txn, clock_.Now(), limit));
      for (v1::Deadline& d : due) {
        if (claimed.size() == static_cast<size_t>(options_.batch)) break;
        if (!failing.contains(KeyOf(d))) claimed.push_back(std::move(d));
      }
      for (const v1::Deadline& d : claimed) ITSM_RETURN_IF_ERROR(Fire(txn, d));
      return absl::OkStatus();
    });
    if (claimed.empty()) return batch.ok() ? absl::StatusOr<int>(fired) : batch;
    if (batch.ok()) {
      for (const v1::Deadline& d : claimed) fired_one(d);
      continue;
    }
    // Each alone, so that only what cannot fire waits (and is named).
    for (const v1::Deadline& d : claimed) {
      const absl::Status alone =
          committer_.Run([&](storage::Transaction& txn) { return Fire(txn, d); });
      if (alone.ok()) {
        fired_one(d);
        continue;
      }
      failing.insert(KeyOf(d));
      runtime::log::Error("deadline cannot fire; tried again next round",
                          {{"record_id", d.record_id()},
                           {"kind", v1::DeadlineKind_Name(d.kind())},
                           {"error", alone.ToString()}});
    }
  }
}

void DeadlineScheduler::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "deadlines");
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      if (absl::StatusOr<int> fired = FireDue(); !fired.ok()) {
        // The rows stay unfired: the next round tries again.
        runtime::log::Warn("deadline round failed", {{"error", fired.status().ToString()}});
      }
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll_interval);
    }
  });
}

void DeadlineScheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace itsm::supplier
