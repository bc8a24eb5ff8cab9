#include "services/supplier/src/supplier_metrics.h"

#include "absl/strings/ascii.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/logging.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/deadline_repository.h"
#include "services/supplier/src/state_machine.h"

namespace itsm::supplier {
namespace {

constexpr absl::Duration kRefreshInterval = absl::Seconds(30);

}  // namespace

SupplierMetrics::SupplierMetrics(storage::Database& db, const base::Clock& clock,
                                 prometheus::Registry& registry)
    : db_(db),
      clock_(clock),
      due_30d_(prometheus::BuildGauge()
                   .Name("itsm_supplier_deadlines_due_30d")
                   .Help("Contract and review deadlines not fired yet and due within 30 days.")
                   .Register(registry)
                   .Add({})) {
  auto& contracts = prometheus::BuildGauge()
                        .Name("itsm_supplier_contracts")
                        .Help("Contracts per state.")
                        .Register(registry);
  for (int s = v1::ContractState_MIN + 1; s <= v1::ContractState_MAX; ++s) {
    contracts_[s] = &contracts.Add({{"state", absl::AsciiStrToLower(ContractStateName(s))}});
  }
  auto& fired = prometheus::BuildCounter()
                    .Name("itsm_supplier_deadlines_fired_total")
                    .Help("Deadlines fired (their events written to the outbox) by this process.")
                    .Register(registry);
  for (int k = v1::DeadlineKind_MIN + 1; k <= v1::DeadlineKind_MAX; ++k) {
    std::string name = v1::DeadlineKind_Name(k).substr(sizeof("DEADLINE_KIND_") - 1);
    fired_[k] = &fired.Add({{"kind", absl::AsciiStrToLower(name)}});
  }
}

absl::Status SupplierMetrics::Refresh() {
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(auto counts, ContractRepository::CountByState(*txn));
  for (auto& [state, gauge] : contracts_) gauge->Set(0);
  for (const auto& [state, count] : counts) {
    if (auto it = contracts_.find(state); it != contracts_.end()) {
      it->second->Set(static_cast<double>(count));
    }
  }
  ITSM_ASSIGN_OR_RETURN(int64_t due,
                        DeadlineRepository::CountDueBefore(*txn, clock_.Now() + absl::Hours(720)));
  due_30d_.Set(static_cast<double>(due));
  return absl::OkStatus();
}

void SupplierMetrics::Fired(const v1::Deadline& deadline) {
  if (auto it = fired_.find(deadline.kind()); it != fired_.end()) it->second->Increment();
}

void SupplierMetrics::Start() {
  thread_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      if (absl::Status s = Refresh(); !s.ok()) {
        runtime::log::Warn("supplier metrics not refreshed", {{"error", s.ToString()}});
      }
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), kRefreshInterval);
    }
  });
}

void SupplierMetrics::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace itsm::supplier
