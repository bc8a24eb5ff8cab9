#include "services/change/src/conflict_detector.h"

#include <random>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace itsm::change {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
absl::Time At(int minute) { return kT0 + absl::Minutes(minute); }

PlannedChange Planned(std::string id, int from, int to, std::vector<std::string> cis,
                      std::string assignee = "", std::string group = "") {
  return {.id = id,
          .number = "CHG-" + id,
          .slot = {At(from), At(to)},
          .ci_ids = std::move(cis),
          .assignment_group = std::move(group),
          .assignee = std::move(assignee)};
}

std::set<std::tuple<int, std::string, std::string>> Keys(const std::vector<v1::Conflict>& cs) {
  std::set<std::tuple<int, std::string, std::string>> out;
  for (const auto& c : cs) out.insert({c.kind(), c.other_id(), c.ci_id()});
  return out;
}

TEST(ConflictDetector, SameCiDependentCiAndPeople) {
  ConflictFacts f;
  f.subject = Planned("me", 60, 120, {"db"}, "ann", "dba");
  f.others = {Planned("a", 100, 130, {"db"}), Planned("b", 0, 60, {"db"}),
              Planned("c", 90, 95, {"app"}, "Ann"), Planned("d", 110, 200, {"x"}, "", "DBA")};
  f.related = {{"app", "db", {"db", "app"}}};
  auto found = DetectConflicts(f);
  EXPECT_EQ(Keys(found), (std::set<std::tuple<int, std::string, std::string>>{
                             {v1::CONFLICT_KIND_SAME_CI, "a", "db"},
                             {v1::CONFLICT_KIND_DEPENDENT_CI, "c", "db"},
                             {v1::CONFLICT_KIND_ASSIGNEE_DOUBLE_BOOKED, "c", ""}}));
  for (const auto& c : found) {
    if (c.kind() == v1::CONFLICT_KIND_DEPENDENT_CI) {
      ASSERT_EQ(c.path_size(), 2);
      EXPECT_NE(c.reason().find("db -> app"), std::string::npos) << c.reason();
    }
  }
  f.group_double_booking = true;
  EXPECT_EQ(Keys(DetectConflicts(f)).count({v1::CONFLICT_KIND_GROUP_DOUBLE_BOOKED, "d", ""}), 1u);
}

// A change running without a planned slot is named as such, not by the reach of its slot.
TEST(ConflictDetector, AChangeRunningWithoutAPlannedEndIsNamedInProgress) {
  ConflictFacts f;
  f.subject = Planned("me", 60, 120, {"db"});
  PlannedChange running = Planned("e", 0, 31 * 24 * 60, {"db"});
  running.open_ended = true;
  f.others = {running};
  const std::vector<v1::Conflict> found = DetectConflicts(f);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(
      found[0].reason(),
      "CI db is also changed by CHG-e (in progress since 2027-01-15T08:00:00.000000Z, without "
      "a planned end)");
}

TEST(ConflictDetector, MaintenanceWindowsMustCoverTheWholeSlotTogether) {
  ConflictFacts f;
  f.subject = Planned("me", 60, 120, {"db"});
  v1::ChangeWindow m;
  m.set_kind(v1::WINDOW_KIND_MAINTENANCE);
  m.set_name("nightly");
  f.windows = {{m, {{At(0), At(90)}, {At(90), At(120)}}}};
  EXPECT_TRUE(DetectConflicts(f).empty());
  f.windows = {{m, {{At(0), At(90)}, {At(91), At(120)}}}};
  ASSERT_EQ(DetectConflicts(f).size(), 1u);
  EXPECT_EQ(DetectConflicts(f)[0].kind(), v1::CONFLICT_KIND_OUTSIDE_MAINTENANCE_WINDOW);
}

TEST(ConflictDetector, ConflictsStayWithinTheirBounds) {
  ConflictFacts f;
  f.subject = Planned("me", 0, 60, {"db"});
  std::vector<std::string> path(13, std::string(200, 'p'));
  for (int i = 0; i < 80; ++i) {
    f.others.push_back(Planned("o" + std::to_string(i), 10, 20, {"db", "app"}));
  }
  f.related = {{"app", "db", path}};
  f.ci_names = {{"p" + std::string(199, 'p'), std::string(200, 'n')}};
  const auto found = DetectConflicts(f);
  ASSERT_EQ(found.size(), kMaxConflicts);
  for (const auto& c : found) EXPECT_LE(c.ByteSizeLong(), kMaxConflictBytes);
}

TEST(ConflictDetector, TouchingSlotsDoNotOverlap) {
  ConflictFacts f;
  f.subject = Planned("me", 60, 120, {"db"});
  f.others = {Planned("a", 120, 130, {"db"}), Planned("b", 0, 60, {"db"})};
  EXPECT_TRUE(DetectConflicts(f).empty());
}

// ---- Property: equals a minute-by-minute reference on random schedules ----

bool Busy(const Interval& i, int minute) { return At(minute) >= i.start && At(minute) < i.end; }

