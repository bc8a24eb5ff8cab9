// Structured logs: one JSON object per line on stderr (or readable text with log_format=text),
// with the service name, level, message and typed fields such as the request id.
//
//   log::Info("incident created", {{"request_id", rid}, {"incident_id", id}, {"priority", 2}});
#ifndef ITSM_RUNTIME_LOGGING_H_
#define ITSM_RUNTIME_LOGGING_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"

namespace itsm::runtime::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

// A text value keeps at most this many bytes (cut at a character boundary, with a note of its
// length): no value a client sent, however long, makes a line longer than a few of these.
inline constexpr size_t kMaxFieldBytes = 2048;

// One key and its value already rendered as JSON.
struct Field {
  Field(absl::string_view k, absl::string_view v);
  Field(absl::string_view k, const std::string& v) : Field(k, absl::string_view(v)) {}
  Field(absl::string_view k, const char* v) : Field(k, absl::string_view(v)) {}
  Field(absl::string_view k, int64_t v);
  Field(absl::string_view k, int v) : Field(k, static_cast<int64_t>(v)) {}
  Field(absl::string_view k, double v);
  Field(absl::string_view k, bool v);
  std::string key;
  std::string json;
};
using Fields = std::initializer_list<Field>;

// Called once in main. Before it, logs go to stderr as JSON with service "itsm".
void Init(absl::string_view service, absl::string_view level, absl::string_view format);
bool Enabled(Level level);
void Write(Level level, absl::string_view message, Fields fields = {});

inline void Debug(absl::string_view m, Fields f = {}) { Write(Level::kDebug, m, f); }
inline void Info(absl::string_view m, Fields f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(absl::string_view m, Fields f = {}) { Write(Level::kWarn, m, f); }
inline void Error(absl::string_view m, Fields f = {}) { Write(Level::kError, m, f); }

// Whether one more line of `kind` fits in this second's budget for it (`per_second` lines).
// Lines that any caller can cause by the thousand a second — a call refused or failed, a request
// refused at the gateway — are written only within it, so that no client fills the disk with the
// log (metrics still count every call). The first line of a kind written after some were left
// out is preceded by a warning "log lines left out" with their number. Kinds are a few fixed
// strings.
bool WithinBudget(absl::string_view kind, int per_second = 100);

// Appends `s` to `out` as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, absl::string_view s);

}  // namespace itsm::runtime::log

#endif  // ITSM_RUNTIME_LOGGING_H_
