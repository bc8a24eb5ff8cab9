// Alert intake: Alertmanager notifications turned into incidents, apart from gRPC. A call is two
// steps (servicedb::CommitCallAfter): Gather, holding no transaction, reads what the group
// already has and asks the CMDB about the CIs of alerts not seen yet; Notify then runs in the
// group committer's transaction and does every write through IncidentManagement (so each
// incident change has its audit entry and events) together with the intake's own rows
// (alert_repository.h) — all or nothing.
//
//   AlertIntake intake(db, cmdb, settings, matrix, incidents, clock);
//   ITSM_ASSIGN_OR_RETURN(AlertFacts facts, intake.Gather(request));
//   committer.Submit([&](storage::Transaction& txn) {
//     return intake.Notify(txn, caller, request, facts, response);
//   }, done);
#ifndef ITSM_SERVICES_INCIDENT_ALERT_INTAKE_H_
#define ITSM_SERVICES_INCIDENT_ALERT_INTAKE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/incident/v1/alerts.pb.h"
#include "itsm/storage/database.h"
#include "services/incident/src/alert_rules.h"
#include "services/incident/src/cmdb_lookup.h"
#include "services/incident/src/incident_management.h"
#include "services/incident/src/priority_matrix.h"

namespace itsm::incident {

// What the CMDB said about a notification's label values, gathered before the transaction.
struct AlertFacts {
  // CI label value -> the CI (nullopt: no such CI in the CMDB).
  std::map<std::string, std::optional<CmdbCi>> cis = {};
  // The service label's value, and the business service it names (nullopt: none).
  std::string service_value = {};
  std::optional<std::string> service = {};
  // Why the values were not looked up ("" when they were).
  std::string not_mapped = {};
};

class AlertIntake {
 public:
  AlertIntake(storage::Database& db, CmdbLookup* cmdb, const AlertSettings& settings,
              const PriorityMatrix& matrix, const IncidentManagement& incidents,
              const base::Clock& clock)
      : db_(db),
        cmdb_(cmdb),
        settings_(settings),
        matrix_(matrix),
        incidents_(incidents),
        clock_(clock) {}

  // Validates the notification (INVALID_ARGUMENT naming the field) and asks the CMDB about the
  // CIs of its alerts the group has not seen (all of them when the notification may open an
  // incident). A CMDB that cannot answer is noted, not fatal: an alert must open its incident
  // when the CMDB is down.
  absl::StatusOr<AlertFacts> Gather(const v1::NotifyAlertmanagerRequest& request) const;

  // Applies the notification inside `txn`.
  absl::Status Notify(storage::Transaction& txn, const base::Caller& caller,
                      const v1::NotifyAlertmanagerRequest& request, const AlertFacts& facts,
                      v1::NotifyAlertmanagerResponse& out) const;

 private:
  struct Mapped {
    std::vector<std::string> ci_ids;
    std::string service;
    std::vector<std::string> notes;
    std::vector<std::string> unknown;
  };
  Mapped Map(const v1::NotifyAlertmanagerRequest& request, const AlertFacts& facts,
             bool firing_only) const;
  absl::Status Open(storage::Transaction& txn, const base::Caller& caller,
                    const v1::NotifyAlertmanagerRequest& request, const AlertFacts& facts,
                    const std::string& group_hash, const std::string& follows,
                    v1::NotifyAlertmanagerResponse& out) const;
  absl::Status FoldStorm(storage::Transaction& txn, const base::Caller& caller,
                         const std::string& group_hash, const AlertFacts& facts,
                         v1::Incident& incident, v1::NotifyAlertmanagerResponse& out) const;
  absl::Status Resolve(storage::Transaction& txn, const base::Caller& caller,
                       const v1::Incident& incident, const std::string& notes,
                       v1::Incident& after) const;
  absl::Status ResolveParentIfDone(storage::Transaction& txn, const base::Caller& caller,
                                   const std::string& parent_id) const;
  absl::Status Note(storage::Transaction& txn, const base::Caller& caller, const std::string& id,
                    const std::string& text, v1::Incident* after = nullptr) const;
  absl::Status LinkParent(storage::Transaction& txn, const base::Caller& caller,
                          const v1::Incident& child, const std::string& parent_id,
                          v1::Incident& after) const;

  storage::Database& db_;
  CmdbLookup* cmdb_;
  const AlertSettings& settings_;
  const PriorityMatrix& matrix_;
  const IncidentManagement& incidents_;
  const base::Clock& clock_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_ALERT_INTAKE_H_
