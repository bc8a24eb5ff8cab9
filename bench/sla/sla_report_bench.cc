// sla_report_bench: how long a compliance report takes over N closed SLA clocks held in the SLA
// service's history (its database: a SQLite file, as the service runs by default). Generates the
// clocks (fixed seed), loads them through the projection's upsert (the statement every consumed
// event runs) in transactions of 10,000, then times each report shape `repeats` times.
//
//   build/bench/sla_report_bench [--clocks=1000000] [--repeats=7] [--results_dir=bench/results]
//                                [--database=sqlite:///tmp/sla_report_bench.db]
//
// Prints a markdown table; with --results_dir also writes sla_report.json there.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/time_util.h"
#include "itsm/storage/migrations.h"
#include "services/sla/src/clock_projection.h"
#include "services/sla/src/sla_repository.h"

namespace {

using itsm::sla::ClockProjection;
namespace v1 = itsm::sla::v1;

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Shape {
  std::string name;
  v1::GetComplianceReportRequest request;
};

std::vector<Shape> Shapes() {
  std::vector<Shape> shapes;
  auto add = [&](std::string name, std::vector<v1::ReportDimension> by,
                 v1::ReportPeriod period = v1::REPORT_PERIOD_MONTH, std::string zone = "",
                 std::string service = "") {
    Shape s{std::move(name), {}};
    for (auto d : by) s.request.add_group_by(d);
    s.request.set_period(period);
    s.request.set_time_zone(zone);
    s.request.set_service(service);
    shapes.push_back(std::move(s));
  };
  add("total only", {});
  add("by service", {v1::REPORT_DIMENSION_SERVICE});
  add("by service x priority", {v1::REPORT_DIMENSION_SERVICE, v1::REPORT_DIMENSION_PRIORITY});
  add("by SLA x month (Europe/Istanbul)",
      {v1::REPORT_DIMENSION_SLA_DEFINITION, v1::REPORT_DIMENSION_PERIOD}, v1::REPORT_PERIOD_MONTH,
      "Europe/Istanbul");
  add("by service x day (America/New_York)",
      {v1::REPORT_DIMENSION_SERVICE, v1::REPORT_DIMENSION_PERIOD}, v1::REPORT_PERIOD_DAY,
      "America/New_York");
  add("one service by priority x week",
      {v1::REPORT_DIMENSION_PRIORITY, v1::REPORT_DIMENSION_PERIOD}, v1::REPORT_PERIOD_WEEK, "UTC",
      "service-7");
  return shapes;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t clocks = 1'000'000;
  int repeats = 7;
  std::string results_dir;
  std::string database = "sqlite:///tmp/sla_report_bench.db";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--clocks=", 0) == 0 && absl::SimpleAtoi(a.substr(9), &clocks)) continue;
    if (a.rfind("--repeats=", 0) == 0 && absl::SimpleAtoi(a.substr(10), &repeats)) continue;
    if (a.rfind("--database=", 0) == 0) {
      database = a.substr(11);
      continue;
    }
    if (a.rfind("--results_dir=", 0) == 0) {
      results_dir = a.substr(14);
      continue;
    }
    std::fprintf(stderr,
                 "usage: sla_report_bench [--clocks=N] [--repeats=N] [--results_dir=DIR] "
                 "[--database=URL]\n");
    return 2;
  }

