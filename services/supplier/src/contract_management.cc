#include "services/supplier/src/contract_management.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/unit_of_work.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/service_costs.h"
#include "services/supplier/src/supplier_events.h"
#include "services/supplier/src/supplier_repository.h"
#include "services/supplier/src/supplier_rules.h"

namespace itsm::supplier {
namespace {

using records::MaskNames;

constexpr char kCreateContract[] = "itsm.supplier.v1.SupplierService/CreateContract";

using ContractWork = records::UnitOfWork<v1::Contract, ContractRepository>;

// The supplier a contract names, by id or number: INVALID_ARGUMENT on the field when unknown (it
// is the request that is wrong, not a record that is missing).
absl::StatusOr<v1::Supplier> SupplierNamed(storage::Transaction& txn, const std::string& id) {
  auto supplier = SupplierRepository::Get(txn, id);
  if (absl::IsNotFound(supplier.status())) {
    return base::FieldError("contract.supplier_id", absl::StrCat("no supplier \"", id, "\""));
  }
  return supplier;
}

// FAILED_PRECONDITION naming `field` when the contract's supplier is TERMINATED.
absl::Status CheckSupplierNotTerminated(storage::Transaction& txn, const v1::Contract& contract,
                                        const std::string& field) {
  ITSM_ASSIGN_OR_RETURN(v1::Supplier supplier, SupplierNamed(txn, contract.supplier_id()));
  if (supplier.status() != v1::SUPPLIER_STATUS_TERMINATED) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": the supplier ", supplier.number(),
                   " is TERMINATED; its contracts can only be given notice or terminated"));
}

}  // namespace

absl::Status ContractManagement::ResolveReferences(v1::Contract& contract,
                                                   const std::string& supplier_id,
                                                   const Ids& kept_cis) const {
  ITSM_RETURN_IF_ERROR(references_.ResolveConfigurationItems(
      "contract.configuration_item_ids", *contract.mutable_configuration_item_ids(), kept_cis));
  return references_.CheckUcDefinitions("contract.uc_definition_ids", contract.uc_definition_ids(),
                                        supplier_id);
}

absl::Status ContractManagement::ResolveCreate(storage::Database& db,
                                               v1::CreateContractRequest& request) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateCreate(request));
  if (request.contract().configuration_item_ids().empty() &&
      request.contract().uc_definition_ids().empty()) {
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(v1::Supplier supplier,
                        SupplierNamed(*txn, request.contract().supplier_id()));
  txn.reset();
  return ResolveReferences(*request.mutable_contract(), supplier.id(), {});
}

absl::Status ContractManagement::ResolveUpdate(storage::Database& db,
                                               v1::UpdateContractRequest& request) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateUpdate(request));
  const auto& mask = request.update_mask();
  if (!MaskNames(mask, "configuration_item_ids") && !MaskNames(mask, "uc_definition_ids")) {
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(v1::Contract stored,
                        ContractRepository::Get(*txn, request.contract().id()));
  txn.reset();
  v1::Contract checked;
  if (MaskNames(mask, "configuration_item_ids")) {
    *checked.mutable_configuration_item_ids() = request.contract().configuration_item_ids();
  }
  if (MaskNames(mask, "uc_definition_ids")) {
    *checked.mutable_uc_definition_ids() = request.contract().uc_definition_ids();
  }
  ITSM_RETURN_IF_ERROR(
      ResolveReferences(checked, stored.supplier_id(), stored.configuration_item_ids()));
  if (MaskNames(mask, "configuration_item_ids")) {
    *request.mutable_contract()->mutable_configuration_item_ids() =
        checked.configuration_item_ids();
  }
  return absl::OkStatus();
}

absl::Status ContractManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::CreateContractRequest& request,
                                        v1::Contract& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateCreate(request));
  ContractWork work(txn, caller, SupplierEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(
               records::IdempotentCallOf(kCreateContract, request),
               rules_.NewContract(request, caller.actor),
               [&](v1::Contract& c) -> absl::Status {
                 ITSM_ASSIGN_OR_RETURN(v1::Supplier supplier, SupplierNamed(txn, c.supplier_id()));
                 if (supplier.status() == v1::SUPPLIER_STATUS_TERMINATED) {
                   return absl::FailedPreconditionError(
                       "contract.supplier_id: the supplier is TERMINATED");
                 }
                 c.set_supplier_id(supplier.id());
                 return absl::OkStatus();
               },
               [&](const v1::Contract& c) { return rules_.Created(c, caller.actor); }));
  return schedule_.ForContract(txn, out);
}

absl::Status ContractManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::UpdateContractRequest& request,
                                        v1::Contract& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateUpdate(request));
  ContractWork work(txn, caller, SupplierEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(request.contract().id(),
                       [&](const v1::Contract& c) -> absl::StatusOr<ContractChange> {
                         ITSM_RETURN_IF_ERROR(CheckSupplierNotTerminated(txn, c, "contract"));
                         return rules_.Update(c, request, caller.actor);
                       }));
  return schedule_.ForContract(txn, out);
}

absl::Status ContractManagement::Transition(storage::Transaction& txn, const base::Caller& caller,
                                            const v1::TransitionContractRequest& request,
                                            v1::Contract& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateTransition(request));
  ContractWork work(txn, caller, SupplierEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(request.id(), [&](const v1::Contract& c) -> absl::StatusOr<ContractChange> {
        // Ending a terminated supplier's contracts is what is left to do with them.
        if (request.target_state() != v1::CONTRACT_STATE_TERMINATED &&
            request.target_state() != v1::CONTRACT_STATE_NOTICE_GIVEN) {
          ITSM_RETURN_IF_ERROR(CheckSupplierNotTerminated(txn, c, "target_state"));
        }
        return rules_.Transition(c, request, caller.actor);
      }));
  return schedule_.ForContract(txn, out);
}

bool MayReadContractValue(const base::Caller& caller) {
  return CheckCallerMayReadCosts(caller).ok();
}

void WithoutContractValue(common::v1::AuditEntry& entry) {
  auto& changes = *entry.mutable_changes();
  changes.erase(std::remove_if(changes.begin(), changes.end(),
                               [](const common::v1::FieldChange& change) {
                                 return change.field() == "value" ||
                                        absl::StartsWith(change.field(), "value.");
                               }),
                changes.end());
}

absl::Status ContractManagement::Get(storage::Transaction& txn, const base::Caller& caller,
                                     const v1::GetContractRequest& request,
                                     v1::Contract& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(out, ContractRepository::Get(txn, request.id()));
  if (!MayReadContractValue(caller)) out.clear_value();
  return absl::OkStatus();
}

absl::Status ContractManagement::List(storage::Transaction& txn, const base::Caller& caller,
                                      const v1::ListContractsRequest& request,
                                      v1::ListContractsResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(const std::string supplier_id,
                        SupplierRepository::FilterId(txn, request.supplier_id(), "supplier_id"));
  ITSM_ASSIGN_OR_RETURN(ContractPage page, ContractRepository::List(txn, request, supplier_id));
  const bool may_read_value = MayReadContractValue(caller);
  for (auto& c : page.contracts) {
    if (!may_read_value) c.clear_value();
    *out.add_contracts() = std::move(c);
  }
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

}  // namespace itsm::supplier
