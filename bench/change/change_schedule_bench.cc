// change_schedule_bench: issue 14's two targets, without the gRPC hop, on a SQLite file (the
// service's default storage):
//  - the conflict check of ScheduleChange for a change with 10 affected CIs against `changes`
//    scheduled changes over a month and a CMDB of `cis` CIs: what the service does per call —
//    gather the CMDB facts (GatherFor: each CI described, business services reached downstream
//    6 deep, related CIs both ways within the policy's depth 3), then the write in the group
//    committer (the other changes in the slot, the windows, the detector, the save, audit and
//    outbox rows). The CMDB is an in-memory graph answering as the configuration service's
//    impact analysis does, so the figure is the change service's share; the CMDB's own cost is
//    "CMDB impact analysis" in docs/benchmarks.md.
//  - GetChangeCalendar over the month (every change of it, with its conflicts, and the window
//    occurrences), in a read-only transaction.
// The CMDB is layered (fixed seed): 1% business services, 10% applications, 30% servers and
// databases, the rest infrastructure; each CI depends on two CIs of the next layer.
//
//   build/bench/change_schedule_bench [--cis=100000] [--changes=10000] [--repeats=200]
//                                     [--database=sqlite:///tmp/change_schedule_bench.db]
// A SQLite file named by --database is emptied first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/clock.h"
#include "itsm/base/time_util.h"
#include "itsm/storage/group_commit.h"
#include "itsm/storage/migrations.h"
#include "services/change/src/change_calendar.h"
#include "services/change/src/change_management.h"
#include "services/change/src/change_repository.h"

namespace {

using namespace itsm;
namespace cv1 = change::v1;

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// This thread's CPU time: on a shared machine, what a call costs apart from waiting for a core.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0)
      return std::string(argv[i]).substr(prefix.size());
  }
  return fallback;
}

// CIs "ci-<n>" in layers; `depends_on[n]` are the CIs CI n depends on, `dependents[n]` those
// depending on it.
class LayeredCmdb final : public change::CmdbView {
 public:
  LayeredCmdb(int count, std::mt19937_64& rng) : depends_on_(count), dependents_(count) {
    bounds_ = {0, count / 100, count / 100 + count / 10, count / 100 + count / 10 + count * 3 / 10,
               count};
    for (int layer = 0; layer + 1 < 4; ++layer) {
      std::uniform_int_distribution<int> next(bounds_[layer + 1], bounds_[layer + 2] - 1);
      for (int n = bounds_[layer]; n < bounds_[layer + 1]; ++n) {
        for (int k = 0; k < 2; ++k) {
          const int target = next(rng);
          depends_on_[n].push_back(target);
          dependents_[target].push_back(n);
        }
      }
    }
  }
  int LayerStart(int layer) const { return bounds_[layer]; }
  int LayerEnd(int layer) const { return bounds_[layer + 1]; }

  absl::StatusOr<change::CiInfo> Describe(const std::string& id) override {
    int n = 0;
    if (!Parse(id, n)) return absl::NotFoundError(id);
    return Info(n);
  }
  absl::StatusOr<std::vector<change::ReachedCi>> Reach(
      const std::string& id, bool downstream, int depth,
      const std::vector<std::string>& class_names) override {
    int origin = 0;
    if (!Parse(id, origin)) return absl::NotFoundError(id);
    const auto& edges = downstream ? dependents_ : depends_on_;
    std::map<int, std::vector<std::string>> paths{{origin, {id}}};
    std::deque<int> queue{origin};
    std::vector<change::ReachedCi> out;
    while (!queue.empty()) {
      const int at = queue.front();
      queue.pop_front();
      if (static_cast<int>(paths[at].size()) > depth) continue;
      for (int next : edges[at]) {
        if (paths.contains(next)) continue;
        paths[next] = paths[at];
        paths[next].push_back(Id(next));
        queue.push_back(next);
        const change::CiInfo info = Info(next);
        if (class_names.empty() || std::find(class_names.begin(), class_names.end(),
                                             info.class_name) != class_names.end()) {
          out.push_back({info, paths[next]});
        }
      }
    }
    return out;
  }
  absl::Status CheckClass(const std::string& class_name) override {
    for (const char* known : kClasses) {
      if (class_name == known) return absl::OkStatus();
    }
    return absl::NotFoundError(class_name);
  }
  static std::string Id(int n) { return absl::StrCat("ci-", n); }