  // 20 services, 12 definitions, P1..P5, response and resolution clocks; a year of starts.
  // Closed clocks: 78 % met, 20 % breached (completed late), 2 % cancelled.
  if (database.rfind("sqlite://", 0) == 0) {
    const std::string path = database.substr(9);  // sqlite:///abs or sqlite://rel
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  }
  auto db = itsm::storage::OpenDatabase(database);
  if (!db.ok() || !itsm::storage::ApplySchema(**db, itsm::sla::SlaRepository::Schema()).ok()) {
    std::fprintf(stderr, "cannot open %s\n", database.c_str());
    return 1;
  }
  ClockProjection projection(**db);
  std::vector<v1::SlaClock> pending;
  std::mt19937_64 rng(20261122);
  const auto load_begin = std::chrono::steady_clock::now();
  v1::SlaClock c;
  for (int64_t i = 0; i < clocks; ++i) {
    c.set_clock_id(absl::StrCat("clock-", i));
    c.set_incident_id(absl::StrCat("inc-", i / 2));
    c.set_service(absl::StrCat("service-", rng() % 20));
    const uint64_t def = rng() % 12;
    c.set_sla_definition_id(absl::StrCat("definition-", def));
    c.set_sla_definition_name(absl::StrCat("SLA ", def));
    c.set_agreement_kind(def < 8 ? v1::AGREEMENT_KIND_SLA : v1::AGREEMENT_KIND_OLA);
    c.set_priority(static_cast<itsm::incident::v1::Priority>(1 + rng() % 5));
    c.set_clock_kind(i % 2 ? v1::CLOCK_KIND_RESOLUTION : v1::CLOCK_KIND_RESPONSE);
    const uint64_t outcome = rng() % 100;
    c.set_stage(outcome < 2 ? v1::CLOCK_STAGE_CANCELLED : v1::CLOCK_STAGE_COMPLETED);
    c.set_breached(outcome >= 2 && outcome < 22);
    const absl::Time start =
        absl::FromUnixSeconds(1'767'225'600 + static_cast<int64_t>(rng() % (365 * 86400)));
    const int64_t elapsed = 60 + static_cast<int64_t>(rng() % (5 * 86400));
    *c.mutable_start_time() = itsm::base::ToProtoTimestamp(start);
    *c.mutable_stop_time() = itsm::base::ToProtoTimestamp(start + absl::Seconds(elapsed));
    *c.mutable_event_time() = c.stop_time();
    c.mutable_business_elapsed()->set_seconds(elapsed);
    c.mutable_target()->set_seconds(4 * 3600);
    pending.push_back(c);
    if (pending.size() == 10000 || i + 1 == clocks) {
      if (absl::Status st = projection.ApplyClocks(pending); !st.ok()) {
        std::fprintf(stderr, "load: %s\n", st.ToString().c_str());
        return 1;
      }
      pending.clear();
    }
  }
  const double load_ms = Ms(std::chrono::steady_clock::now() - load_begin);
  std::printf("loaded %lld clocks in %.0f ms (%.0f clocks/s through ApplyClocks)\n\n",
              static_cast<long long>(clocks), load_ms, clocks / (load_ms / 1000.0));

  std::printf("| report | rows | min ms | median ms | max ms |\n|---|---:|---:|---:|---:|\n");
  std::string json = absl::StrFormat(
      R"({"name":"sla_report","clocks":%d,"load_ms":%.1f,"reports":[)", clocks, load_ms);
  bool first = true;
  for (const Shape& shape : Shapes()) {
    std::vector<double> ms;
    int rows = 0;
    for (int r = 0; r < repeats; ++r) {
      const auto begin = std::chrono::steady_clock::now();
      auto report = projection.Report(shape.request);
      ms.push_back(Ms(std::chrono::steady_clock::now() - begin));
      if (!report.ok()) {
        std::fprintf(stderr, "%s: %s\n", shape.name.c_str(), report.status().ToString().c_str());
        return 1;
      }
      rows = report->rows_size();
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    std::printf("| %s | %d | %.1f | %.1f | %.1f |\n", shape.name.c_str(), rows, ms.front(), median,
                ms.back());
    absl::StrAppend(
        &json, first ? "" : ",",
        absl::StrFormat(R"({"report":"%s","rows":%d,"min_ms":%.2f,"median_ms":%.2f,"max_ms":%.2f})",
                        shape.name, rows, ms.front(), median, ms.back()));
    first = false;
  }
  absl::StrAppend(&json, "]}\n");
  if (!results_dir.empty()) {
    std::ofstream(results_dir + "/sla_report.json") << json;
  }
  return 0;
}
