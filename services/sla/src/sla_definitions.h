// SLA definitions: the service's operations on SlaDefinition records, apart from gRPC. Writes run
// inside the caller's transaction (the group committer's unit) as a records::UnitOfWork under the
// service's write lock, so the no-overlap rule (sla_rules) is checked against every other
// definition with no concurrent writer, and the definition, its audit entry and its event are
// stored together or not at all. Reads run in the caller's read-only transaction.
//
//   SlaDefinitions definitions(clock);
//   committer.Submit([&](storage::Transaction& txn) {
//     return definitions.Create(txn, caller, request, *response.mutable_definition());
//   }, done);
#ifndef ITSM_SERVICES_SLA_SLA_DEFINITIONS_H_
#define ITSM_SERVICES_SLA_SLA_DEFINITIONS_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/storage/database.h"

namespace itsm::sla {

class SlaDefinitions {
 public:
  explicit SlaDefinitions(const base::Clock& clock) : clock_(clock) {}

  // Writes: inside the committer's transaction. A calendar that does not exist is
  // FAILED_PRECONDITION, an overlap with another definition ALREADY_EXISTS naming it.
  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateSlaDefinitionRequest& request, v1::SlaDefinition& out) const;
  // The whole definition, at the version that was read; one equal to the stored one (defaults
  // filled in) is no change.
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateSlaDefinitionRequest& request, v1::SlaDefinition& out) const;

  // Reads: inside a read-only transaction.
  absl::Status Get(storage::Transaction& txn, const v1::GetSlaDefinitionRequest& request,
                   v1::SlaDefinition& out) const;
  absl::Status List(storage::Transaction& txn, const v1::ListSlaDefinitionsRequest& request,
                    v1::ListSlaDefinitionsResponse& out) const;
  // The audit trail, a page oldest first.
  absl::Status History(storage::Transaction& txn, const v1::GetSlaDefinitionHistoryRequest& request,
                       v1::GetSlaDefinitionHistoryResponse& out) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_DEFINITIONS_H_
