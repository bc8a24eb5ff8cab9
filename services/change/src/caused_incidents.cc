#include "services/change/src/caused_incidents.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/base/time_util.h"

namespace itsm::change {
namespace {

std::string NameOf(const std::map<std::string, std::string>& names, const std::string& id) {
  auto it = names.find(id);
  return it == names.end() ? id : it->second;
}

// A whole number of minutes or hours, for people.
std::string Span(absl::Duration d) {
  if (d < absl::Hours(2)) return absl::StrCat(absl::ToInt64Minutes(d), " min");
  return absl::StrCat(absl::ToInt64Hours(d), " h");
}

}  // namespace

std::optional<v1::CausedIncident> CauseOf(const v1::Change& change, const IncidentSeen& incident,
                                          const std::vector<SuspectCi>& suspects,
                                          absl::Duration window,
                                          const std::map<std::string, std::string>& names,
                                          absl::Time now) {
  if (!change.has_actual_start_time()) return std::nullopt;
  const absl::Time started = base::FromProtoTimestamp(change.actual_start_time());
  if (incident.create_time < started) return std::nullopt;
  std::string when;
  if (change.has_actual_end_time()) {
    const absl::Time ended = base::FromProtoTimestamp(change.actual_end_time());
    if (incident.create_time > ended + window) return std::nullopt;
    when = incident.create_time <= ended
               ? "during its implementation"
               : absl::StrCat(Span(incident.create_time - ended), " after it ended");
  } else if (change.state() == v1::CHANGE_STATE_IMPLEMENT) {
    when = "during its implementation";
  } else {
    return std::nullopt;  // cancelled while being implemented: no end to measure from
  }
  const std::set<std::string> touched(change.configuration_item_ids().begin(),
                                      change.configuration_item_ids().end());
  const SuspectCi* best = nullptr;
  for (const SuspectCi& s : suspects) {
    if (!touched.contains(s.ci_id)) continue;
    if (best == nullptr || s.path.size() < best->path.size()) best = &s;
  }
  if (best == nullptr) return std::nullopt;
  v1::CausedIncident link;
  link.set_incident_id(incident.id);
  link.set_incident_number(incident.number);
  link.set_incident_ci_id(best->incident_ci_id);
  link.set_ci_id(best->ci_id);
  // change.proto keeps at most 13 steps: a longer path keeps its two ends.
  if (best->path.size() <= 13) {
    for (const std::string& step : best->path) link.add_path(step);
  } else {
    link.add_path(best->path.front());
    link.add_path(best->path.back());
  }
  const std::string label = incident.number.empty() ? incident.id : incident.number;
  if (best->path.empty()) {
    link.set_reason(absl::StrCat(label, " was raised on ", NameOf(names, best->ci_id),
                                 ", changed by ", change.number(), ", ", when));
  } else {
    std::vector<std::string> steps;
    for (const std::string& step : best->path) steps.push_back(NameOf(names, step));
    std::string reason =
        absl::StrCat(label, " was raised on ", NameOf(names, best->incident_ci_id),
                     ", which depends on ", NameOf(names, best->ci_id), " (",
                     absl::StrJoin(steps, " -> "), "), changed by ", change.number(), ", ", when);
    if (reason.size() > 1000) {  // change.proto's limit; never cut inside a UTF-8 sequence
      size_t cut = 997;
      while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
      reason = reason.substr(0, cut) + "...";
    }
    link.set_reason(std::move(reason));
  }
  *link.mutable_incident_time() = base::ToProtoTimestamp(incident.create_time);
  *link.mutable_link_time() = base::ToProtoTimestamp(now);
  return link;
}

std::optional<v1::Change> WithLink(const v1::Change& change, const v1::CausedIncident& link) {
  if (change.caused_incidents_size() >= kMaxCausedIncidents) return std::nullopt;
  for (const v1::CausedIncident& l : change.caused_incidents()) {
    if (l.incident_id() == link.incident_id()) return std::nullopt;
  }
  v1::Change after = change;
  *after.add_caused_incidents() = link;
  return after;
}

}  // namespace itsm::change
