// Gauges counted from a service's own database (records by state and priority, the age of the
// oldest open record, outbox rows waiting): one SQL query per gauge family, all run in one
// read-only transaction on a thread of their own every store_gauge_interval_seconds. Counted
// from the store, not kept in memory, so replicas and restarts agree and a scrape costs nothing.
// A query should be answered from an index: a count that scans a table of millions of rows
// costs seconds of CPU a round. Should one take that long anyway, the rounds space out so that
// counting never takes more than a twentieth of the thread's time (NextRefreshWait).
// Plain SQL that SQLite and PostgreSQL both run (GROUP BY, COUNT, MIN); label sets must be bounded
// (enums, priorities, classes), never ids or names a user types.
//
//   auto gauges = servicedb::StoreGauges::StartOrExit(rt, *db, {
//       {.name = "itsm_incidents",
//        .help = "Incidents by state and priority, as counted in the database.",
//        .sql = "SELECT state, priority, COUNT(*) FROM incidents GROUP BY state, priority",
//        .labels = {"state", "priority"},
//        .label_value = [](size_t label, const storage::Value& v) { ... }},
//   });
#ifndef ITSM_SERVICEDB_STORE_GAUGES_H_
#define ITSM_SERVICEDB_STORE_GAUGES_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "itsm/base/clock.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/storage/database.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace itsm::servicedb {

struct StoreGauge {
  enum class ValueKind {
    kNumber,       // the last column as it is (a COUNT)
    kAgeOfMicros,  // the last column is a time in µs since the epoch: now minus it (0 if NULL)
  };
  std::string name;
  std::string help;
  // SELECT <one column per label>, <value> FROM ...: each row one series. No parameters.
  std::string sql;
  std::vector<std::string> labels = {};
  // Label sets served even when the query has no row for them (as 0): a state no record is in
  // reads 0 instead of disappearing, so `sum` and alerts see a value. In `labels` order.
  std::vector<std::vector<std::string>> always = {};
  // A label column's stored value as the label's value (an enum number -> its name). Default:
  // the value as text. Must map onto a bounded set.
  std::function<std::string(size_t label, const storage::Value& value)> label_value = nullptr;
  ValueKind value = ValueKind::kNumber;
};

// A column read the same from both backends (PostgreSQL's text protocol returns numbers as
// text): as an integer (0 when it is none) and as text.
int64_t AsInt(const storage::Value& value);
std::string AsText(const storage::Value& value);

// A StoreGauge::label_value for columns that hold protobuf enum numbers, one descriptor per
// label (nullptr: that label's value as stored): the value's name without the enum's prefix,
// "INCIDENT_STATE_IN_PROGRESS" -> "IN_PROGRESS", "PRIORITY_P1" -> "P1" (the prefix is the
// *_UNSPECIFIED value's name without UNSPECIFIED); a number the enum lacks -> "UNKNOWN".
std::function<std::string(size_t, const storage::Value&)> EnumLabels(
    std::vector<const google::protobuf::EnumDescriptor*> enums);

// The pause after a round that took `took`: the configured interval, or twenty times the round
// when that is longer, so that a large or slow database costs at most 5 % of one core.
absl::Duration NextRefreshWait(absl::Duration interval, absl::Duration took);

class StoreGauges {
 public:
  StoreGauges(storage::Database& db, prometheus::Registry& registry, std::vector<StoreGauge> gauges,
              absl::Duration interval, const base::Clock& clock);
  ~StoreGauges();
  StoreGauges(const StoreGauges&) = delete;
  StoreGauges& operator=(const StoreGauges&) = delete;

  // Runs every query once (one read-only transaction) and sets the gauges. Series a query no
  // longer returns read 0. On an error the gauges keep their last values.
  absl::Status Refresh();
  // Refresh() now, then every interval until Stop().
  void Start();
  void Stop();

  // Started on rt's store_gauge_interval_seconds, stopped in the runtime's shutdown (before the
  // database closes, which was registered earlier). Exits with code 2 on a query that fails
  // its first run: a typo in SQL is a bug to see at start, not a silent flat line.
  static std::unique_ptr<StoreGauges> StartOrExit(runtime::ServiceRuntime& rt,
                                                  storage::Database& db,
                                                  std::vector<StoreGauge> gauges);

  // The served value of `name` with these label values (in the gauge's label order); -1 when
  // there is no such series. For tests.
  double ValueOf(const std::string& name, const std::vector<std::string>& label_values) const;

 private:
  struct Family {
    StoreGauge spec;
    prometheus::Family<prometheus::Gauge>* family = nullptr;
    std::map<std::vector<std::string>, prometheus::Gauge*> series = {};
  };
  prometheus::Gauge& Series(Family& family, const std::vector<std::string>& values);
  // Names the set in logs (a process may run two: its records' and its outbox's).
  std::string FirstGaugeName() const;

  storage::Database& db_;
  const absl::Duration interval_;
  const base::Clock& clock_;
  mutable absl::Mutex families_mu_;
  std::vector<Family> families_ ABSL_GUARDED_BY(families_mu_);
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace itsm::servicedb

#endif  // ITSM_SERVICEDB_STORE_GAUGES_H_
