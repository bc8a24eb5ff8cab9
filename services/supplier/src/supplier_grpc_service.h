// The SupplierService gRPC API (callback API): thin handlers over the service's applications —
// SupplierManagement, ContractManagement, Scorecards, ServiceCosts. Each handler names the
// application call and how it runs: servicedb::CommitCall for a write, CheckedCommitCall for a
// write whose references other services must confirm first, servicedb::ReadCall for a read. No
// callback thread ever waits for the database or another service.
#ifndef ITSM_SERVICES_SUPPLIER_SUPPLIER_GRPC_SERVICE_H_
#define ITSM_SERVICES_SUPPLIER_SUPPLIER_GRPC_SERVICE_H_

#include "itsm/runtime/executor.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "itsm/supplier/v1/supplier.grpc.pb.h"
#include "services/supplier/src/contract_management.h"
#include "services/supplier/src/scorecards.h"
#include "services/supplier/src/service_costs.h"
#include "services/supplier/src/supplier_management.h"

namespace itsm::supplier {

struct Applications {
  const SupplierManagement& suppliers;
  const ContractManagement& contracts;
  const Scorecards& scorecards;
  const ServiceCosts& costs;
};

class SupplierGrpcService final : public v1::SupplierService::CallbackService {
 public:
  SupplierGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                      runtime::Executor& executor, Applications apps)
      : db_(db), committer_(committer), executor_(executor), apps_(apps) {}

#define ITSM_SUPPLIER_RPC(Name)                                                                  \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx,                               \
                                 const v1::Name##Request* request, v1::Name##Response* response) \
      override;
  ITSM_SUPPLIER_RPC(CreateSupplier)
  ITSM_SUPPLIER_RPC(GetSupplier)
  ITSM_SUPPLIER_RPC(ListSuppliers)
  ITSM_SUPPLIER_RPC(UpdateSupplier)
  ITSM_SUPPLIER_RPC(TransitionSupplier)
  ITSM_SUPPLIER_RPC(CreateContract)
  ITSM_SUPPLIER_RPC(GetContract)
  ITSM_SUPPLIER_RPC(ListContracts)
  ITSM_SUPPLIER_RPC(UpdateContract)
  ITSM_SUPPLIER_RPC(TransitionContract)
  ITSM_SUPPLIER_RPC(ListDeadlines)
  ITSM_SUPPLIER_RPC(GetHistory)
  ITSM_SUPPLIER_RPC(RecordReview)
  ITSM_SUPPLIER_RPC(ListReviews)
  ITSM_SUPPLIER_RPC(GetScorecard)
  ITSM_SUPPLIER_RPC(SetServiceBudget)
  ITSM_SUPPLIER_RPC(GetServiceCosts)
#undef ITSM_SUPPLIER_RPC

 private:
  storage::Database& db_;
  storage::GroupCommitter& committer_;
  runtime::Executor& executor_;
  const Applications apps_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SUPPLIER_GRPC_SERVICE_H_
