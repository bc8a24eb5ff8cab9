// supplier_scorecard_bench: how long GetScorecard (without the gRPC hop) takes for one supplier
// over a year, after the scorecard projection applied N consumed events (a SQLite file, as the
// service runs by default). Generates a year of incident and SLA events (fixed seed): incidents
// created, reassigned, responded, resolved (some reopened and resolved again), closed, and an
// underpinning-contract clock per incident (started, breached or not, met or completed); half the
// incidents are the supplier's. One incident in ten (--linked_every) is linked by the change
// service to a change (ChangeIncidentLinked on itsm.change.v1) of its group: the supplier's ones
// then count as caused, in signatures of their own (0: no links). Applies them through the
// projection's own step (mark, merge) in transactions of 5,000 events, then times the 12-month
// scorecard `repeats` times.
//
//   build/bench/supplier_scorecard_bench [--events=1000000] [--repeats=200] [--supplier_cis=1]
//                                        [--linked_every=10]
//                                        [--database=sqlite:///tmp/supplier_scorecard_bench.db]
// --supplier_cis=N spreads the supplier's incidents over N of its CIs: N signatures to read
// instead of one (scorecard_rollups.h).
// A SQLite file named by --database is emptied first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/clock.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/storage/group_commit.h"
#include "itsm/storage/migrations.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/scorecard_projection.h"
#include "services/supplier/src/scorecards.h"
#include "services/supplier/src/supplier_repository.h"

namespace {

using namespace itsm;
namespace iv1 = incident::v1;
namespace sv1 = sla::v1;

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0)
      return std::string(argv[i]).substr(prefix.size());
  }
  return fallback;
}

// One incident's events and its clock's, in order.
std::vector<events::CloudEvent> IncidentHistory(std::mt19937_64& rng, int k, absl::Time year,
                                                int supplier_cis, int linked_every) {
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::vector<events::CloudEvent> out;
  iv1::Incident i;
  i.set_id(absl::StrCat("inc-", k));
  const bool ours = k % 2 == 0;
  i.set_assignment_group(ours ? "net-desk" : absl::StrCat("group-", uniform(1, 40)));
  i.add_configuration_item_ids(ours ? absl::StrCat("ci-router-", 1 + (k / 2) % supplier_cis)
                                    : absl::StrCat("ci-", uniform(1, 1000)));
  absl::Time now = year + absl::Seconds(uniform(0, 364 * 86400));
  *i.mutable_create_time() = base::ToProtoTimestamp(now);
  auto publish = [&](auto event) {
    i.set_version(i.version() + 1);
    *i.mutable_update_time() = base::ToProtoTimestamp(now);
    *event.mutable_incident() = i;
    out.push_back(events::MakeCloudEvent(event, "itsm/incident", i.id(), now));
  };
  publish(iv1::IncidentCreated());
  if (linked_every > 0 && uniform(1, linked_every) == 1) {  // possibly caused by its group's change
    change::v1::ChangeIncidentLinked linked;
    linked.mutable_change()->set_id(absl::StrCat("chg-", k));
    linked.mutable_change()->set_assignment_group(i.assignment_group());
    linked.mutable_link()->set_incident_id(i.id());
    linked.mutable_link()->set_ci_id(i.configuration_item_ids(0));
    *linked.mutable_link()->mutable_incident_time() = i.create_time();
    *linked.mutable_link()->mutable_link_time() = base::ToProtoTimestamp(now);
    out.push_back(events::MakeCloudEvent(linked, "itsm/change", linked.change().id(), now));
  }
  now += absl::Minutes(uniform(1, 120));
  publish(iv1::IncidentAssigned());
  now += absl::Minutes(uniform(1, 240));
  *i.mutable_first_response_time() = base::ToProtoTimestamp(now);
  publish(iv1::IncidentStateChanged());
  now += absl::Minutes(uniform(10, 5 * 24 * 60));
  *i.mutable_resolve_time() = base::ToProtoTimestamp(now);
  publish(iv1::IncidentResolved());
  now += absl::Hours(72);
  publish(iv1::IncidentClosed());

  sv1::SlaClock c;
  c.set_clock_id(absl::StrCat("clock-", k));
  c.set_incident_id(i.id());
  c.set_sla_definition_id(ours ? "uc-net" : absl::StrCat("uc-", uniform(1, 20)));
  c.set_agreement_kind(sv1::AGREEMENT_KIND_UNDERPINNING_CONTRACT);
  c.set_stage(sv1::CLOCK_STAGE_RUNNING);
  absl::Time at = base::FromProtoTimestamp(i.create_time());
  auto clock_event = [&](auto event) {
    *c.mutable_event_time() = base::ToProtoTimestamp(at);
    *event.mutable_clock() = c;
    out.push_back(events::MakeCloudEvent(event, "itsm/sla-timer", i.id(), at));
  };
  clock_event(sv1::SlaClockStarted());
  const bool breached = uniform(0, 4) == 0;
  at = base::FromProtoTimestamp(i.resolve_time());
  c.set_stage(sv1::CLOCK_STAGE_COMPLETED);
  c.set_breached(breached);
  *c.mutable_stop_time() = base::ToProtoTimestamp(at);
  if (breached) {
    clock_event(sv1::SlaClockCompleted());
  } else {
    clock_event(sv1::SlaMet());
  }
  return out;  // 7 events, or 8 with a link
}

}  // namespace

