#include "services/change/src/release_management.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/records/record_ids.h"
#include "itsm/records/unit_of_work.h"
#include "services/change/src/change_management.h"
#include "services/change/src/change_repository.h"
#include "services/change/src/cmdb_facts.h"

namespace itsm::change {
namespace {

constexpr char kCreateRelease[] = "itsm.change.v1.ChangeService/CreateRelease";

using ReleaseWork = records::UnitOfWork<v1::Release, ReleaseStore>;

// The changes named (by id or number), in order. INVALID_ARGUMENT "<field>[i]: ..." for a change
// that does not exist or is named twice.
absl::StatusOr<std::vector<v1::Change>> ResolveChanges(
    storage::Transaction& txn, const google::protobuf::RepeatedPtrField<std::string>& ids,
    const std::string& field) {
  std::vector<v1::Change> out;
  std::set<std::string> seen;
  for (int i = 0; i < ids.size(); ++i) {
    absl::StatusOr<v1::Change> c = ChangeRepository::Get(txn, ids[i]);
    if (absl::IsNotFound(c.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: no change \"", ids[i], "\""));
    }
    ITSM_RETURN_IF_ERROR(c.status());
    if (!seen.insert(c->id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "]: ", c->number(), " is listed twice"));
    }
    out.push_back(*std::move(c));
  }
  return out;
}

std::vector<std::string> IdsOf(const std::vector<v1::Change>& changes) {
  std::vector<std::string> out;
  for (const v1::Change& c : changes) out.push_back(c.id());
  return out;
}

// The release's changes as they are now (stored ids: every one exists).
absl::StatusOr<std::vector<v1::Change>> ChangesOf(storage::Transaction& txn,
                                                  const v1::Release& release) {
  return ResolveChanges(txn, release.change_ids(), "change_ids");
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ReleaseManagement::GatherCis(
    const v1::AddDeploymentRequest& request) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateAddDeployment(request));
  return ResolveCiIds(cmdb_, request.configuration_item_ids(), "configuration_item_ids");
}

absl::StatusOr<std::vector<std::string>> ReleaseManagement::GatherCis(
    const v1::UpdateDeploymentRequest& request) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateUpdateDeployment(request));
  for (const std::string& p : request.update_mask().paths()) {
    if (p == "configuration_item_ids") {
      return ResolveCiIds(cmdb_, request.deployment().configuration_item_ids(),
                          "deployment.configuration_item_ids");
    }
  }
  return std::vector<std::string>();
}

absl::Status ReleaseManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::CreateReleaseRequest& request,
                                       v1::Release& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateCreate(request));
  ReleaseWork work(txn, caller, ChangeEvents());
  v1::Release release = rules_.NewRelease(request, {}, caller.actor);
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(
               records::IdempotentCallOf(kCreateRelease, request), std::move(release),
               [&](v1::Release& r) -> absl::Status {
                 ITSM_ASSIGN_OR_RETURN(std::vector<v1::Change> changes,
                                       ResolveChanges(txn, request.change_ids(), "change_ids"));
                 const std::vector<std::string> ids = IdsOf(changes);
                 r.mutable_change_ids()->Assign(ids.begin(), ids.end());
                 return absl::OkStatus();
               },
               [&](const v1::Release& r) { return rules_.Created(r, caller.actor); }));
  return absl::OkStatus();
}

absl::Status ReleaseManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                       const v1::UpdateReleaseRequest& request,
                                       v1::Release& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateUpdate(request));
  std::vector<v1::Change> changes;
  for (const std::string& p : request.update_mask().paths()) {
    if (p != "change_ids") continue;
    ITSM_ASSIGN_OR_RETURN(
        changes, ResolveChanges(txn, request.release().change_ids(), "release.change_ids"));
  }
  ReleaseWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(request.release().id(),
                       [&](const v1::Release& stored) -> absl::StatusOr<ReleaseOutcome> {
                         ITSM_ASSIGN_OR_RETURN(
                             v1::Release after,
                             rules_.Update(stored, request, IdsOf(changes), changes));
                         return rules_.Finish(stored, std::move(after), "update", caller.actor);
                       }));
  return absl::OkStatus();
}

