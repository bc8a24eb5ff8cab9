#include "services/incident/src/alert_rules.h"

#include <openssl/evp.h>

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/time_util.h"
#include "services/incident/src/text_bounds.h"

namespace itsm::incident {
namespace {

constexpr size_t kMaxTitle = 200;
constexpr size_t kMaxText = 20000;

std::vector<std::string> NameList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

absl::Status CheckLabelNames(const char* setting, const std::vector<std::string>& names) {
  if (names.empty()) return absl::InvalidArgumentError(absl::StrCat(setting, ": names no label"));
  for (const std::string& n : names) {
    const bool ok = !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting, ": \"", n, "\" is not a Prometheus label name"));
    }
  }
  return absl::OkStatus();
}

std::string Label(const google::protobuf::Map<std::string, std::string>& labels,
                  const std::string& name) {
  auto it = labels.find(name);
  return it == labels.end() ? std::string() : it->second;
}

std::string SortedLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(k, "=\"", v, "\""));
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

bool IsZeroTime(const google::protobuf::Timestamp& ts) {
  // Alertmanager's Go zero time (0001-01-01T00:00:00Z) or an absent timestamp.
  return (ts.seconds() == 0 && ts.nanos() == 0) || ts.seconds() <= -62135596800;
}

}  // namespace

absl::StatusOr<AlertSettings> AlertSettings::Parse(const Text& text, const PriorityMatrix& matrix) {
  AlertSettings s;
  s.ci_labels = NameList(text.ci_labels);
  if (absl::Status bad = CheckLabelNames("alert_ci_labels", s.ci_labels); !bad.ok()) return bad;
  s.service_labels = NameList(text.service_labels);
  if (absl::Status bad = CheckLabelNames("alert_service_labels", s.service_labels); !bad.ok()) {
    return bad;
  }
  s.severity_label = std::string(absl::StripAsciiWhitespace(text.severity_label));
  if (absl::Status bad = CheckLabelNames("alert_severity_label", {s.severity_label}); !bad.ok()) {
    return bad;
  }
  for (absl::string_view entry :
       absl::StrSplit(text.severity_priorities, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(entry, '=');
    std::vector<absl::string_view> levels =
        kv.size() == 2 ? absl::StrSplit(kv[1], ':') : std::vector<absl::string_view>{};
    ImpactUrgency level;
    if (levels.size() != 2 ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(levels[0]), &level.impact) ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(levels[1]), &level.urgency)) {
      return absl::InvalidArgumentError(absl::StrCat("alert_severity_priorities: \"", entry,
                                                     "\" is not severity=impact:urgency"));
    }
    if (level.impact < 1 || level.impact > matrix.impact_levels() || level.urgency < 1 ||
        level.urgency > matrix.urgency_levels()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alert_severity_priorities: \"", entry, "\" is outside the priority matrix (impact 1..",
          matrix.impact_levels(), ", urgency 1..", matrix.urgency_levels(), ")"));
    }
    s.severities[absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv[0]))] = level;
  }
  if (!s.severities.contains("*")) {
    return absl::InvalidArgumentError(
        "alert_severity_priorities: needs a \"*\" entry (any other severity, or none)");
  }
  if (text.resolution == "resolve") {
    s.resolution = AlertResolution::kResolve;
  } else if (text.resolution == "annotate") {
    s.resolution = AlertResolution::kAnnotate;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("alert_resolution: \"", text.resolution,
                                                   "\" is neither resolve nor annotate"));
  }
  return s;
}

