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

// Appends `s` to `out` as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, absl::string_view s);

}  // namespace itsm::runtime::log

#endif  // ITSM_RUNTIME_LOGGING_H_
