#include "itsm/runtime/logging.h"

#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace itsm::runtime::log {
namespace {

struct State {
  std::string service = "itsm";
  bool json = true;
  Level level = Level::kInfo;
  // spdlog serialises writes from many threads into whole lines; we format the line ourselves.
  std::shared_ptr<spdlog::logger> logger = [] {
    auto l =
        std::make_shared<spdlog::logger>("itsm", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
};

State& GetState() {
  static State* state = new State();  // never destroyed: threads may log during exit
  return *state;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

Field::Field(absl::string_view k, absl::string_view v) : key(k) {
  if (v.size() <= kMaxFieldBytes) {
    AppendJsonString(&json, v);
    return;
  }
  size_t cut = kMaxFieldBytes;
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
  AppendJsonString(&json, absl::StrCat(v.substr(0, cut), "... (", v.size(), " bytes)"));
}
Field::Field(absl::string_view k, int64_t v) : key(k), json(absl::StrCat(v)) {}
Field::Field(absl::string_view k, double v) : key(k), json(absl::StrCat(v)) {}
Field::Field(absl::string_view k, bool v) : key(k), json(v ? "true" : "false") {}

void Init(absl::string_view service, absl::string_view level, absl::string_view format) {
  State& s = GetState();
  s.service = std::string(service);
  s.json = format != "text";
  if (level == "trace")
    s.level = Level::kTrace;
  else if (level == "debug")
    s.level = Level::kDebug;
  else if (level == "warn")
    s.level = Level::kWarn;
  else if (level == "error")
    s.level = Level::kError;
  else
    s.level = Level::kInfo;
}

bool Enabled(Level level) { return level >= GetState().level; }

bool WithinBudget(absl::string_view kind, int per_second) {
  struct Budget {
    int64_t second = 0;
    int used = 0;
    int64_t left_out = 0;
  };
  static absl::Mutex mu(absl::kConstInit);
  static auto* budgets = new absl::flat_hash_map<std::string, Budget>();  // never destroyed
  const int64_t second = absl::ToUnixSeconds(absl::Now());
  int64_t left_out = 0;
  {
    absl::MutexLock lock(&mu);
    Budget& budget = (*budgets)[kind];
    if (budget.second != second) {
      budget.second = second;
      budget.used = 0;
    }
    if (budget.used >= per_second) {
      ++budget.left_out;
      return false;
    }
    ++budget.used;
    left_out = std::exchange(budget.left_out, 0);
  }
  if (left_out > 0) {
    Warn("log lines left out", {{"kind", kind}, {"count", left_out}, {"per_second", per_second}});
  }
  return true;
}

void Write(Level level, absl::string_view message, Fields fields) {
  State& s = GetState();
  if (level < s.level) return;
  const absl::Time now = absl::Now();
  std::string line;
  if (s.json) {
    line = absl::StrCat("{\"ts\":\"",
                        absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", now, absl::UTCTimeZone()),
                        "\",\"level\":\"", LevelName(level), "\",\"service\":");
    AppendJsonString(&line, s.service);
    line.append(",\"msg\":");
    AppendJsonString(&line, message);
    for (const Field& f : fields) {
      line.push_back(',');
      AppendJsonString(&line, f.key);
      line.push_back(':');
      line.append(f.json);
    }
    line.push_back('}');
  } else {
    line = absl::StrCat(absl::FormatTime("%H:%M:%E3S", now, absl::LocalTimeZone()), " ",
                        LevelName(level), " ", s.service, ": ", message);
    for (const Field& f : fields) absl::StrAppend(&line, " ", f.key, "=", f.json);
  }
  s.logger->info(line);
}

}  // namespace itsm::runtime::log