absl::Status ReleaseManagement::Transition(storage::Transaction& txn, const base::Caller& caller,
                                           const v1::TransitionReleaseRequest& request,
                                           v1::Release& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateTransition(request));
  ReleaseWork work(txn, caller, ChangeEvents());
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(request.id(), [&](const v1::Release& stored) -> absl::StatusOr<ReleaseOutcome> {
        ITSM_ASSIGN_OR_RETURN(std::vector<v1::Change> changes, ChangesOf(txn, stored));
        ITSM_ASSIGN_OR_RETURN(v1::Release after, rules_.Transition(stored, request, changes));
        return rules_.Finish(stored, std::move(after),
                             absl::StrCat("transition:", ReleaseStateName(request.target_state())),
                             caller.actor);
      }));
  return absl::OkStatus();
}

absl::Status ReleaseManagement::AddDeployment(storage::Transaction& txn, const base::Caller& caller,
                                              const v1::AddDeploymentRequest& request,
                                              const std::vector<std::string>& ci_ids,
                                              v1::AddDeploymentResponse& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateAddDeployment(request));
  ReleaseWork work(txn, caller, ChangeEvents());
  v1::Deployment deployment;
  ITSM_ASSIGN_OR_RETURN(
      *out.mutable_release(),
      work.Modify(
          request.release_id(), [&](const v1::Release& stored) -> absl::StatusOr<ReleaseOutcome> {
            ITSM_ASSIGN_OR_RETURN(v1::Release after,
                                  rules_.AddDeployment(stored, request, ci_ids, deployment));
            return rules_.Finish(stored, std::move(after), "add_deployment", caller.actor,
                                 deployment);
          }));
  *out.mutable_deployment() = std::move(deployment);
  return absl::OkStatus();
}

absl::Status ReleaseManagement::UpdateDeployment(storage::Transaction& txn,
                                                 const base::Caller& caller,
                                                 const v1::UpdateDeploymentRequest& request,
                                                 const std::vector<std::string>& ci_ids,
                                                 v1::UpdateDeploymentResponse& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateUpdateDeployment(request));
  ReleaseWork work(txn, caller, ChangeEvents());
  v1::Deployment deployment;
  ITSM_ASSIGN_OR_RETURN(
      *out.mutable_release(),
      work.Modify(request.release_id(),
                  [&](const v1::Release& stored) -> absl::StatusOr<ReleaseOutcome> {
                    ITSM_ASSIGN_OR_RETURN(std::vector<v1::Change> changes, ChangesOf(txn, stored));
                    ITSM_ASSIGN_OR_RETURN(
                        v1::Release after,
                        rules_.UpdateDeployment(stored, request, ci_ids, changes, deployment));
                    return rules_.Finish(stored, std::move(after), "update_deployment",
                                         caller.actor, deployment);
                  }));
  *out.mutable_deployment() = std::move(deployment);
  return absl::OkStatus();
}

absl::Status ReleaseManagement::Get(storage::Transaction& txn, const v1::GetReleaseRequest& request,
                                    v1::GetReleaseResponse& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(*out.mutable_release(), ReleaseStore::Get(txn, request.id()));
  ITSM_ASSIGN_OR_RETURN(std::vector<v1::Change> changes, ChangesOf(txn, out.release()));
  *out.mutable_readiness() = Readiness(changes);
  return absl::OkStatus();
}

absl::Status ReleaseManagement::List(storage::Transaction& txn,
                                     const v1::ListReleasesRequest& request,
                                     v1::ListReleasesResponse& out) const {
  // The change is named by id or number, as everywhere; releases store its id. An unknown one
  // is refused rather than answered with an empty page (decision 257).
  v1::ListReleasesRequest resolved = request;
  if (!request.change_id().empty()) {
    absl::StatusOr<v1::Change> change = ChangeRepository::Get(txn, request.change_id());
    if (absl::IsNotFound(change.status())) {
      return base::FieldError("change_id", absl::StrCat("no change \"", request.change_id(), "\""));
    }
    ITSM_RETURN_IF_ERROR(change.status());
    resolved.set_change_id(change->id());
  }
  ITSM_ASSIGN_OR_RETURN(ReleasePage page, ReleaseStore::List(txn, resolved));
  for (auto& r : page.releases) *out.add_releases() = std::move(r);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

}  // namespace itsm::change
