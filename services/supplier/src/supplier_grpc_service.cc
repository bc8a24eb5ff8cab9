#include "services/supplier/src/supplier_grpc_service.h"

#include "itsm/base/status_macros.h"
#include "itsm/servicedb/calls.h"
#include "services/supplier/src/supplier_repository.h"

namespace itsm::supplier {
using servicedb::BoundedReadCall;
using servicedb::CommitCall;
using servicedb::ReadCall;
using servicedb::ReadRecordCall;
using servicedb::ResolvedCommitCall;
using storage::Transaction;

// ---- Suppliers ----

grpc::ServerUnaryReactor* SupplierGrpcService::CreateSupplier(
    grpc::CallbackServerContext* ctx, const v1::CreateSupplierRequest* request,
    v1::CreateSupplierResponse* response) {
  return ResolvedCommitCall<v1::CreateSupplierRequest>(
      executor_, committer_, ctx, *request,
      [this](v1::CreateSupplierRequest& r) { return apps_.suppliers.ResolveCreate(r); },
      [=, this](Transaction& txn, const base::Caller& caller, const v1::CreateSupplierRequest& r) {
        return apps_.suppliers.Create(txn, caller, r, *response->mutable_supplier());
      });
}

grpc::ServerUnaryReactor* SupplierGrpcService::GetSupplier(grpc::CallbackServerContext* ctx,
                                                           const v1::GetSupplierRequest* request,
                                                           v1::GetSupplierResponse* response) {
  return ReadRecordCall(executor_, db_, ctx, *request, [=, this](Transaction& txn) {
    return apps_.suppliers.Get(txn, *request, *response->mutable_supplier());
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::ListSuppliers(
    grpc::CallbackServerContext* ctx, const v1::ListSuppliersRequest* request,
    v1::ListSuppliersResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response, [=, this](Transaction& txn) {
    return apps_.suppliers.List(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::UpdateSupplier(
    grpc::CallbackServerContext* ctx, const v1::UpdateSupplierRequest* request,
    v1::UpdateSupplierResponse* response) {
  return ResolvedCommitCall<v1::UpdateSupplierRequest>(
      executor_, committer_, ctx, *request,
      [this](v1::UpdateSupplierRequest& r) { return apps_.suppliers.ResolveUpdate(db_, r); },
      [=, this](Transaction& txn, const base::Caller& caller, const v1::UpdateSupplierRequest& r) {
        return apps_.suppliers.Update(txn, caller, r, *response->mutable_supplier());
      });
}

grpc::ServerUnaryReactor* SupplierGrpcService::TransitionSupplier(
    grpc::CallbackServerContext* ctx, const v1::TransitionSupplierRequest* request,
    v1::TransitionSupplierResponse* response) {
  return CommitCall(committer_, ctx, *request, [=, this](Transaction& txn, const base::Caller& c) {
    return apps_.suppliers.Transition(txn, c, *request, *response->mutable_supplier());
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::RecordReview(grpc::CallbackServerContext* ctx,
                                                            const v1::RecordReviewRequest* request,
                                                            v1::RecordReviewResponse* response) {
  return CommitCall(committer_, ctx, *request, [=, this](Transaction& txn, const base::Caller& c) {
    return apps_.suppliers.RecordReview(txn, c, *request, *response);
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::ListReviews(grpc::CallbackServerContext* ctx,
                                                           const v1::ListReviewsRequest* request,
                                                           v1::ListReviewsResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response, [=, this](Transaction& txn) {
    return apps_.suppliers.ListReviews(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::ListDeadlines(
    grpc::CallbackServerContext* ctx, const v1::ListDeadlinesRequest* request,
    v1::ListDeadlinesResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response, [=, this](Transaction& txn) {
    return apps_.suppliers.ListDeadlines(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::GetHistory(grpc::CallbackServerContext* ctx,
                                                          const v1::GetHistoryRequest* request,
                                                          v1::GetHistoryResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response,
                         [=, this](Transaction& txn, const base::Caller& caller) {
                           return apps_.suppliers.History(txn, caller, *request, *response);
                         });
}

// ---- Contracts ----

grpc::ServerUnaryReactor* SupplierGrpcService::CreateContract(
    grpc::CallbackServerContext* ctx, const v1::CreateContractRequest* request,
    v1::CreateContractResponse* response) {
  return ResolvedCommitCall<v1::CreateContractRequest>(
      executor_, committer_, ctx, *request,
      [this](v1::CreateContractRequest& r) { return apps_.contracts.ResolveCreate(db_, r); },
      [=, this](Transaction& txn, const base::Caller& caller, const v1::CreateContractRequest& r) {
        return apps_.contracts.Create(txn, caller, r, *response->mutable_contract());
      });
}

grpc::ServerUnaryReactor* SupplierGrpcService::GetContract(grpc::CallbackServerContext* ctx,
                                                           const v1::GetContractRequest* request,
                                                           v1::GetContractResponse* response) {
  return ReadRecordCall(
      executor_, db_, ctx, *request, [=, this](Transaction& txn, const base::Caller& caller) {
        return apps_.contracts.Get(txn, caller, *request, *response->mutable_contract());
      });
}

grpc::ServerUnaryReactor* SupplierGrpcService::ListContracts(
    grpc::CallbackServerContext* ctx, const v1::ListContractsRequest* request,
    v1::ListContractsResponse* response) {
  return BoundedReadCall(executor_, db_, ctx, *request, *response,
                         [=, this](Transaction& txn, const base::Caller& caller) {
                           return apps_.contracts.List(txn, caller, *request, *response);
                         });
}

grpc::ServerUnaryReactor* SupplierGrpcService::UpdateContract(
    grpc::CallbackServerContext* ctx, const v1::UpdateContractRequest* request,
    v1::UpdateContractResponse* response) {
  return ResolvedCommitCall<v1::UpdateContractRequest>(
      executor_, committer_, ctx, *request,
      [this](v1::UpdateContractRequest& r) { return apps_.contracts.ResolveUpdate(db_, r); },
      [=, this](Transaction& txn, const base::Caller& caller, const v1::UpdateContractRequest& r) {
        return apps_.contracts.Update(txn, caller, r, *response->mutable_contract());
      });
}

grpc::ServerUnaryReactor* SupplierGrpcService::TransitionContract(
    grpc::CallbackServerContext* ctx, const v1::TransitionContractRequest* request,
    v1::TransitionContractResponse* response) {
  return CommitCall(committer_, ctx, *request, [=, this](Transaction& txn, const base::Caller& c) {
    return apps_.contracts.Transition(txn, c, *request, *response->mutable_contract());
  });
}

// ---- Scorecards and costs ----

grpc::ServerUnaryReactor* SupplierGrpcService::GetScorecard(grpc::CallbackServerContext* ctx,
                                                            const v1::GetScorecardRequest* request,
                                                            v1::GetScorecardResponse* response) {
  return ReadCall(executor_, db_, ctx, *request, [=, this](Transaction& txn) {
    return apps_.scorecards.Get(txn, *request, *response);
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::SetServiceBudget(
    grpc::CallbackServerContext* ctx, const v1::SetServiceBudgetRequest* request,
    v1::SetServiceBudgetResponse* response) {
  return CommitCall(committer_, ctx, *request, [=, this](Transaction& txn, const base::Caller& c) {
    return apps_.costs.SetBudget(txn, c, *request, *response);
  });
}

grpc::ServerUnaryReactor* SupplierGrpcService::GetServiceCosts(
    grpc::CallbackServerContext* ctx, const v1::GetServiceCostsRequest* request,
    v1::GetServiceCostsResponse* response) {
  return ReadCall(executor_, db_, ctx, *request, [=, this](Transaction& txn) {
    return apps_.costs.Report(txn, *request, *response);
  });
}

}  // namespace itsm::supplier
