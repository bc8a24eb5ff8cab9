#include "services/supplier/src/supplier_management.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/page_start.h"
#include "itsm/records/unit_of_work.h"
#include "services/supplier/src/contract_management.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/deadline_repository.h"
#include "services/supplier/src/service_costs.h"
#include "services/supplier/src/supplier_events.h"
#include "services/supplier/src/supplier_repository.h"

namespace itsm::supplier {
namespace {

constexpr char kCreateSupplier[] = "itsm.supplier.v1.SupplierService/CreateSupplier";
constexpr char kListDeadlines[] = "itsm.supplier.v1.SupplierService/ListDeadlines";
constexpr char kGetHistory[] = "itsm.supplier.v1.SupplierService/GetHistory";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

using SupplierWork = records::UnitOfWork<v1::Supplier, SupplierRepository>;

}  // namespace

absl::Status SupplierManagement::ResolveCreate(v1::CreateSupplierRequest& request) const {
  return references_.ResolveConfigurationItems(
      "supplier.configuration_item_ids",
      *request.mutable_supplier()->mutable_configuration_item_ids(), {});
}

absl::Status SupplierManagement::ResolveUpdate(storage::Database& db,
                                               v1::UpdateSupplierRequest& request) const {
  if (!records::MaskNames(request.update_mask(), "configuration_item_ids")) {
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(v1::Supplier stored,
                        SupplierRepository::Get(*txn, request.supplier().id()));
  txn.reset();
  return references_.ResolveConfigurationItems(
      "supplier.configuration_item_ids",
      *request.mutable_supplier()->mutable_configuration_item_ids(),
      stored.configuration_item_ids());
}

absl::Status SupplierManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::CreateSupplierRequest& request,
                                        v1::Supplier& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateCreate(request));
  SupplierWork work(txn, caller, SupplierEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(records::IdempotentCallOf(kCreateSupplier, request),
                       rules_.NewSupplier(request, caller.actor),
                       [&](const v1::Supplier& s) { return rules_.Created(s, caller.actor); }));
  return schedule_.ForSupplier(txn, out);
}

absl::Status SupplierManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                        const v1::UpdateSupplierRequest& request,
                                        v1::Supplier& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateUpdate(request));
  SupplierWork work(txn, caller, SupplierEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Modify(request.supplier().id(), [&](const v1::Supplier& s) {
    return rules_.Update(s, request, caller.actor);
  }));
  return schedule_.ForSupplier(txn, out);
}

absl::Status SupplierManagement::Transition(storage::Transaction& txn, const base::Caller& caller,
                                            const v1::TransitionSupplierRequest& request,
                                            v1::Supplier& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateTransition(request));
  SupplierWork work(txn, caller, SupplierEvents());
  ITSM_ASSIGN_OR_RETURN(out, work.Modify(request.id(), [&](const v1::Supplier& s) {
    return rules_.Transition(s, request, caller.actor);
  }));
  return schedule_.ForSupplier(txn, out);
}

absl::Status SupplierManagement::RecordReview(storage::Transaction& txn, const base::Caller& caller,
                                              const v1::RecordReviewRequest& request,
                                              v1::RecordReviewResponse& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateReview(request));
  SupplierWork work(txn, caller, SupplierEvents());
  ITSM_ASSIGN_OR_RETURN(v1::Supplier stored, work.Load(request.review().supplier_id()));
  v1::Review review = request.review();
  review.set_id(base::NewUuid());
  review.set_supplier_id(stored.id());
  review.set_recorded_by(caller.actor);
  ITSM_ASSIGN_OR_RETURN(SupplierChange change,
                        rules_.Reviewed(stored, request, review, caller.actor));
  *review.mutable_create_time() = change.after.update_time();
  ITSM_RETURN_IF_ERROR(work.Save(change, stored.version()));
  ITSM_RETURN_IF_ERROR(SupplierRepository::InsertReview(txn, review));
  ITSM_RETURN_IF_ERROR(schedule_.ForSupplier(txn, change.after));
  *out.mutable_review() = std::move(review);
  *out.mutable_supplier() = std::move(change.after);
  return absl::OkStatus();
}

absl::Status SupplierManagement::Get(storage::Transaction& txn,
                                     const v1::GetSupplierRequest& request,
                                     v1::Supplier& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(out, SupplierRepository::Get(txn, request.id()));
  return absl::OkStatus();
}

