// Release management: the service's operations on releases and their deployments, apart from
// gRPC. Writes run inside the group committer's transaction through the record toolkit's unit
// of work — load, domain rule (ReleaseRules), save with a version check, audit entry, outbox
// events on itsm.change.v1. The release's changes are read in the same transaction, so the
// readiness a transition or a deployment's start is judged on is the one committed with it.
// Deployment CIs are resolved by the configuration service before the transaction
// (servicedb::CommitCallAfter), as a change's are.
//
//   ReleaseManagement releases(cmdb, rules);
//   ITSM_ASSIGN_OR_RETURN(std::vector<std::string> cis, releases.GatherCis(request));
//   committer.Submit([&](storage::Transaction& txn) {
//     return releases.AddDeployment(txn, caller, request, cis, response);
//   }, done);
#ifndef ITSM_SERVICES_CHANGE_RELEASE_MANAGEMENT_H_
#define ITSM_SERVICES_CHANGE_RELEASE_MANAGEMENT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/storage/database.h"
#include "services/change/src/cmdb_view.h"
#include "services/change/src/release_rules.h"

namespace itsm::change {

class ReleaseManagement {
 public:
  // `cmdb` may be null (no configuration service): CIs are then taken as given.
  ReleaseManagement(CmdbView* cmdb, const ReleaseRules& rules) : cmdb_(cmdb), rules_(rules) {}

  // Before the transaction: the request's CIs resolved by the configuration service.
  absl::StatusOr<std::vector<std::string>> GatherCis(const v1::AddDeploymentRequest& request) const;
  absl::StatusOr<std::vector<std::string>> GatherCis(
      const v1::UpdateDeploymentRequest& request) const;

  // Writes: inside the committer's transaction.
  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateReleaseRequest& request, v1::Release& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateReleaseRequest& request, v1::Release& out) const;
  absl::Status Transition(storage::Transaction& txn, const base::Caller& caller,
                          const v1::TransitionReleaseRequest& request, v1::Release& out) const;
  absl::Status AddDeployment(storage::Transaction& txn, const base::Caller& caller,
                             const v1::AddDeploymentRequest& request,
                             const std::vector<std::string>& ci_ids,
                             v1::AddDeploymentResponse& out) const;
  absl::Status UpdateDeployment(storage::Transaction& txn, const base::Caller& caller,
                                const v1::UpdateDeploymentRequest& request,
                                const std::vector<std::string>& ci_ids,
                                v1::UpdateDeploymentResponse& out) const;

  // Reads: inside a read-only transaction. Get adds the readiness now.
  absl::Status Get(storage::Transaction& txn, const v1::GetReleaseRequest& request,
                   v1::GetReleaseResponse& out) const;
  absl::Status List(storage::Transaction& txn, const v1::ListReleasesRequest& request,
                    v1::ListReleasesResponse& out) const;

 private:
  CmdbView* cmdb_;
  const ReleaseRules& rules_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_RELEASE_MANAGEMENT_H_
