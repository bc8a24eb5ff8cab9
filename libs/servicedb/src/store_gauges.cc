#include "itsm/servicedb/store_gauges.h"

#include <pthread.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/logging.h"

namespace itsm::servicedb {

std::string AsText(const storage::Value& v) {
  if (v.is_int()) return std::to_string(v.AsInt());
  if (v.is_double()) return absl::StrCat(v.AsDouble());
  if (v.is_null()) return "";
  return v.AsString();
}

int64_t AsInt(const storage::Value& v) {
  if (v.is_int()) return v.AsInt();
  return std::atoll(AsText(v).c_str());
}

std::function<std::string(size_t, const storage::Value&)> EnumLabels(
    std::vector<const google::protobuf::EnumDescriptor*> enums) {
  return [enums = std::move(enums)](size_t label, const storage::Value& v) -> std::string {
    const google::protobuf::EnumDescriptor* e = label < enums.size() ? enums[label] : nullptr;
    if (e == nullptr) return AsText(v);
    const google::protobuf::EnumValueDescriptor* value =
        e->FindValueByNumber(static_cast<int>(AsInt(v)));
    if (value == nullptr) return "UNKNOWN";
    std::string prefix = e->value(0)->name();  // FOO_UNSPECIFIED = 0 comes first (buf style)
    if (absl::EndsWith(prefix, "UNSPECIFIED")) {
      prefix.resize(prefix.size() - std::string("UNSPECIFIED").size());
    } else {
      prefix.clear();
    }
    std::string name = value->name();
    if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
    return name;
  };
}

absl::Duration NextRefreshWait(absl::Duration interval, absl::Duration took) {
  return std::max(interval, took * 20);
}

StoreGauges::StoreGauges(storage::Database& db, prometheus::Registry& registry,
                         std::vector<StoreGauge> gauges, absl::Duration interval,
                         const base::Clock& clock)
    : db_(db), interval_(interval), clock_(clock) {
  absl::MutexLock lock(&families_mu_);
  for (StoreGauge& spec : gauges) {
    Family family{.spec = std::move(spec)};
    family.family =
        &prometheus::BuildGauge().Name(family.spec.name).Help(family.spec.help).Register(registry);
    families_.push_back(std::move(family));
  }
  for (Family& family : families_) {
    for (const auto& values : family.spec.always) Series(family, values);
    // A gauge without labels is always one series.
    if (family.spec.labels.empty()) Series(family, {});
  }
}

StoreGauges::~StoreGauges() { Stop(); }

prometheus::Gauge& StoreGauges::Series(Family& family, const std::vector<std::string>& values) {
  auto [it, added] = family.series.try_emplace(values, nullptr);
  if (added) {
    std::map<std::string, std::string> labels;
    for (size_t i = 0; i < family.spec.labels.size() && i < values.size(); ++i) {
      labels[family.spec.labels[i]] = values[i];
    }
    it->second = &family.family->Add(labels);
  }
  return *it->second;
}

absl::Status StoreGauges::Refresh() {
  // Read everything first, set the gauges after: a failed query leaves every gauge as it was.
  std::vector<std::map<std::vector<std::string>, double>> values;
  {
    absl::MutexLock lock(&families_mu_);
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    const absl::Time now = clock_.Now();
    for (const Family& family : families_) {
      const StoreGauge& spec = family.spec;
      ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows, txn->Query(spec.sql));
      std::map<std::vector<std::string>, double> found;
      for (const auto& row : rows.rows()) {
        if (row.size() != spec.labels.size() + 1) {
          return absl::InternalError(absl::StrCat(spec.name, ": the query returns ", row.size(),
                                                  " columns, expected ", spec.labels.size() + 1));
        }
        std::vector<std::string> label_values;
        for (size_t i = 0; i < spec.labels.size(); ++i) {
          label_values.push_back(spec.label_value ? spec.label_value(i, row[i]) : AsText(row[i]));
        }
        const storage::Value& v = row.back();
        double value = 0;
        if (spec.value == StoreGauge::ValueKind::kAgeOfMicros) {
          if (!v.is_null() && !AsText(v).empty()) {
            value = std::max(0.0, absl::ToDoubleSeconds(now - absl::FromUnixMicros(AsInt(v))));
          }
        } else {
          value = v.is_null() ? 0
                              : (v.is_int() ? static_cast<double>(v.AsInt())
                                            : std::atof(AsText(v).c_str()));
        }
        // Two rows may map onto one label set (two stored values with one name): they add up.
        found[label_values] += value;
      }
      values.push_back(std::move(found));
    }
    for (size_t i = 0; i < families_.size(); ++i) {
      Family& family = families_[i];
      for (auto& [labels, gauge] : family.series) gauge->Set(0);
      for (const auto& [labels, value] : values[i]) Series(family, labels).Set(value);
    }
  }
  return absl::OkStatus();
}

void StoreGauges::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "store-gauges");
    absl::MutexLock lock(&mu_);
    bool stretched = false;
    while (!stopping_) {
      mu_.Unlock();
      const absl::Time start = absl::Now();
      if (absl::Status s = Refresh(); !s.ok()) {
        // Kept quiet beyond a warning: the gauges keep their last values and the next round
        // tries again (a database restarting, a lock held long).
        runtime::log::Warn("cannot refresh the store gauges", {{"error", s.ToString()}});
      }
      const absl::Duration took = absl::Now() - start;
      const absl::Duration wait = NextRefreshWait(interval_, took);
      if ((wait > interval_) != stretched) {
        stretched = wait > interval_;
        runtime::log::Info(stretched ? "the store gauges take long to count: refreshed less often"
                                     : "the store gauges are refreshed every interval again",
                           {{"round_seconds", absl::StrCat(absl::ToDoubleSeconds(took))},
                            {"next_in_seconds", absl::StrCat(absl::ToDoubleSeconds(wait))},
                            {"first_gauge", FirstGaugeName()}});
      }
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    }
  });
}

std::string StoreGauges::FirstGaugeName() const {
  absl::MutexLock lock(&families_mu_);
  return families_.empty() ? "" : families_.front().spec.name;
}

void StoreGauges::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

double StoreGauges::ValueOf(const std::string& name,
                            const std::vector<std::string>& label_values) const {
  absl::MutexLock lock(&families_mu_);
  for (const Family& family : families_) {
    if (family.spec.name != name) continue;
    auto it = family.series.find(label_values);
    return it == family.series.end() ? -1 : it->second->Value();
  }
  return -1;
}

std::unique_ptr<StoreGauges> StoreGauges::StartOrExit(runtime::ServiceRuntime& rt,
                                                      storage::Database& db,
                                                      std::vector<StoreGauge> gauges) {
  auto store_gauges = std::make_unique<StoreGauges>(
      db, rt.metrics(), std::move(gauges),
      absl::Seconds(rt.config().GetInt("store_gauge_interval_seconds")), base::SystemClock::Get());
  if (absl::Status s = store_gauges->Refresh(); !s.ok()) {
    runtime::log::Error("cannot count the store gauges", {{"error", s.ToString()}});
    std::exit(2);
  }
  store_gauges->Start();
  StoreGauges* raw = store_gauges.get();
  rt.OnShutdown("store gauges", [raw] { raw->Stop(); });
  return store_gauges;
}

}  // namespace itsm::servicedb
