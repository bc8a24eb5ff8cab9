// The configuration items an incident or problem names, checked with the CMDB: asked before
// the write's transaction (LookUpCis, on the executor), applied inside it (CiIdsToStore), where
// the stored record is known. A value may name a CI by id, "class_name/name" or unique name; the
// record stores its id. Unknown values are refused; so are retired CIs, unless the record named
// them before they were retired. When the CMDB cannot answer, the values are kept as given:
// logging an incident never waits for the CMDB (decision 246).
//
//   ITSM_ASSIGN_OR_RETURN(CiReferences cis, LookUpCis(cmdb, request.configuration_item_ids(),
//                                                     "configuration_item_ids"));
//   // in the transaction:
//   ITSM_ASSIGN_OR_RETURN(Ids ids, CiIdsToStore(cis, request.configuration_item_ids(),
//                                               stored.configuration_item_ids(), field));
#ifndef ITSM_SERVICES_INCIDENT_CI_REFERENCES_H_
#define ITSM_SERVICES_INCIDENT_CI_REFERENCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "services/incident/src/cmdb_lookup.h"

namespace itsm::incident {

using CiIds = google::protobuf::RepeatedPtrField<std::string>;

struct CiReferences {
  // False when nothing was asked (no CMDB configured, the write names no CIs) or the CMDB could
  // not answer: the values are stored as given.
  bool checked = false;
  // When checked: what each given value names, in the request's order.
  std::vector<CmdbCi> cis = {};
};

// The CIs `values` name. INVALID_ARGUMENT "<field>[i]: no configuration item ..." for a value
// the CMDB does not know (or that names several CIs). `cmdb` may be null.
absl::StatusOr<CiReferences> LookUpCis(CmdbLookup* cmdb, const CiIds& values,
                                       const std::string& field);

// The ids to store for `values` (as LookUpCis saw them). INVALID_ARGUMENT "<field>[i]: ..." for
// a retired CI that `held` (the stored record's ids) does not name, or a second value naming
// the same CI as an earlier one.
absl::StatusOr<CiIds> CiIdsToStore(const CiReferences& references, const CiIds& values,
                                   const CiIds& held, const std::string& field);

// The CMDB's id of the CI a list filter names (by id, "class_name/name" or unique name): the
// records store ids. INVALID_ARGUMENT "<field>: no configuration item ..." for an unknown one;
// the value as given when the CMDB cannot answer or `cmdb` is null.
absl::StatusOr<std::string> ResolveCiFilter(CmdbLookup* cmdb, const std::string& given,
                                            const std::string& field);

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_CI_REFERENCES_H_
