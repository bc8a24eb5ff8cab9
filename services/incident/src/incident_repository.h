// Incidents in the service's own database. Each row keeps the columns that filters and ordering
// need plus the whole record as a serialised Incident, so that the record can grow fields
// without a migration for each. Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_REPOSITORY_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_REPOSITORY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::incident {

struct IncidentPage {
  std::vector<v1::Incident> incidents;
  std::string next_page_token;  // empty on the last page
};

class IncidentRepository {
 public:
  static const std::vector<storage::Migration>& Migrations();

  // Assigns the next number (INC0001234) and inserts the incident.
  static absl::Status Insert(storage::Transaction& txn, v1::Incident& incident);

  // By UUID or by number. NOT_FOUND names what was looked for.
  static absl::StatusOr<v1::Incident> Get(storage::Transaction& txn, const std::string& id_or_number);

  // The incident an idempotency key created, if any, and the fingerprint of the request that
  // created it.
  struct IdempotentResult {
    std::string incident_id;
    std::string request_fingerprint;
  };
  static absl::StatusOr<std::optional<IdempotentResult>> FindIdempotencyKey(
      storage::Transaction& txn, const std::string& key);
  static absl::Status SaveIdempotencyKey(storage::Transaction& txn, const std::string& key,
                                         const std::string& incident_id,
                                         const std::string& request_fingerprint);

  // Newest first, keyset-paginated on the incident sequence: a page token is the position after
  // the last row returned, so pages neither repeat nor skip rows while incidents are created.
  // INVALID_ARGUMENT for a malformed page token or page size.
  static absl::StatusOr<IncidentPage> List(storage::Transaction& txn,
                                           const v1::ListIncidentsRequest& request);
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_REPOSITORY_H_
