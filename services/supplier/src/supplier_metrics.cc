#include "services/supplier/src/supplier_metrics.h"

#include <pthread.h>

#include "absl/strings/ascii.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/logging.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/deadline_repository.h"
#include "services/supplier/src/scorecard_repository.h"
#include "services/supplier/src/state_machine.h"

namespace itsm::supplier {
namespace {

constexpr absl::Duration kRefreshInterval = absl::Seconds(30);
constexpr absl::Duration kComplianceWindow = absl::Hours(24 * 30);

}  // namespace

SupplierMetrics::SupplierMetrics(storage::Database& db, const base::Clock& clock,
                                 prometheus::Registry& registry)
    : db_(db),
      clock_(clock),
      due_30d_(prometheus::BuildGauge()
                   .Name("itsm_supplier_deadlines_due_30d")
                   .Help("Contract and review deadlines not fired yet and due within 30 days.")
                   .Register(registry)
                   .Add({})),
      compliance_family_(prometheus::BuildGauge()
                             .Name("itsm_supplier_uc_compliance_ratio")
                             .Help("Share of a supplier's underpinning-contract clocks met, of "
                                   "those completed in the last 30 days (0..1).")
                             .Register(registry)) {
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
  const absl::Time now = clock_.Now();
  ITSM_ASSIGN_OR_RETURN(auto compliance, ScorecardRepository::ComplianceBySupplier(
                                             *txn, absl::ToUnixMicros(now - kComplianceWindow),
                                             absl::ToUnixMicros(now)));
  std::map<std::string, prometheus::Gauge*> kept;
  for (const auto& c : compliance) {
    if (c.met + c.breached == 0) continue;
    auto it = compliance_.find(c.supplier_number);
    prometheus::Gauge* gauge = it != compliance_.end()
                                   ? it->second
                                   : &compliance_family_.Add({{"supplier", c.supplier_number}});
    gauge->Set(static_cast<double>(c.met) / static_cast<double>(c.met + c.breached));
    kept[c.supplier_number] = gauge;
  }
  for (auto& [number, gauge] : compliance_) {
    if (!kept.contains(number)) compliance_family_.Remove(gauge);
  }
  compliance_ = std::move(kept);
  return absl::OkStatus();
}

void SupplierMetrics::Fired(const v1::Deadline& deadline) {
  if (auto it = fired_.find(deadline.kind()); it != fired_.end()) it->second->Increment();
}

void SupplierMetrics::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "supplier-gauges");
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