absl::Status SupplierManagement::List(storage::Transaction& txn,
                                      const v1::ListSuppliersRequest& request,
                                      v1::ListSuppliersResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(SupplierPage page, SupplierRepository::List(txn, request));
  for (auto& s : page.suppliers) *out.add_suppliers() = std::move(s);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status SupplierManagement::ListReviews(storage::Transaction& txn,
                                             const v1::ListReviewsRequest& request,
                                             v1::ListReviewsResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.supplier_id(), "supplier_id"));
  ITSM_ASSIGN_OR_RETURN(v1::Supplier supplier, SupplierRepository::Get(txn, request.supplier_id()));
  ITSM_ASSIGN_OR_RETURN(auto reviews, SupplierRepository::Reviews(txn, supplier.id()));
  for (auto& r : reviews) *out.add_reviews() = std::move(r);
  return absl::OkStatus();
}

absl::Status SupplierManagement::ListDeadlines(storage::Transaction& txn,
                                               const v1::ListDeadlinesRequest& request,
                                               v1::ListDeadlinesResponse& out) const {
  ITSM_RETURN_IF_ERROR(base::CheckTimestamp("due_before", request.due_before()));
  ITSM_ASSIGN_OR_RETURN(const std::string supplier_id,
                        SupplierRepository::FilterId(txn, request.supplier_id(), "supplier_id"));
  ITSM_ASSIGN_OR_RETURN(
      records::PageStart start,
      records::StartPage(
          kListDeadlines, request, request.page(),
          {.default_size = kDefaultPageSize, .max_size = kMaxPageSize, .position_parts = 4}));
  const int page_size = start.size;
  ITSM_ASSIGN_OR_RETURN(
      auto rows, DeadlineRepository::Pending(txn,
                                             request.has_due_before()
                                                 ? base::FromProtoTimestamp(request.due_before())
                                                 : absl::InfiniteFuture(),
                                             supplier_id, start.after, page_size + 1));
  const size_t shown = std::min(rows.size(), static_cast<size_t>(page_size));
  for (size_t i = 0; i < shown; ++i) *out.add_deadlines() = rows[i];
  if (rows.size() > shown) {
    const v1::Deadline& last = rows[shown - 1];
    out.set_next_page_token(records::EncodePageCursor(
        start.scope, {absl::StrCat(absl::ToUnixMicros(base::FromProtoTimestamp(last.due_time()))),
                      last.record_id(), absl::StrCat(static_cast<int>(last.kind())),
                      absl::StrCat(last.lead_days())}));
  }
  return absl::OkStatus();
}

absl::Status SupplierManagement::History(storage::Transaction& txn, const base::Caller& caller,
                                         const v1::GetHistoryRequest& request,
                                         v1::GetHistoryResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckId(request.id()));
  std::string record_id;
  bool record_is_contract = false;
  if (absl::StartsWith(request.id(), "budget:")) {
    ITSM_RETURN_IF_ERROR(CheckCallerMayReadCosts(caller));
    record_id = request.id();  // a service's budget for a month (ServiceCosts::BudgetHistoryId)
  } else if (auto s = SupplierRepository::Get(txn, request.id()); s.ok()) {
    record_id = s->id();
  } else if (!absl::IsNotFound(s.status())) {
    return s.status();
  } else {
    auto c = ContractRepository::Get(txn, request.id());
    if (absl::IsNotFound(c.status())) {
      return absl::NotFoundError(
          absl::StrCat("id: no supplier or contract \"", request.id(), "\""));
    }
    ITSM_RETURN_IF_ERROR(c.status());
    record_id = c->id();
    record_is_contract = true;
  }
  ITSM_RETURN_IF_ERROR(records::AuditTrail::ReadInto(txn, kGetHistory, request, record_id, out));
  if (record_is_contract && !MayReadContractValue(caller)) {
    for (common::v1::AuditEntry& entry : *out.mutable_entries()) WithoutContractValue(entry);
  }
  // A budget is its trail: none is no budget, told as an unknown supplier is, not as an empty
  // history (a misspelt month or service would read as "never set").
  if (record_id == request.id() && out.entries().empty() && request.page().page_token().empty() &&
      absl::StartsWith(record_id, "budget:")) {
    return absl::NotFoundError(
        absl::StrCat("id: no budget \"", request.id(), "\" (budget:<YYYY-MM>:<service>, as set)"));
  }
  return absl::OkStatus();
}

}  // namespace itsm::supplier