int main(int argc, char** argv) {
  int64_t total_events = 1'000'000;
  int repeats = 200;
  int supplier_cis = 1;
  int linked_every = 10;
  (void)absl::SimpleAtoi(Flag(argc, argv, "events", "1000000"), &total_events);
  (void)absl::SimpleAtoi(Flag(argc, argv, "repeats", "200"), &repeats);
  (void)absl::SimpleAtoi(Flag(argc, argv, "supplier_cis", "1"), &supplier_cis);
  (void)absl::SimpleAtoi(Flag(argc, argv, "linked_every", "10"), &linked_every);
  supplier_cis = std::max(1, supplier_cis);
  const std::string url = Flag(argc, argv, "database", "sqlite:///tmp/supplier_scorecard_bench.db");
  // A SQLite file starts empty: each run loads its own events.
  if (url.rfind("sqlite://", 0) == 0) {
    const std::string path = url.substr(sizeof("sqlite://") - 1);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  auto db = storage::OpenDatabase(url);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  if (auto s = storage::ApplySchema(**db, supplier::SupplierRepository::Schema()); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const absl::Time year =
      absl::FromCivil(absl::CivilSecond(2025, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  base::ManualClock clock(year + absl::Hours(24 * 366));
  {
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    supplier::v1::Supplier s;
    s.set_id("sup-net");
    s.set_name("Netco");
    s.add_assignment_groups("net-desk");
    for (int n = 1; n <= supplier_cis; ++n)
      s.add_configuration_item_ids(absl::StrCat("ci-router-", n));
    s.set_version(1);
    supplier::v1::Contract c;
    c.set_id("con-net");
    c.set_supplier_id("sup-net");
    c.set_start_date("2025-01-01");
    c.set_end_date("2025-12-31");
    c.add_uc_definition_ids("uc-net");
    c.set_version(1);
    if (!supplier::SupplierRepository::Insert(**txn, s).ok() ||
        !supplier::ContractRepository::Insert(**txn, c).ok() || !(*txn)->Commit().ok()) {
      std::fprintf(stderr, "cannot store the supplier\n");
      return 1;
    }
  }

  storage::GroupCommitter committer(**db, {});
  supplier::ScorecardProjection projection(committer, clock, {});
  std::mt19937_64 rng(20261130);
  int64_t applied = 0;
  int incidents = 0;
  const auto load_start = std::chrono::steady_clock::now();
  while (applied < total_events) {
    std::vector<events::CloudEvent> batch;
    while (batch.size() < 5000 && applied + static_cast<int64_t>(batch.size()) < total_events) {
      for (auto& e : IncidentHistory(rng, incidents++, year, supplier_cis, linked_every))
        batch.push_back(std::move(e));
    }
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    supplier::RollupDeltas deltas;
    for (const auto& e : batch) {
      if (auto s = projection.Apply(**txn, e, deltas); !s.ok()) {
        std::fprintf(stderr, "apply: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    if (auto s = deltas.Flush(**txn); !s.ok()) {
      std::fprintf(stderr, "roll-ups: %s\n", s.ToString().c_str());
      return 1;
    }
    if (auto s = (*txn)->Commit(); !s.ok()) {
      std::fprintf(stderr, "commit: %s\n", s.ToString().c_str());
      return 1;
    }
    applied += static_cast<int64_t>(batch.size());
  }
  const double load_ms = Ms(std::chrono::steady_clock::now() - load_start);
  committer.Stop();

  std::printf("events applied: %lld (%d incidents) in %.1f s (%.0f events/s)\n",
              static_cast<long long>(applied), incidents, load_ms / 1000,
              static_cast<double>(applied) / (load_ms / 1000));
  // UTC reads the roll-ups alone; a zone off UTC also reads the facts stored between its month
  // starts and UTC's (scorecard_rollups.h).
  const supplier::Scorecards scorecards(clock);
  std::printf(
      "| zone | runs | min ms | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
  for (const char* zone : {"UTC", "Europe/Berlin"}) {
    supplier::v1::GetScorecardRequest request;
    request.set_supplier_id("sup-net");
    request.set_from_month("2025-01");
    request.set_to_month("2025-12");
    request.set_time_zone(zone);
    std::vector<double> ms;
    supplier::v1::GetScorecardResponse last;
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      auto txn = (*db)->Begin(storage::TransactionMode::kReadOnly);
      supplier::v1::GetScorecardResponse out;
      if (auto s = scorecards.Get(**txn, request, out); !s.ok()) {
        std::fprintf(stderr, "scorecard: %s\n", s.ToString().c_str());
        return 1;
      }
      ms.push_back(Ms(std::chrono::steady_clock::now() - start));
      last = std::move(out);
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&ms](double p) {
      return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))];
    };
    std::printf(
        "| %s (%lld incidents, %lld caused, %lld UC clocks) | %d | %.1f | %.1f | %.1f | %.1f |\n",
        zone, static_cast<long long>(last.total().incidents()),
        static_cast<long long>(last.total().caused_incidents()),
        static_cast<long long>(last.total().uc_clocks_met() + last.total().uc_clocks_breached()),
        repeats, ms.front(), pct(0.5), pct(0.99), ms.back());
  }
  return 0;
}
