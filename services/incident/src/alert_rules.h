// The domain rules of turning Alertmanager notifications into incidents, with no gRPC, SQL or
// Kafka in them: validation of a notification (every error names its field), the settings
// (label names, the severity table, resolution mode, storm window), an alert's identity, a
// notification's digest (what tells a retry from news), the texts of the incident and its work
// notes, and the choice of a storm's common cause.
//
//   ITSM_ASSIGN_OR_RETURN(AlertSettings settings, AlertSettings::Parse(text_options, matrix));
//   ITSM_RETURN_IF_ERROR(ValidateNotification(request));
//   ImpactUrgency level = settings.LevelOf(request);     // from the severity label
//   std::string title = IncidentTitle(request);
#ifndef ITSM_SERVICES_INCIDENT_ALERT_RULES_H_
#define ITSM_SERVICES_INCIDENT_ALERT_RULES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/incident/v1/alerts.pb.h"
#include "services/incident/src/priority_matrix.h"

namespace itsm::incident {

inline constexpr char kFiring[] = "firing";
inline constexpr char kResolved[] = "resolved";

struct ImpactUrgency {
  int impact = 3;
  int urgency = 3;
};

enum class AlertResolution { kResolve, kAnnotate };

// The configurable parts (docs/settings.md, itsm-incident, alert_*).
struct AlertSettings {
  // Label names tried in order for an alert's CI (the first one present wins).
  std::vector<std::string> ci_labels = {"ci", "instance"};
  // Label names tried in order for the affected business service.
  std::vector<std::string> service_labels = {"service"};
  std::string severity_label = "severity";
  // Severity value (lower case) -> impact/urgency; "*" for any other value or none.
  std::map<std::string, ImpactUrgency> severities = {};
  AlertResolution resolution = AlertResolution::kResolve;
  // CMDB relationships followed from an alert's CI: upstream for storm causes, downstream for
  // its business service.
  int cmdb_depth = 3;
  // A storm: at least storm_threshold alert groups opened within storm_window on CIs sharing
  // an upstream CI (or on that CI itself). 0 turns folding off.
  int storm_threshold = 5;
  absl::Duration storm_window = absl::Minutes(5);
  std::string category = "monitoring";
  std::string assignment_group = {};

  struct Text {
    std::string ci_labels;
    std::string service_labels;
    std::string severity_label;
    std::string severity_priorities;  // "critical=1:1,warning=2:2,*=3:3"
    std::string resolution;           // "resolve" | "annotate"
  };
  // INVALID_ARGUMENT naming the setting; levels are checked against the matrix's scales.
  static absl::StatusOr<AlertSettings> Parse(const Text& text, const PriorityMatrix& matrix);

  // The most urgent level among the firing alerts' severities (an alert's own label, else the
  // common label), by the priority the matrix gives it.
  ImpactUrgency LevelOf(const v1::NotifyAlertmanagerRequest& request,
                        const PriorityMatrix& matrix) const;
  // The first configured CI label present on the alert ("" when none); `label` gets its name.
  std::string CiValueOf(const v1::AlertmanagerAlert& alert, std::string* label = nullptr) const;
  // The first configured service label on the alerts or the common labels ("" when none).
  std::string ServiceValueOf(const v1::NotifyAlertmanagerRequest& request) const;
};

// INVALID_ARGUMENT naming the first bad field (version, group_key, status, alerts[i].status,
// alerts[i].labels, alerts[i].fingerprint). Field lengths and counts are the declared limits,
// checked before.
absl::Status ValidateNotification(const v1::NotifyAlertmanagerRequest& request);

// The alert's identity within its group: Alertmanager's fingerprint, or, from senders that
// leave it out, a hash of its sorted labels.
std::string AlertIdentity(const v1::AlertmanagerAlert& alert);

// 64 hex digits of SHA-256: the group key's stored key (group keys may be long).
std::string GroupKeyHash(const std::string& group_key);

// What makes a notification news: the group's status and each alert's identity, status and
// times, in a stable order. Annotations are left out (their values move with every evaluation),
// so a retry or a repeat_interval repeat has the same digest.
std::string NotificationDigest(const v1::NotifyAlertmanagerRequest& request);

// "<alertname>: <summary>" (or what there is of it), at most 200 characters.
std::string IncidentTitle(const v1::NotifyAlertmanagerRequest& request);

// The alerts of the notification, their labels, annotations and links, and the CMDB mapping
// (`mapping_notes`), at most 20,000 characters.
std::string IncidentDescription(const v1::NotifyAlertmanagerRequest& request,
                                const std::vector<std::string>& mapping_notes);

// One line per alert: "+ firing HighLatency {instance="web-1:9100"} since 2024-...".
std::string AlertLine(const v1::AlertmanagerAlert& alert);

// A work note (at most 20,000 characters) from its lines.
std::string NoteText(const std::string& heading, const std::vector<std::string>& lines);

// Storm causes: for each candidate CI, how many alert groups in the window have it as their own
// CI or upstream of it (this group included), and the sum of the depths (nearer is better).
struct CauseCount {
  std::string ci_id = {};
  int groups = 0;
  int depth_sum = 0;
};
// The cause the storm is folded under: the most groups (at least `threshold`), then the nearest,
// then the smallest id (stable across replicas). None below the threshold.
std::optional<std::string> StormCause(const std::vector<CauseCount>& counts, int threshold);

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_ALERT_RULES_H_
