#include "services/incident/src/ci_references.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/runtime/logging.h"

namespace itsm::incident {

absl::StatusOr<CiReferences> LookUpCis(CmdbLookup* cmdb, const CiIds& values,
                                       const std::string& field) {
  CiReferences out;
  if (cmdb == nullptr || values.empty()) return out;
  for (int i = 0; i < values.size(); ++i) {
    absl::StatusOr<std::optional<CmdbCi>> ci = cmdb->Resolve(values[i]);
    if (!ci.ok()) {
      // Counted on the log, not refused: an incident is often about the very outage that keeps
      // the CMDB from answering.
      runtime::log::Warn("configuration items stored unchecked",
                         {{"field", field}, {"error", ci.status().ToString()}});
      return CiReferences{};
    }
    if (!ci->has_value()) {
      return base::FieldError(absl::StrCat(field, "[", i, "]"),
                              absl::StrCat("no configuration item \"", values[i],
                                           "\" in the CMDB, or several of that name (give its id, "
                                           "class_name/name or unique name)"));
    }
    out.cis.push_back(**std::move(ci));
  }
  out.checked = true;
  return out;
}

absl::StatusOr<CiIds> CiIdsToStore(const CiReferences& references, const CiIds& values,
                                   const CiIds& held, const std::string& field) {
  if (!references.checked) return values;
  CiIds out;
  std::map<std::string, int> first_index;
  for (int i = 0; i < static_cast<int>(references.cis.size()); ++i) {
    const CmdbCi& ci = references.cis[i];
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (ci.retired && std::find(held.begin(), held.end(), ci.id) == held.end()) {
      return base::FieldError(
          at, absl::StrCat("configuration item ", ci.class_name, "/", ci.name, " is retired"));
    }
    if (auto [it, inserted] = first_index.emplace(ci.id, i); !inserted) {
      return base::FieldError(at, absl::StrCat("names ", ci.class_name, "/", ci.name, " as ", field,
                                               "[", it->second, "] does"));
    }
    out.Add(std::string(ci.id));
  }
  return out;
}

absl::StatusOr<std::string> ResolveCiFilter(CmdbLookup* cmdb, const std::string& given,
                                            const std::string& field) {
  if (cmdb == nullptr || given.empty()) return given;
  absl::StatusOr<std::optional<CmdbCi>> ci = cmdb->Resolve(given);
  // A list does not wait for the CMDB to come back: the value is compared as given, which is
  // what the incidents logged while it was away store.
  if (!ci.ok()) return given;
  if (!ci->has_value()) {
    return base::FieldError(field, absl::StrCat("no configuration item \"", given,
                                                "\" in the CMDB, or several of that name (give its "
                                                "id, class_name/name or unique name)"));
  }
  return (*ci)->id;
}

}  // namespace itsm::incident