ImpactUrgency AlertSettings::LevelOf(const v1::NotifyAlertmanagerRequest& request,
                                     const PriorityMatrix& matrix) const {
  auto level_of = [&](const std::string& severity) {
    auto it = severities.find(absl::AsciiStrToLower(severity));
    return it == severities.end() ? severities.at("*") : it->second;
  };
  const std::string common = Label(request.common_labels(), severity_label);
  std::optional<ImpactUrgency> best;
  for (const auto& alert : request.alerts()) {
    if (alert.status() != kFiring) continue;
    std::string severity = Label(alert.labels(), severity_label);
    if (severity.empty()) severity = common;
    const ImpactUrgency level = level_of(severity);
    if (!best || matrix.PriorityFor(level.impact, level.urgency) <
                     matrix.PriorityFor(best->impact, best->urgency)) {
      best = level;
    }
  }
  return best.value_or(level_of(common));
}

std::string AlertSettings::CiValueOf(const v1::AlertmanagerAlert& alert, std::string* label) const {
  for (const std::string& name : ci_labels) {
    std::string value = Label(alert.labels(), name);
    if (!value.empty()) {
      if (label != nullptr) *label = name;
      return value;
    }
  }
  return "";
}

std::string AlertSettings::ServiceValueOf(const v1::NotifyAlertmanagerRequest& request) const {
  for (const std::string& name : service_labels) {
    if (std::string v = Label(request.common_labels(), name); !v.empty()) return v;
    for (const auto& alert : request.alerts()) {
      if (std::string v = Label(alert.labels(), name); !v.empty()) return v;
    }
  }
  return "";
}

absl::Status ValidateNotification(const v1::NotifyAlertmanagerRequest& request) {
  if (request.version() != "4") {
    return base::FieldError("version", absl::StrCat("must be \"4\" (Alertmanager's webhook "
                                                    "payload version), got \"",
                                                    request.version(), "\""));
  }
  if (request.group_key().empty()) return base::FieldError("group_key", "required");
  if (request.status() != kFiring && request.status() != kResolved) {
    return base::FieldError("status", "must be \"firing\" or \"resolved\"");
  }
  if (request.alerts().empty()) return base::FieldError("alerts", "at least one alert");
  if (request.truncated_alerts() < 0) {
    return base::FieldError("truncated_alerts", "must not be negative");
  }
  bool any_firing = false;
  for (int i = 0; i < request.alerts_size(); ++i) {
    const auto& alert = request.alerts(i);
    const std::string at = absl::StrCat("alerts[", i, "]");
    if (alert.status() != kFiring && alert.status() != kResolved) {
      return base::FieldError(at + ".status", "must be \"firing\" or \"resolved\"");
    }
    any_firing = any_firing || alert.status() == kFiring;
    if (alert.labels().empty()) return base::FieldError(at + ".labels", "at least one label");
    if (!alert.fingerprint().empty() &&
        !std::all_of(alert.fingerprint().begin(), alert.fingerprint().end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); })) {
      return base::FieldError(at + ".fingerprint", "must be hexadecimal");
    }
  }
  if ((request.status() == kFiring) != any_firing) {
    return base::FieldError("status", request.status() == kFiring
                                          ? "\"firing\" but no alert fires"
                                          : "\"resolved\" but an alert still fires");
  }
  return absl::OkStatus();
}

std::string AlertIdentity(const v1::AlertmanagerAlert& alert) {
  if (!alert.fingerprint().empty()) return absl::AsciiStrToLower(alert.fingerprint());
  return GroupKeyHash(SortedLabels(alert.labels())).substr(0, 16);
}

