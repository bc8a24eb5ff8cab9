// What a change write needs to know from the CMDB, gathered before its transaction: the
// affected services and CIs resolved to their ids (and refused when the CMDB does not know them
// or retired them), their classes (for windows), the business services they reach (for the
// risk) and the CIs related to them both ways within the policy's depth (for conflicts).
#ifndef ITSM_SERVICES_CHANGE_CMDB_FACTS_H_
#define ITSM_SERVICES_CHANGE_CMDB_FACTS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "services/change/src/cmdb_view.h"
#include "services/change/src/conflict_detector.h"
#include "services/change/src/risk_assessor.h"

namespace itsm::change {

// The CMDB class of business services (the configuration service ships it).
inline constexpr char kBusinessServiceClass[] = "business_service";

struct CmdbFacts {
  // False without a configuration service: ids are kept as given, nothing is derived.
  bool consulted = false;
  std::vector<std::string> service_ids = {};
  std::vector<std::string> ci_ids = {};
  // The classes of the change's CIs and their ancestors (a window on "hardware" covers servers).
  std::set<std::string> ci_classes = {};
  std::vector<ReachedService> business_services = {};
  std::vector<RelatedCi> related = {};
  // "class/name" of every CI seen, for the reasons of conflicts.
  std::map<std::string, std::string> ci_names = {};
  // Gathered with them when the write sets them, from the incident service: the incidents and
  // problems the change links to, as ids (linked_records.h). Unset: the write leaves them.
  std::optional<std::vector<std::string>> incident_ids = {};
  std::optional<std::vector<std::string>> problem_ids = {};
};

// `fields` name the request's lists in errors ("configuration_item_ids" or
// "change.configuration_item_ids"). INVALID_ARGUMENT "<field>[i]: ..." for an unknown CI, or a
// retired one not in `held` (the ids the stored record names: retired since, they stay);
// UNAVAILABLE when the CMDB cannot answer. `cmdb` may be null.
absl::StatusOr<CmdbFacts> GatherCmdbFacts(
    CmdbView* cmdb, const google::protobuf::RepeatedPtrField<std::string>& service_ids,
    const google::protobuf::RepeatedPtrField<std::string>& ci_ids, int dependency_depth,
    const std::string& services_field, const std::string& cis_field,
    const std::set<std::string>& held = {});

// The CIs resolved to the CMDB's ids (as GatherCmdbFacts checks them, one named twice refused
// too), nothing derived: what a deployment record needs. As given without a CMDB.
absl::StatusOr<std::vector<std::string>> ResolveCiIds(
    CmdbView* cmdb, const google::protobuf::RepeatedPtrField<std::string>& ci_ids,
    const std::string& field);

// The business services a window or an approval policy names, given by id or "class_name/name",
// replaced by the CMDB's ids: what a change reaches is compared by id. INVALID_ARGUMENT
// "<field>[i]: ..." for a CI the CMDB does not know, one that is not a business service, or one
// an earlier entry names (retired ones are kept: a rule about them is harmless); UNAVAILABLE
// when the CMDB cannot answer. As given without a CMDB.
absl::Status ResolveServiceIds(CmdbView* cmdb, google::protobuf::RepeatedPtrField<std::string>& ids,
                               const std::string& field);

// INVALID_ARGUMENT "<field>[i]: ..." for a CI class the CMDB does not define (a window for a
// class that does not exist concerns nothing); UNAVAILABLE when it cannot answer.
absl::Status CheckClassNames(CmdbView* cmdb,
                             const google::protobuf::RepeatedPtrField<std::string>& class_names,
                             const std::string& field);

// A CI named by a read's filter (the calendar's, a list's) as the CMDB's id: given by id or
// "class_name/name", retired ones included (their changes are history). INVALID_ARGUMENT naming
// `field` for a CI the CMDB does not know; UNAVAILABLE when it cannot answer a class/name (an
// id is then used as given). As given without a CMDB or a filter.
absl::StatusOr<std::string> ResolveCiFilter(CmdbView* cmdb, const std::string& given,
                                            const std::string& field);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CMDB_FACTS_H_
