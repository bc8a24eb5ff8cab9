// Change-caused incidents, from data only: whether a change possibly caused an incident, and the
// change with the link added. An incident is linked to a change that touched one of the
// incident's CIs, or a CI one of them depends on (the CMDB, upstream from the incident's CI),
// when the incident was raised while the change was being implemented or within `window` after
// it ended (docs/change.md, "Change-caused incidents").
//
//   std::optional<v1::CausedIncident> link = CauseOf(change, incident, suspects, window, now);
//   if (link) if (auto after = WithLink(change, *link)) ...;
#ifndef ITSM_SERVICES_CHANGE_CAUSED_INCIDENTS_H_
#define ITSM_SERVICES_CHANGE_CAUSED_INCIDENTS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"
#include "services/change/src/consumed_events.h"

namespace itsm::change {

// change.proto's limit on a change's links.
inline constexpr int kMaxCausedIncidents = 50;

// A CI a change may have touched to cause the incident: one of the incident's CIs (empty path)
// or a CI one of them depends on, with the CMDB path from the incident's CI to it.
struct SuspectCi {
  std::string ci_id = {};
  std::string incident_ci_id = {};
  std::vector<std::string> path = {};
};

// The link when `change` possibly caused `incident`: it names one of `suspects` (the one with
// the shortest path), its implementation started at or before the incident was raised, and it
// was still being implemented then or had ended at most `window` before. `names` gives CI names
// for the reason (ids where missing).
std::optional<v1::CausedIncident> CauseOf(const v1::Change& change, const IncidentSeen& incident,
                                          const std::vector<SuspectCi>& suspects,
                                          absl::Duration window,
                                          const std::map<std::string, std::string>& names,
                                          absl::Time now);

// `change` with `link` appended; nullopt when the incident is linked already or the change holds
// kMaxCausedIncidents links (the first ones are kept: they are the ones the review looks at).
std::optional<v1::Change> WithLink(const v1::Change& change, const v1::CausedIncident& link);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CAUSED_INCIDENTS_H_