std::string GroupKeyHash(const std::string& group_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(group_key.data(), group_key.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string NotificationDigest(const v1::NotifyAlertmanagerRequest& request) {
  std::vector<std::string> alerts;
  for (const auto& alert : request.alerts()) {
    alerts.push_back(absl::StrCat(AlertIdentity(alert), "/", alert.status(), "/",
                                  alert.starts_at().seconds(), ".", alert.starts_at().nanos(), "/",
                                  IsZeroTime(alert.ends_at()) ? 0 : alert.ends_at().seconds()));
  }
  std::sort(alerts.begin(), alerts.end());
  return GroupKeyHash(absl::StrCat(request.status(), "|", absl::StrJoin(alerts, "|")));
}

std::string IncidentTitle(const v1::NotifyAlertmanagerRequest& request) {
  std::string name = Label(request.common_labels(), "alertname");
  std::string summary = Label(request.common_annotations(), "summary");
  for (const auto& alert : request.alerts()) {
    if (name.empty()) name = Label(alert.labels(), "alertname");
    if (summary.empty()) summary = Label(alert.annotations(), "summary");
  }
  if (name.empty()) name = "Alert";
  std::string title = summary.empty() ? name : absl::StrCat(name, ": ", summary);
  // A title is one line.
  std::replace_if(
      title.begin(), title.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return TruncateChars(std::string(absl::StripAsciiWhitespace(title)), kMaxTitle);
}

std::string AlertLine(const v1::AlertmanagerAlert& alert) {
  std::string line = absl::StrCat(alert.status(), " ", Label(alert.labels(), "alertname"), " ",
                                  SortedLabels(alert.labels()), " since ",
                                  base::FormatRfc3339(base::FromProtoTimestamp(alert.starts_at())));
  if (alert.status() == kResolved && !IsZeroTime(alert.ends_at())) {
    absl::StrAppend(&line, ", ended ",
                    base::FormatRfc3339(base::FromProtoTimestamp(alert.ends_at())));
  }
  absl::StrAppend(&line, " [", AlertIdentity(alert), "]");
  return line;
}

std::string IncidentDescription(const v1::NotifyAlertmanagerRequest& request,
                                const std::vector<std::string>& mapping_notes) {
  std::string out = absl::StrCat("Opened by Alertmanager (receiver \"", request.receiver(),
                                 "\") for the alert group ", request.group_key(), "\n");
  if (!request.external_url().empty()) absl::StrAppend(&out, request.external_url(), "\n");
  for (const auto& [k, v] : std::map<std::string, std::string>(
           request.common_annotations().begin(), request.common_annotations().end())) {
    absl::StrAppend(&out, k, ": ", v, "\n");
  }
  absl::StrAppend(&out, "\nAlerts (", request.alerts_size(), ")");
  if (request.truncated_alerts() > 0) {
    absl::StrAppend(&out, ", ", request.truncated_alerts(), " more left out by Alertmanager");
  }
  absl::StrAppend(&out, ":\n");
  for (const auto& alert : request.alerts()) {
    absl::StrAppend(&out, "- ", AlertLine(alert), "\n");
    for (const auto& [k, v] : std::map<std::string, std::string>(alert.annotations().begin(),
                                                                 alert.annotations().end())) {
      if (request.common_annotations().contains(k)) continue;
      absl::StrAppend(&out, "  ", k, ": ", v, "\n");
    }
    if (!alert.generator_url().empty()) absl::StrAppend(&out, "  ", alert.generator_url(), "\n");
  }
  if (!mapping_notes.empty()) {
    absl::StrAppend(&out, "\nCMDB:\n- ", absl::StrJoin(mapping_notes, "\n- "), "\n");
  }
  return TruncateChars(out, kMaxText);
}

std::string NoteText(const std::string& heading, const std::vector<std::string>& lines) {
  std::string out = heading;
  for (const std::string& line : lines) absl::StrAppend(&out, "\n- ", line);
  return TruncateChars(out, kMaxText);
}

std::optional<std::string> StormCause(const std::vector<CauseCount>& counts, int threshold) {
  if (threshold <= 0) return std::nullopt;
  const CauseCount* best = nullptr;
  for (const CauseCount& c : counts) {
    if (c.groups < threshold) continue;
    if (best == nullptr || std::make_tuple(-c.groups, c.depth_sum, c.ci_id) <
                               std::make_tuple(-best->groups, best->depth_sum, best->ci_id)) {
      best = &c;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->ci_id;
}

}  // namespace itsm::incident
