#include "services/change/src/cmdb_facts.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"

namespace itsm::change {
namespace {

constexpr int kServiceReachDepth = 6;

// `held`: ids the record names already. A CI retired since it was named stays (a change that
// decommissions a server retires it while the change is open); only a retired CI newly named is
// refused.
absl::StatusOr<CiInfo> Resolve(CmdbView& cmdb, const std::string& id, const std::string& field,
                               const std::set<std::string>& held = {}) {
  absl::StatusOr<CiInfo> info = cmdb.Describe(id);
  if (absl::IsNotFound(info.status())) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", info.status().message()));
  }
  ITSM_RETURN_IF_ERROR(info.status());
  if (info->retired && !held.contains(info->id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": CI \"", id, "\" is retired in the configuration service"));
  }
  return info;
}

bool IsA(const CiInfo& info, const std::string& class_name) {
  return info.class_name == class_name ||
         std::find(info.lineage.begin(), info.lineage.end(), class_name) != info.lineage.end();
}

// Lists of CIs name each once: a second entry naming a CI an earlier one names (by id once, by
// class/name or name once) would count it twice in a risk and be stored twice.
class NamedOnce {
 public:
  absl::Status Check(const CiInfo& info, const std::string& list, int i) {
    auto [it, inserted] = first_index_.emplace(absl::StrCat(list, "|", info.id), i);
    if (inserted) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(list, "[", i, "]: names ", info.class_name, "/",
                                                   info.name, " as ", list, "[", it->second,
                                                   "] does"));
  }

 private:
  std::map<std::string, int> first_index_;
};

}  // namespace

absl::StatusOr<CmdbFacts> GatherCmdbFacts(
    CmdbView* cmdb, const google::protobuf::RepeatedPtrField<std::string>& service_ids,
    const google::protobuf::RepeatedPtrField<std::string>& ci_ids, int dependency_depth,
    const std::string& services_field, const std::string& cis_field,
    const std::set<std::string>& held) {
  CmdbFacts facts;
  if (cmdb == nullptr) {
    facts.service_ids.assign(service_ids.begin(), service_ids.end());
    facts.ci_ids.assign(ci_ids.begin(), ci_ids.end());
    return facts;
  }
  facts.consulted = true;
  NamedOnce named_once;
  for (int i = 0; i < service_ids.size(); ++i) {
    const std::string field = absl::StrCat(services_field, "[", i, "]");
    ITSM_ASSIGN_OR_RETURN(CiInfo info, Resolve(*cmdb, service_ids[i], field, held));
    ITSM_RETURN_IF_ERROR(named_once.Check(info, services_field, i));
    // Counted as a business service by the risk (its criticality): it must be one.
    if (!IsA(info, kBusinessServiceClass)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": CI ", info.class_name, "/", info.name, " is not a ", kBusinessServiceClass));
    }
    facts.business_services.push_back({info.id, info.name, info.criticality});
    facts.service_ids.push_back(info.id);
  }
  for (int i = 0; i < ci_ids.size(); ++i) {
    ITSM_ASSIGN_OR_RETURN(CiInfo info,
                          Resolve(*cmdb, ci_ids[i], absl::StrCat(cis_field, "[", i, "]"), held));
    ITSM_RETURN_IF_ERROR(named_once.Check(info, cis_field, i));
    facts.ci_ids.push_back(info.id);
    facts.ci_names[info.id] = absl::StrCat(info.class_name, "/", info.name);
    facts.ci_classes.insert(info.class_name);
    facts.ci_classes.insert(info.lineage.begin(), info.lineage.end());
    if (IsA(info, kBusinessServiceClass)) {
      facts.business_services.push_back({info.id, info.name, info.criticality});
    }
    ITSM_ASSIGN_OR_RETURN(std::vector<ReachedCi> served,
                          cmdb->Reach(info.id, true, kServiceReachDepth, {kBusinessServiceClass}));
    for (const ReachedCi& r : served) {
      facts.business_services.push_back({r.ci.id, r.ci.name, r.ci.criticality});
    }
    if (dependency_depth <= 0) continue;
    for (const bool downstream : {true, false}) {
      ITSM_ASSIGN_OR_RETURN(std::vector<ReachedCi> related,
                            cmdb->Reach(info.id, downstream, dependency_depth, {}));
      for (ReachedCi& r : related) {
        facts.ci_names[r.ci.id] = absl::StrCat(r.ci.class_name, "/", r.ci.name);
        facts.related.push_back({r.ci.id, info.id, std::move(r.path)});
      }
    }
  }
  return facts;
}

absl::StatusOr<std::vector<std::string>> ResolveCiIds(
    CmdbView* cmdb, const google::protobuf::RepeatedPtrField<std::string>& ci_ids,
    const std::string& field) {
  std::vector<std::string> out;
  NamedOnce named_once;
  for (int i = 0; i < ci_ids.size(); ++i) {
    if (cmdb == nullptr) {
      out.push_back(ci_ids[i]);
      continue;
    }
    ITSM_ASSIGN_OR_RETURN(CiInfo info, Resolve(*cmdb, ci_ids[i], absl::StrCat(field, "[", i, "]")));
    ITSM_RETURN_IF_ERROR(named_once.Check(info, field, i));
    out.push_back(info.id);
  }
  return out;
}

absl::Status ResolveServiceIds(CmdbView* cmdb, google::protobuf::RepeatedPtrField<std::string>& ids,
                               const std::string& field) {
  if (cmdb == nullptr) return absl::OkStatus();
  NamedOnce named_once;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    absl::StatusOr<CiInfo> info = cmdb->Describe(ids[i]);
    if (absl::IsNotFound(info.status())) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": ", info.status().message()));
    }
    ITSM_RETURN_IF_ERROR(info.status());
    if (!IsA(*info, kBusinessServiceClass)) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": CI ", info->class_name, "/", info->name,
                                                     " is not a ", kBusinessServiceClass));
    }
    ITSM_RETURN_IF_ERROR(named_once.Check(*info, field, i));
    ids[i] = info->id;
  }
  return absl::OkStatus();
}

absl::Status CheckClassNames(CmdbView* cmdb,
                             const google::protobuf::RepeatedPtrField<std::string>& class_names,
                             const std::string& field) {
  if (cmdb == nullptr) return absl::OkStatus();
  for (int i = 0; i < class_names.size(); ++i) {
    absl::Status known = cmdb->CheckClass(class_names[i]);
    if (absl::IsNotFound(known)) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: ", known.message()));
    }
    ITSM_RETURN_IF_ERROR(known);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveCiFilter(CmdbView* cmdb, const std::string& given,
                                            const std::string& field) {
  if (cmdb == nullptr || given.empty()) return given;
  absl::StatusOr<CiInfo> info = cmdb->Describe(given);
  if (absl::IsNotFound(info.status())) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", info.status().message()));
  }
  // A read by a CI's id does not wait for the CMDB to come back: the id is what is stored.
  if (absl::IsUnavailable(info.status()) && given.find('/') == std::string::npos) return given;
  ITSM_RETURN_IF_ERROR(info.status());
  return info->id;
}

}  // namespace itsm::change
