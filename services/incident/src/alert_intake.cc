#include "services/incident/src/alert_intake.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/base/status_macros.h"
#include "services/incident/src/alert_repository.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/text_bounds.h"

namespace itsm::incident {
namespace {

constexpr size_t kMaxCis = 100;
// The CIs alert intake sets are ids the CMDB gave it (or those the incident held): stored as
// they are, not asked about again.
const CiReferences kFromCmdb = {};
constexpr size_t kMaxService = 200;
constexpr size_t kMaxCauses = 500;
constexpr char kResolutionCode[] = "Resolved by monitoring";

std::vector<std::string> Union(const google::protobuf::RepeatedPtrField<std::string>& have,
                               const std::vector<std::string>& add) {
  std::vector<std::string> out(have.begin(), have.end());
  for (const std::string& id : add) {
    if (out.size() >= kMaxCis) break;
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

}  // namespace

absl::StatusOr<AlertFacts> AlertIntake::Gather(const v1::NotifyAlertmanagerRequest& request) const {
  ITSM_RETURN_IF_ERROR(ValidateNotification(request));
  AlertFacts facts;
  facts.service_value = settings_.ServiceValueOf(request);
  // A resolved notification opens nothing: nothing to map.
  if (request.status() == kResolved) return facts;
  if (cmdb_ == nullptr) {
    facts.not_mapped = "not looked up: the incident service has no configuration_address";
    return facts;
  }
  // Alerts the group's open incident already has need no lookup; a notification that may open
  // an incident (a new group, or one whose incident ended) needs them all. What is read here may
  // be a moment old: Notify decides again inside its transaction, and an alert found new there
  // but not looked up here is noted as not mapped.
  std::set<std::string> known;
  bool opens = true;
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    const std::string hash = GroupKeyHash(request.group_key());
    ITSM_ASSIGN_OR_RETURN(auto group, AlertRepository::GetGroup(*txn, hash));
    if (group && !group->incident_id.empty()) {
      auto incident = IncidentRepository::Get(*txn, group->incident_id);
      if (incident.ok() && IsOpen(*incident)) {
        opens = false;
        ITSM_ASSIGN_OR_RETURN(auto alerts, AlertRepository::ListAlerts(*txn, hash));
        for (const auto& [identity, status] : alerts) known.insert(identity);
      }
    }
  }
  for (const auto& alert : request.alerts()) {
    if (alert.status() != kFiring || known.contains(AlertIdentity(alert))) continue;
    const std::string value = settings_.CiValueOf(alert);
    if (value.empty() || facts.cis.contains(value)) continue;
    absl::StatusOr<std::optional<CmdbCi>> ci = cmdb_->FindCi(value, settings_.cmdb_depth);
    if (!ci.ok()) {
      facts.cis.clear();
      facts.not_mapped = "not looked up: the configuration service did not answer";
      return facts;
    }
    facts.cis[value] = *std::move(ci);
  }
  if (opens && !facts.service_value.empty()) {
    absl::StatusOr<std::optional<std::string>> service = cmdb_->FindService(facts.service_value);
    if (service.ok()) facts.service = *service;
  }
  return facts;
}

AlertIntake::Mapped AlertIntake::Map(const v1::NotifyAlertmanagerRequest& request,
                                     const AlertFacts& facts, bool firing_only) const {
  Mapped m;
  std::set<std::string> done;
  for (const auto& alert : request.alerts()) {
    if (firing_only && alert.status() != kFiring) continue;
    std::string label;
    const std::string value = settings_.CiValueOf(alert, &label);
    if (value.empty() || !done.insert(value).second) continue;
    auto it = facts.cis.find(value);
    if (it == facts.cis.end()) {
      m.notes.push_back(
          absl::StrCat(label, "=\"", value,
                       "\": ", facts.not_mapped.empty() ? "not looked up" : facts.not_mapped));
    } else if (!it->second.has_value()) {
      m.unknown.push_back(value);
      m.notes.push_back(absl::StrCat(label, "=\"", value, "\": no such CI in the CMDB"));
    } else {
      const CmdbCi& ci = *it->second;
      if (m.ci_ids.size() < kMaxCis &&
          std::find(m.ci_ids.begin(), m.ci_ids.end(), ci.id) == m.ci_ids.end()) {
        m.ci_ids.push_back(ci.id);
      }
      m.notes.push_back(absl::StrCat(label, "=\"", value, "\": CI ", ci.class_name, "/", ci.name,
                                     " (", ci.id, ")"));
      if (m.service.empty() && !ci.service.empty()) {
        m.service = ci.service;
        m.notes.push_back(absl::StrCat("service ", ci.service,
                                       ": the nearest business service "
                                       "depending on ",
                                       ci.class_name, "/", ci.name));
      }
    }
  }
  if (!facts.service_value.empty()) {
    // The label names the service: it wins over what the CMDB's relationships suggest.
    if (facts.service.has_value()) {
      m.service = *facts.service;
      m.notes.push_back(
          absl::StrCat("service \"", facts.service_value, "\": business service ", *facts.service));
    } else {
      m.service = facts.service_value;
      m.notes.push_back(absl::StrCat("service \"", facts.service_value,
                                     "\": no such business service in the CMDB (kept as given)"));
    }
  }
  m.service = TruncateChars(m.service, kMaxService);
  return m;
}

absl::Status AlertIntake::Note(storage::Transaction& txn, const base::Caller& caller,
                               const std::string& id, const std::string& text,
                               v1::Incident* after) const {
  v1::AddIncidentNoteRequest note;
  note.set_id(id);
  note.set_visibility(v1::NOTE_VISIBILITY_WORK_NOTE);
  note.set_text(text);
  v1::AddIncidentNoteResponse response;
  ITSM_RETURN_IF_ERROR(incidents_.AddNote(txn, caller, note, response));
  if (after != nullptr) *after = response.incident();
  return absl::OkStatus();
}

absl::Status AlertIntake::LinkParent(storage::Transaction& txn, const base::Caller& caller,
                                     const v1::Incident& child, const std::string& parent_id,
                                     v1::Incident& after) const {
  v1::UpdateIncidentRequest update;
  update.mutable_incident()->set_id(child.id());
  update.mutable_incident()->set_version(child.version());
  update.mutable_incident()->set_parent_incident_id(parent_id);
  update.mutable_update_mask()->add_paths("parent_incident_id");
  return incidents_.Update(txn, caller, update, kFromCmdb, after);
}

absl::Status AlertIntake::Resolve(storage::Transaction& txn, const base::Caller& caller,
                                  const v1::Incident& incident, const std::string& notes,
                                  v1::Incident& after) const {
  v1::TransitionIncidentRequest t;
  t.set_id(incident.id());
  t.set_version(incident.version());
  t.set_target_state(v1::INCIDENT_STATE_RESOLVED);
  t.set_resolution_code(kResolutionCode);
  t.set_resolution_notes(notes);
  v1::TransitionIncidentResponse answer;
  ITSM_RETURN_IF_ERROR(incidents_.Transition(txn, caller, t, answer));
  after = std::move(*answer.mutable_incident());
  return absl::OkStatus();
}

absl::Status AlertIntake::ResolveParentIfDone(storage::Transaction& txn, const base::Caller& caller,
                                              const std::string& parent_id) const {
  ITSM_ASSIGN_OR_RETURN(v1::Incident parent, IncidentRepository::Get(txn, parent_id));
  if (!IsOpen(parent)) return absl::OkStatus();
  v1::ListIncidentsRequest list;
  list.set_parent_incident_id(parent.id());
  list.mutable_page()->set_page_size(500);
  ITSM_ASSIGN_OR_RETURN(IncidentPage children, IncidentRepository::List(txn, list));
  // A storm larger than a page resolves by hand: better than resolving with a child still open.
  if (!children.next_page_token.empty()) return absl::OkStatus();
  for (const std::string& stored : children.incidents) {
    ITSM_ASSIGN_OR_RETURN(v1::Incident child, IncidentRepository::Decode(stored));
    if (IsOpen(child)) return absl::OkStatus();
  }
  v1::Incident after;
  return Resolve(txn, caller, parent,
                 absl::StrCat("Every incident of the alert storm (", children.incidents.size(),
                              ") is resolved."),
                 after);
}

absl::Status AlertIntake::Notify(storage::Transaction& txn, const base::Caller& caller,
                                 const v1::NotifyAlertmanagerRequest& request,
                                 const AlertFacts& facts,
                                 v1::NotifyAlertmanagerResponse& out) const {
  ITSM_RETURN_IF_ERROR(ValidateNotification(request));
  const absl::Time now = clock_.Now();
  const std::string hash = GroupKeyHash(request.group_key());
  const std::string digest = NotificationDigest(request);
  ITSM_ASSIGN_OR_RETURN(std::optional<AlertGroupRow> group, AlertRepository::GetGroup(txn, hash));
  if (!group) {
    if (request.status() == kResolved) {
      out.set_outcome(v1::ALERT_OUTCOME_IGNORED);
      return absl::OkStatus();
    }
    ITSM_ASSIGN_OR_RETURN(bool claimed, AlertRepository::ClaimGroup(txn, hash, request.group_key(),
                                                                    request.receiver(), now));
    if (claimed) {
      ITSM_RETURN_IF_ERROR(Open(txn, caller, request, facts, hash, "", out));
      return AlertRepository::UpdateGroup(
          txn, {hash, out.incident_id(), request.status(), digest, 1}, now);
    }
    // Another replica opened the group's incident a moment ago: its row is committed now.
    ITSM_ASSIGN_OR_RETURN(group, AlertRepository::GetGroup(txn, hash));
    if (!group || group->incident_id.empty()) {
      return absl::UnavailableError("alert group: a concurrent notification failed; retry");
    }
  }
  ITSM_ASSIGN_OR_RETURN(v1::Incident incident, IncidentRepository::Get(txn, group->incident_id));
  out.set_incident_id(incident.id());
  out.set_incident_number(incident.number());
  if (!incident.parent_incident_id().empty()) {
    ITSM_ASSIGN_OR_RETURN(v1::Incident parent,
                          IncidentRepository::Get(txn, incident.parent_incident_id()));
    out.set_parent_incident_id(parent.id());
    out.set_parent_incident_number(parent.number());
  }
  AlertGroupRow next = *group;
  next.notifications += 1;
  if (group->digest == digest) {
    // A retry, or Alertmanager's repeat_interval: nothing new for the incident.
    out.set_outcome(v1::ALERT_OUTCOME_UNCHANGED);
    return AlertRepository::UpdateGroup(txn, next, now);
  }
  next.status = request.status();
  next.digest = digest;

  // What changed, alert by alert.
  ITSM_ASSIGN_OR_RETURN(auto seen_rows, AlertRepository::ListAlerts(txn, hash));
  const std::map<std::string, std::string> seen(seen_rows.begin(), seen_rows.end());
  std::vector<std::string> lines;
  v1::NotifyAlertmanagerRequest joined;  // the alerts that joined, for their CIs
  for (const auto& alert : request.alerts()) {
    const std::string identity = AlertIdentity(alert);
    auto it = seen.find(identity);
    const std::string before = it == seen.end() ? "" : it->second;
    if (before == alert.status()) continue;
    if (alert.status() == kFiring) {
      lines.push_back(
          absl::StrCat(before.empty() ? "joined the group: " : "fires again: ", AlertLine(alert)));
      if (before.empty()) *joined.add_alerts() = alert;
    } else {
      lines.push_back(absl::StrCat("resolved: ", AlertLine(alert)));
    }
    ITSM_RETURN_IF_ERROR(AlertRepository::UpsertAlert(txn, hash, identity, alert.status(), now));
  }

  if (request.status() == kFiring) {
    if (incident.state() == v1::INCIDENT_STATE_CLOSED ||
        incident.state() == v1::INCIDENT_STATE_CANCELLED) {
      // The group fires again after its incident ended for good: a new incident.
      ITSM_RETURN_IF_ERROR(AlertRepository::DeleteAlerts(txn, hash));
      ITSM_RETURN_IF_ERROR(Open(txn, caller, request, facts, hash, incident.number(), out));
      next.incident_id = out.incident_id();
      return AlertRepository::UpdateGroup(txn, next, now);
    }
    if (incident.state() == v1::INCIDENT_STATE_RESOLVED && group->status == kResolved) {
      v1::TransitionIncidentRequest reopen;
      reopen.set_id(incident.id());
      reopen.set_version(incident.version());
      reopen.set_target_state(v1::INCIDENT_STATE_IN_PROGRESS);
      v1::TransitionIncidentResponse answer;
      absl::Status reopened = incidents_.Transition(txn, caller, reopen, answer);
      if (absl::IsFailedPrecondition(reopened)) {
        // Past the reopen window: a new incident, as for a closed one.
        ITSM_RETURN_IF_ERROR(AlertRepository::DeleteAlerts(txn, hash));
        ITSM_RETURN_IF_ERROR(Open(txn, caller, request, facts, hash, incident.number(), out));
        next.incident_id = out.incident_id();
        return AlertRepository::UpdateGroup(txn, next, now);
      }
      ITSM_RETURN_IF_ERROR(reopened);
      out.set_outcome(v1::ALERT_OUTCOME_REOPENED);
      ITSM_RETURN_IF_ERROR(Note(txn, caller, incident.id(),
                                NoteText("The alert group fires again (reopened):", lines)));
      return AlertRepository::UpdateGroup(txn, next, now);
    }
    out.set_outcome(lines.empty() ? v1::ALERT_OUTCOME_UNCHANGED : v1::ALERT_OUTCOME_NOTED);
    if (!lines.empty()) {
      const Mapped m = Map(joined, facts, true);
      std::vector<std::string> note_lines = lines;
      for (const std::string& n : m.notes) note_lines.push_back(absl::StrCat("CMDB: ", n));
      for (const std::string& u : m.unknown) out.add_unknown_configuration_items(u);
      v1::Incident after;
      ITSM_RETURN_IF_ERROR(
          Note(txn, caller, incident.id(), NoteText("Alertmanager:", note_lines), &after));
      const std::vector<std::string> cis = Union(after.configuration_item_ids(), m.ci_ids);
      if (IsOpen(after) && static_cast<int>(cis.size()) != after.configuration_item_ids_size()) {
        v1::UpdateIncidentRequest update;
        update.mutable_incident()->set_id(after.id());
        update.mutable_incident()->set_version(after.version());
        for (const std::string& id : cis) update.mutable_incident()->add_configuration_item_ids(id);
        update.mutable_update_mask()->add_paths("configuration_item_ids");
        v1::Incident updated;
        ITSM_RETURN_IF_ERROR(incidents_.Update(txn, caller, update, kFromCmdb, updated));
      }
    }
    return AlertRepository::UpdateGroup(txn, next, now);
  }

  // Every alert of the group is resolved.
  ITSM_RETURN_IF_ERROR(AlertRepository::DeleteAlerts(txn, hash));
  const std::string text = NoteText("Every alert of the group is resolved:", lines);
  if (settings_.resolution == AlertResolution::kResolve && IsOpen(incident)) {
    v1::Incident after;
    ITSM_RETURN_IF_ERROR(Resolve(txn, caller, incident, text, after));
    out.set_outcome(v1::ALERT_OUTCOME_RESOLVED);
    if (!incident.parent_incident_id().empty()) {
      ITSM_RETURN_IF_ERROR(Note(txn, caller, incident.parent_incident_id(),
                                absl::StrCat(incident.number(), ": every alert resolved")));
      ITSM_RETURN_IF_ERROR(ResolveParentIfDone(txn, caller, incident.parent_incident_id()));
    }
  } else {
    ITSM_RETURN_IF_ERROR(Note(txn, caller, incident.id(), text));
    out.set_outcome(v1::ALERT_OUTCOME_NOTED);
  }
  return AlertRepository::UpdateGroup(txn, next, now);
}

absl::Status AlertIntake::Open(storage::Transaction& txn, const base::Caller& caller,
                               const v1::NotifyAlertmanagerRequest& request,
                               const AlertFacts& facts, const std::string& group_hash,
                               const std::string& follows,
                               v1::NotifyAlertmanagerResponse& out) const {
  const Mapped m = Map(request, facts, true);
  const ImpactUrgency level = settings_.LevelOf(request, matrix_);
  v1::CreateIncidentRequest create;
  create.set_title(IncidentTitle(request));
  std::string description = IncidentDescription(request, m.notes);
  if (!follows.empty()) {
    description = TruncateChars(
        absl::StrCat("The alert group's earlier incident was ", follows, ".\n", description),
        20000);
  }
  create.set_description(description);
  create.set_service(m.service);
  for (const std::string& id : m.ci_ids) create.add_configuration_item_ids(id);
  create.set_category(settings_.category);
  create.set_impact(level.impact);
  create.set_urgency(level.urgency);
  create.set_assignment_group(settings_.assignment_group);
  v1::Incident incident;
  ITSM_RETURN_IF_ERROR(incidents_.Create(txn, caller, create, kFromCmdb, incident));
  for (const auto& alert : request.alerts()) {
    ITSM_RETURN_IF_ERROR(AlertRepository::UpsertAlert(txn, group_hash, AlertIdentity(alert),
                                                      alert.status(), clock_.Now()));
  }
  out.set_outcome(v1::ALERT_OUTCOME_OPENED);
  out.set_incident_id(incident.id());
  out.set_incident_number(incident.number());
  for (const std::string& u : m.unknown) out.add_unknown_configuration_items(u);
  if (settings_.storm_threshold <= 0 || m.ci_ids.empty()) return absl::OkStatus();
  return FoldStorm(txn, caller, group_hash, facts, incident, out);
}

absl::Status AlertIntake::FoldStorm(storage::Transaction& txn, const base::Caller& caller,
                                    const std::string& group_hash, const AlertFacts& facts,
                                    v1::Incident& incident,
                                    v1::NotifyAlertmanagerResponse& out) const {
  const absl::Time now = clock_.Now();
  const absl::Time since = now - settings_.storm_window;
  // This group's causes: its own CIs (depth 0) and everything upstream of them.
  std::map<std::string, int> causes;
  std::map<std::string, std::string> names;
  for (const std::string& id : incident.configuration_item_ids()) causes[id] = 0;
  for (const auto& [value, ci] : facts.cis) {
    if (!ci || !causes.contains(ci->id)) continue;
    names[ci->id] = absl::StrCat(ci->class_name, "/", ci->name);
    for (const UpstreamCi& up : ci->upstream) {
      if (causes.size() >= kMaxCauses) break;
      auto [it, inserted] = causes.emplace(up.id, up.depth);
      if (!inserted) it->second = std::min(it->second, up.depth);
      names.emplace(up.id, up.name);
    }
  }
  // The group row must name its incident before other groups' storms can find it.
  ITSM_RETURN_IF_ERROR(
      AlertRepository::AddCauses(txn, group_hash, {causes.begin(), causes.end()}, now, since));
  ITSM_RETURN_IF_ERROR(txn.Execute("UPDATE alert_groups SET incident_id = $2 WHERE group_hash = $1",
                                   {group_hash, incident.id()})
                           .status());

  std::string parent_id;
  ITSM_ASSIGN_OR_RETURN(std::optional<StormRow> storm,
                        AlertRepository::ActiveStorm(txn, group_hash, since));
  if (storm) {
    ITSM_ASSIGN_OR_RETURN(v1::Incident parent,
                          IncidentRepository::Get(txn, storm->parent_incident_id));
    if (IsOpen(parent)) {
      parent_id = parent.id();
      ITSM_RETURN_IF_ERROR(AlertRepository::TouchStorm(txn, storm->cause_ci_id, now));
      v1::Incident child;
      ITSM_RETURN_IF_ERROR(LinkParent(txn, caller, incident, parent_id, child));
      incident = child;
      ITSM_RETURN_IF_ERROR(
          Note(txn, caller, parent_id,
               absl::StrCat("The storm grew: ", incident.number(), " ", incident.title())));
      out.set_parent_incident_id(parent.id());
      out.set_parent_incident_number(parent.number());
      return absl::OkStatus();
    }
  }
  ITSM_ASSIGN_OR_RETURN(std::vector<CauseCount> counts,
                        AlertRepository::CountCauses(txn, group_hash, since));
  const std::optional<std::string> cause = StormCause(counts, settings_.storm_threshold);
  if (!cause) return absl::OkStatus();

  // The storm's incidents: every open, parentless incident of a group with this cause.
  ITSM_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                        AlertRepository::IncidentsWithCause(txn, *cause, since));
  std::vector<v1::Incident> children;
  std::set<std::string> done;
  int impact = matrix_.impact_levels();
  int urgency = matrix_.urgency_levels();
  for (const std::string& id : ids) {
    if (!done.insert(id).second) continue;
    ITSM_ASSIGN_OR_RETURN(v1::Incident child, IncidentRepository::Get(txn, id));
    if (!IsOpen(child) || !child.parent_incident_id().empty()) continue;
    if (matrix_.PriorityFor(child.impact(), child.urgency()) <
        matrix_.PriorityFor(impact, urgency)) {
      impact = child.impact();
      urgency = child.urgency();
    }
    children.push_back(std::move(child));
  }
  // One open incident is no storm to fold (the others of the window were resolved already).
  if (children.size() < 2) return absl::OkStatus();
  const std::string cause_name =
      names.contains(*cause) && !names[*cause].empty() ? names[*cause] : *cause;
  v1::CreateIncidentRequest create;
  create.set_title(TruncateChars(absl::StrCat("Alert storm: ", children.size(),
                                              " alert groups on CIs depending on ", cause_name),
                                 200));
  std::vector<std::string> lines;
  for (const auto& child : children)
    lines.push_back(absl::StrCat(child.number(), " ", child.title()));
  create.set_description(NoteText(
      absl::StrCat("Alertmanager opened these incidents within ",
                   absl::FormatDuration(settings_.storm_window), " on CIs that the CMDB shows ",
                   "depend on ", cause_name, " (", *cause, "): one cause, one parent incident."),
      lines));
  create.add_configuration_item_ids(*cause);
  create.set_category(settings_.category);
  create.set_impact(impact);
  create.set_urgency(urgency);
  create.set_assignment_group(settings_.assignment_group);
  v1::Incident parent;
  ITSM_RETURN_IF_ERROR(incidents_.Create(txn, caller, create, kFromCmdb, parent));
  // A storm still recorded as growing whose parent was resolved by hand has ended too.
  ITSM_ASSIGN_OR_RETURN(bool claimed,
                        AlertRepository::ClaimStorm(txn, *cause, parent.id(), now, since,
                                                    storm ? storm->parent_incident_id : ""));
  if (!claimed) {
    // A concurrent notification (another replica) folded the same storm first; this whole
    // unit is undone and Alertmanager's retry joins that storm.
    return absl::UnavailableError("alert storm: folded concurrently by another call; retry");
  }
  for (const auto& child : children) {
    v1::Incident linked;
    ITSM_RETURN_IF_ERROR(LinkParent(txn, caller, child, parent.id(), linked));
    if (linked.id() == incident.id()) incident = linked;
  }
  out.set_parent_incident_id(parent.id());
  out.set_parent_incident_number(parent.number());
  return absl::OkStatus();
}

}  // namespace itsm::incident