std::set<std::tuple<int, std::string, std::string>> Reference(const ConflictFacts& f, int horizon) {
  std::set<std::tuple<int, std::string, std::string>> out;
  std::set<std::string> mine(f.subject.ci_ids.begin(), f.subject.ci_ids.end());
  for (const auto& o : f.others) {
    if (o.id == f.subject.id) continue;
    bool overlap = false;
    for (int m = 0; m < horizon && !overlap; ++m) {
      overlap = Busy(f.subject.slot, m) && Busy(o.slot, m);
    }
    if (!overlap) continue;
    for (const auto& ci : o.ci_ids) {
      if (mine.contains(ci)) {
        out.insert({v1::CONFLICT_KIND_SAME_CI, o.id, ci});
        continue;
      }
      const RelatedCi* best = nullptr;
      for (const auto& r : f.related) {
        if (r.ci_id == ci && !mine.contains(ci) && (!best || r.path.size() < best->path.size())) {
          best = &r;
        }
      }
      if (best) out.insert({v1::CONFLICT_KIND_DEPENDENT_CI, o.id, best->from_ci_id});
    }
    if (!f.subject.assignee.empty() && o.assignee == f.subject.assignee) {
      out.insert({v1::CONFLICT_KIND_ASSIGNEE_DOUBLE_BOOKED, o.id, ""});
    }
    if (f.group_double_booking && !f.subject.assignment_group.empty() &&
        absl::EqualsIgnoreCase(o.assignment_group, f.subject.assignment_group)) {
      out.insert({v1::CONFLICT_KIND_GROUP_DOUBLE_BOOKED, o.id, ""});
    }
  }
  bool any_maintenance = false;
  bool uncovered = false;
  for (const auto& w : f.windows) any_maintenance |= w.window.kind() == v1::WINDOW_KIND_MAINTENANCE;
  for (int m = 0; m < horizon; ++m) {
    if (!Busy(f.subject.slot, m)) continue;
    bool covered = false;
    for (const auto& w : f.windows) {
      for (const auto& o : w.occurrences) {
        if (w.window.kind() == v1::WINDOW_KIND_MAINTENANCE && Busy(o, m)) covered = true;
        if (w.window.kind() == v1::WINDOW_KIND_BLACKOUT && Busy(o, m)) {
          out.insert({v1::CONFLICT_KIND_BLACKOUT_WINDOW, w.window.id(), ""});
        }
      }
    }
    uncovered |= !covered;
  }
  if (any_maintenance && uncovered)
    out.insert({v1::CONFLICT_KIND_OUTSIDE_MAINTENANCE_WINDOW, "", ""});
  return out;
}

TEST(ConflictDetector, EqualsMinuteByMinuteReferenceOnRandomSchedules) {
  std::mt19937 rng(42);
  const int horizon = 300;
  const std::vector<std::string> cis = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"};
  const std::vector<std::string> people = {"", "ann", "bob"};
  auto slot = [&] {
    const int a = static_cast<int>(rng() % (horizon - 1));
    return std::make_pair(a, a + 1 + static_cast<int>(rng() % 90));
  };
  auto some_cis = [&] {
    std::vector<std::string> out;
    for (const auto& c : cis) {
      if (rng() % 5 == 0) out.push_back(c);
    }
    return out;
  };
  int with_conflicts = 0;
  for (int round = 0; round < 2000; ++round) {
    ConflictFacts f;
    auto [s, e] = slot();
    f.subject =
        Planned("me", s, std::min(e, horizon), some_cis(), people[rng() % 3], people[rng() % 3]);
    f.group_double_booking = rng() % 2;
    const int others = static_cast<int>(rng() % 12);
    for (int i = 0; i < others; ++i) {
      auto [a, b] = slot();
      f.others.push_back(Planned("o" + std::to_string(i), a, std::min(b, horizon), some_cis(),
                                 people[rng() % 3], people[rng() % 3]));
    }
    for (const auto& mine : f.subject.ci_ids) {
      for (const auto& c : cis) {
        if (rng() % 4 == 0) {
          std::vector<std::string> path = {mine};
          for (int hop = static_cast<int>(rng() % 3); hop > 0; --hop) path.push_back("mid");
          path.push_back(c);
          f.related.push_back({c, mine, path});
        }
      }
    }
    const int windows = static_cast<int>(rng() % 3);
    for (int i = 0; i < windows; ++i) {
      WindowOccurrences w;
      w.window.set_id("w" + std::to_string(i));
      w.window.set_name(w.window.id());
      w.window.set_kind(rng() % 2 ? v1::WINDOW_KIND_MAINTENANCE : v1::WINDOW_KIND_BLACKOUT);
      for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
        auto [a, b] = slot();
        w.occurrences.push_back({At(a), At(std::min(b, horizon))});
      }
      f.windows.push_back(w);
    }
    const auto found = DetectConflicts(f);
    ASSERT_EQ(Keys(found), Reference(f, horizon)) << "round " << round;
    with_conflicts += !found.empty();
  }
  EXPECT_GT(with_conflicts, 500);
}

}  // namespace
}  // namespace itsm::change
