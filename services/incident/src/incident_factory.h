// The domain rules of recording an incident, with no gRPC, SQL or Kafka in them: validation of a
// create request (every error names its field) and the new record it yields.
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_FACTORY_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_FACTORY_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "itsm/base/clock.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/records/record_ids.h"
#include "services/incident/src/priority_matrix.h"

namespace itsm::incident {

class IncidentFactory {
 public:
  IncidentFactory(const PriorityMatrix& matrix, const base::Clock& clock)
      : matrix_(matrix), clock_(clock) {}

  // INVALID_ARGUMENT naming the first bad field.
  absl::Status Validate(const v1::CreateIncidentRequest& request) const;

  // A new incident in state NEW with its priority derived, a fresh id, no number (the repository
  // assigns it) and version 1. `actor` becomes created_by, and the caller when none was given.
  v1::Incident NewIncident(const v1::CreateIncidentRequest& request,
                           const std::string& actor) const;

 private:
  const PriorityMatrix& matrix_;
  const base::Clock& clock_;
};

using records::CheckId;
using records::CheckIds;

// INVALID_ARGUMENT "<field>: must be 1..<levels>, got <value>".
absl::Status CheckLevel(const char* field, int value, int levels);

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_FACTORY_H_
