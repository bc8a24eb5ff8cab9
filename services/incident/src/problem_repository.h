// Problems and service requests in the service's database (tables from IncidentRepository's
// migrations): filter columns plus the whole record serialised, like incidents. Every method
// works inside the caller's transaction.
#ifndef ITSM_SERVICES_INCIDENT_PROBLEM_REPOSITORY_H_
#define ITSM_SERVICES_INCIDENT_PROBLEM_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/storage/database.h"
#include "services/incident/src/incident_repository.h"

namespace itsm::incident {

class ProblemRepository {
 public:
  // Assigns the next number (PRB0000001) and inserts.
  static absl::Status Insert(storage::Transaction& txn, v1::Problem& problem);
  // ABORTED when the stored row is no longer at expected_version.
  static absl::Status Update(storage::Transaction& txn, const v1::Problem& problem,
                             int64_t expected_version);
  // By id or number; NOT_FOUND "<field>: no problem "..."".
  static absl::StatusOr<v1::Problem> Get(storage::Transaction& txn, const std::string& id_or_number,
                                         const char* field = "id");
  // Newest first, keyset-paginated on the sequence.
  static absl::StatusOr<std::pair<std::vector<v1::Problem>, std::string>> List(
      storage::Transaction& txn, const v1::ListProblemsRequest& request);
  // The service's one audit trail (IncidentRepository's), keyed by record id.
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry) {
    return IncidentRepository::AppendAudit(txn, record_id, entry);
  }
};

class ServiceRequestRepository {
 public:
  static absl::Status Insert(storage::Transaction& txn, v1::ServiceRequest& request);
  static absl::Status Update(storage::Transaction& txn, const v1::ServiceRequest& request,
                             int64_t expected_version);
  static absl::StatusOr<v1::ServiceRequest> Get(storage::Transaction& txn,
                                                const std::string& id_or_number);
  static absl::StatusOr<std::pair<std::vector<v1::ServiceRequest>, std::string>> List(
      storage::Transaction& txn, const v1::ListServiceRequestsRequest& request);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry) {
    return IncidentRepository::AppendAudit(txn, record_id, entry);
  }
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_PROBLEM_REPOSITORY_H_
