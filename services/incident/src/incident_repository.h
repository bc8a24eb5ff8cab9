// Incidents in the service's own database. Each row keeps the columns that filters and ordering
// need plus the whole record as a serialised Incident, so that the record can grow fields
// without a migration for each. Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_REPOSITORY_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_REPOSITORY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::incident {

// An incident as its row holds it: the serialised record, sent as stored
// (records::SetStoredMessage), and the row's caller column (written with the record since
// schema version 4; '' in a row not written since).
struct StoredIncident {
  std::string data;
  std::string caller;
};

struct IncidentPage {
  // Serialised Incidents as stored: an answer carries them unparsed
  // (records::AppendStoredMessages); IncidentRepository::Decode reads one in the process.
  std::vector<std::string> incidents;
  std::string next_page_token;  // empty on the last page
};

// A resolved incident's place in the closer's walk (ResolvedUnchangedSince): oldest change first.
struct ResolvedIncident {
  std::string id;
  int64_t update_time_us = 0;
  int64_t seq = 0;
};

class IncidentRepository {
 public:
  static const std::vector<storage::Migration>& Migrations();
  // The service database's whole schema: the outbox, the record toolkit, then these tables.
  static std::vector<storage::SchemaComponent> Schema();

  // Assigns the next number (INC0001234) and inserts the incident.
  static absl::Status Insert(storage::Transaction& txn, v1::Incident& incident);
  // Stores `incident` (already at its new version) if the stored row is still at
  // `expected_version`; ABORTED otherwise (another writer got there first).
  static absl::Status Update(storage::Transaction& txn, const v1::Incident& incident,
                             int64_t expected_version);
  // How many levels of children hang below incident `id` (0: none), counted down to `limit`
  // levels at most (a deeper subtree answers `limit`).
  static absl::StatusOr<int> SubtreeHeight(storage::Transaction& txn, const std::string& id,
                                           int limit);
  // The incidents below `id` (children, their children, ... down to `depth` levels) that are not
  // RESOLVED, CLOSED or CANCELLED, nearest first then oldest first, at most `limit`.
  static absl::StatusOr<std::vector<v1::Incident>> OpenDescendants(storage::Transaction& txn,
                                                                   const std::string& id, int depth,
                                                                   int64_t limit);
  // The ids of the incidents linked to `problem_id`, oldest first, at most `limit`: what a
  // problem's answer lists, without decoding each incident.
  static absl::StatusOr<std::vector<std::string>> IdsByProblem(storage::Transaction& txn,
                                                               const std::string& problem_id,
                                                               int64_t limit);
  // RESOLVED incidents last changed before `cutoff`, after `after` in (update time, seq) order,
  // at most `limit`: what the closer may close (resolved_incident_closer.h).
  static absl::StatusOr<std::vector<ResolvedIncident>> ResolvedUnchangedSince(
      storage::Transaction& txn, absl::Time cutoff, const ResolvedIncident& after, int limit);
  // Incidents whose problem_id is `problem_id`, oldest first.
  static absl::StatusOr<std::vector<v1::Incident>> ListByProblem(storage::Transaction& txn,
                                                                 const std::string& problem_id);

  // The next number of a sequence ("incident", "request", "problem").
  static absl::StatusOr<int64_t> NextNumber(storage::Transaction& txn, const std::string& sequence);

  // The audit trail, shared by every record type of the service (keyed by record id; read with
  // records::AuditTrail::Read).
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry);

  // A stored incident (a row's data, a page's element). DATA_LOSS when it does not parse.
  static absl::StatusOr<v1::Incident> Decode(const std::string& stored);

  // By UUID or by number. NOT_FOUND names what was looked for.
  static absl::StatusOr<v1::Incident> Get(storage::Transaction& txn,
                                          const std::string& id_or_number);
  // The same, unparsed.
  static absl::StatusOr<StoredIncident> GetStored(storage::Transaction& txn,
                                                  const std::string& id_or_number);

  // Newest first, keyset-paginated on the incident sequence: a page token is the position after
  // the last row returned, so pages neither repeat nor skip rows while incidents are created.
  // INVALID_ARGUMENT for a malformed page token or page size. Rows updated after
  // `updated_up_to` are left out (SettledWrites).
  static absl::StatusOr<IncidentPage> List(storage::Transaction& txn,
                                           const v1::ListIncidentsRequest& request,
                                           absl::Time updated_up_to = absl::InfiniteFuture());
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_REPOSITORY_H_