 private:
  bool Parse(const std::string& id, int& n) const {
    return id.rfind("ci-", 0) == 0 && absl::SimpleAtoi(id.substr(3), &n) && n >= 0 &&
           n < static_cast<int>(depends_on_.size());
  }
  static constexpr const char* kClasses[] = {"business_service", "application", "server",
                                             "infrastructure"};
  change::CiInfo Info(int n) const {
    int layer = 0;
    while (n >= bounds_[layer + 1]) ++layer;
    return {Id(n), kClasses[layer], Id(n), layer == 0 ? 1 + n % 4 : 0, false};
  }
  std::vector<int> bounds_;
  std::vector<std::vector<int>> depends_on_;
  std::vector<std::vector<int>> dependents_;
};

void Report(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&ms](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))];
  };
  std::printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f |\n", what, ms.size(), ms.front(), pct(0.5),
              pct(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  int cis = 100000, changes = 10000, repeats = 200;
  (void)absl::SimpleAtoi(Flag(argc, argv, "cis", "100000"), &cis);
  (void)absl::SimpleAtoi(Flag(argc, argv, "changes", "10000"), &changes);
  (void)absl::SimpleAtoi(Flag(argc, argv, "repeats", "200"), &repeats);
  const std::string url = Flag(argc, argv, "database", "sqlite:///tmp/change_schedule_bench.db");
  if (url.rfind("sqlite://", 0) == 0) {
    const std::string path = url.substr(sizeof("sqlite://") - 1);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  auto db = storage::OpenDatabase(url);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  if (auto s = storage::ApplySchema(**db, change::ChangeRepository::Schema()); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::mt19937_64 rng(20261130);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  LayeredCmdb cmdb(cis, rng);
  const absl::Time month =
      absl::FromCivil(absl::CivilSecond(2030, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  base::ManualClock clock(month - absl::Hours(24 * 30));

  // The schedule: `changes` SCHEDULED changes over the month, 1-4 h each, on 1-3 applications or
  // servers, 200 assignees in 50 groups; and three windows (a nightly maintenance window for the
  // servers, a weekend one for one business service, a blackout on the 15th).
  const auto load_start = std::chrono::steady_clock::now();
  for (int done = 0; done < changes;) {
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    for (int k = 0; k < 1000 && done < changes; ++k, ++done) {
      cv1::Change c;
      c.set_id(absl::StrCat("00000000-0000-4000-8000-", 100000000000 + done));
      c.set_type(cv1::CHANGE_TYPE_NORMAL);
      c.set_state(cv1::CHANGE_STATE_SCHEDULED);
      c.set_title(absl::StrCat("Scheduled change ", done));
      const int n_cis = static_cast<int>(uniform(1, 3));
      for (int i = 0; i < n_cis; ++i) {
        c.add_configuration_item_ids(
            LayeredCmdb::Id(static_cast<int>(uniform(cmdb.LayerStart(1), cmdb.LayerEnd(2) - 1))));
      }
      const absl::Time start = month + absl::Minutes(uniform(0, 30 * 24 * 60));
      *c.mutable_planned_start_time() = base::ToProtoTimestamp(start);
      *c.mutable_planned_end_time() =
          base::ToProtoTimestamp(start + absl::Minutes(uniform(60, 240)));
      const int person = static_cast<int>(uniform(0, 199));
      c.set_assignee(absl::StrCat("person-", person));
      c.set_assignment_group(absl::StrCat("group-", person % 50));
      c.mutable_approval()->set_outcome(cv1::APPROVAL_OUTCOME_APPROVED);
      c.set_version(1);
      *c.mutable_create_time() = base::ToProtoTimestamp(clock.Now());
      *c.mutable_update_time() = base::ToProtoTimestamp(clock.Now());
      if (auto s = change::ChangeRepository::Insert(**txn, c); !s.ok()) {
        std::fprintf(stderr, "insert: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    for (int w = 0; w < 3 && done == changes; ++w) {
      cv1::ChangeWindow window;
      window.set_id(absl::StrCat("00000000-0000-4000-9000-00000000000", w));
      window.set_name(absl::StrCat("window ", w));
      window.set_active(true);
      window.set_time_zone("Europe/Berlin");
      window.set_version(1);
      if (w == 0) {
        window.set_kind(cv1::WINDOW_KIND_MAINTENANCE);
        window.set_start_local_time("22:00");
        window.set_duration_minutes(6 * 60);
        window.add_ci_class_names("server");
      } else if (w == 1) {
        window.set_kind(cv1::WINDOW_KIND_MAINTENANCE);
        window.set_start_local_time("08:00");
        window.set_duration_minutes(12 * 60);
        window.add_days(cv1::WEEKDAY_SATURDAY);
        window.add_days(cv1::WEEKDAY_SUNDAY);
        window.add_service_ids(LayeredCmdb::Id(0));
      } else {
        window.set_kind(cv1::WINDOW_KIND_BLACKOUT);
        window.set_start_local_time("00:00");
        window.set_duration_minutes(24 * 60);
        window.set_valid_from("2030-01-15");
        window.set_valid_until("2030-01-15");
      }
      if (auto s = change::WindowStore::Insert(**txn, window); !s.ok()) {
        std::fprintf(stderr, "window: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    if (auto s = (*txn)->Commit(); !s.ok()) {
      std::fprintf(stderr, "commit: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const double load_ms = Ms(std::chrono::steady_clock::now() - load_start);

  storage::GroupCommitter committer(**db, {});
  const change::ChangeWorkflow workflow(clock);
  const change::ChangeManagement management(**db, &cmdb, workflow);
  // The subject: a change with 10 affected servers, created through the service's own path.
  cv1::CreateChangeRequest create;
  create.set_type(cv1::CHANGE_TYPE_NORMAL);
  create.set_title("Patch ten servers");
  for (int i = 0; i < 10; ++i) {
    create.add_configuration_item_ids(
        LayeredCmdb::Id(static_cast<int>(uniform(cmdb.LayerStart(2), cmdb.LayerEnd(2) - 1))));
  }
  const base::Caller caller{.actor = "bench"};
  cv1::Change subject;
  {
    auto facts = management.GatherForCreate(create);
    absl::Status s = facts.status();
    if (s.ok()) {
      s = committer.Run([&](storage::Transaction& txn) {
        return management.Create(txn, caller, create, *facts, subject);
      });
    }
    if (!s.ok()) {
      std::fprintf(stderr, "create: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::vector<double> total_ms, gather_ms, write_ms;
  size_t conflicts = 0;
  for (int r = 0; r < repeats; ++r) {
    cv1::ScheduleChangeRequest request;
    request.set_id(subject.id());
    request.set_version(subject.version());
    const absl::Time start = month + absl::Minutes(uniform(0, 30 * 24 * 60 - 120));
    *request.mutable_planned_start_time() = base::ToProtoTimestamp(start);
    *request.mutable_planned_end_time() = base::ToProtoTimestamp(start + absl::Hours(2));
    const auto t0 = std::chrono::steady_clock::now();
    auto facts = management.GatherFor(subject.id(), nullptr);
    const auto t1 = std::chrono::steady_clock::now();
    absl::Status s = facts.status();
    if (s.ok()) {
      s = committer.Run([&](storage::Transaction& txn) {
        return management.Schedule(txn, caller, request, *facts, subject);
      });
    }
    const auto t2 = std::chrono::steady_clock::now();
    if (!s.ok()) {
      std::fprintf(stderr, "schedule: %s\n", s.ToString().c_str());
      return 1;
    }
    conflicts += static_cast<size_t>(subject.conflicts_size());
    gather_ms.push_back(Ms(t1 - t0));
    write_ms.push_back(Ms(t2 - t1));
    total_ms.push_back(Ms(t2 - t0));
  }
  committer.Stop();

  const change::ChangeCalendar calendar(clock);
  cv1::GetChangeCalendarRequest month_request;
  *month_request.mutable_start_time() = base::ToProtoTimestamp(month);
  *month_request.mutable_end_time() = base::ToProtoTimestamp(month + absl::Hours(24 * 31));
  std::vector<double> calendar_ms, calendar_cpu_ms;
  size_t shown = 0, occurrences = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuMs();
    auto txn = (*db)->Begin(storage::TransactionMode::kReadOnly);
    cv1::GetChangeCalendarResponse out;
    if (auto s = calendar.Get(**txn, month_request, out); !s.ok()) {
      std::fprintf(stderr, "calendar: %s\n", s.ToString().c_str());
      return 1;
    }
    calendar_ms.push_back(Ms(std::chrono::steady_clock::now() - start));
    calendar_cpu_ms.push_back(ThreadCpuMs() - cpu_start);
    shown = static_cast<size_t>(out.changes_size());
    occurrences = static_cast<size_t>(out.windows_size());
  }

  std::printf("loaded %d scheduled changes over January 2030 in %.1f s; CMDB of %d CIs\n", changes,
              load_ms / 1000, cis);
  std::printf(
      "schedule: %.1f conflicts per check on average; calendar: %zu changes, %zu window "
      "occurrences\n",
      static_cast<double>(conflicts) / repeats, shown, occurrences);
  std::printf(
      "| what | runs | min ms | p50 ms | p99 ms | max ms |\n"
      "|---|---:|---:|---:|---:|---:|\n");
  Report("ScheduleChange, 10 CIs: CMDB facts + write", total_ms);
  Report("  of which CMDB facts (GatherFor)", gather_ms);
  Report("  of which the write (conflict check, save)", write_ms);
  Report("GetChangeCalendar, a month", calendar_ms);
  Report("  its CPU time (this thread)", calendar_cpu_ms);
  return 0;
}
