#include "services/change/src/conflict_detector.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/auth/same_person.h"
#include "itsm/base/time_util.h"

namespace itsm::change {
namespace {

std::string Slot(const Interval& i) {
  return absl::StrCat(base::FormatRfc3339(i.start), "..", base::FormatRfc3339(i.end));
}

v1::Conflict With(v1::ConflictKind kind, const PlannedChange& other, std::string ci,
                  std::string reason) {
  v1::Conflict c;
  c.set_kind(kind);
  c.set_other_id(other.id);
  c.set_other_number(other.number);
  c.set_ci_id(std::move(ci));
  c.set_reason(std::move(reason));
  return c;
}

// Whether the union of `cover` contains all of `slot`.
bool Covered(const Interval& slot, std::vector<Interval> cover) {
  std::sort(cover.begin(), cover.end(),
            [](const Interval& a, const Interval& b) { return a.start < b.start; });
  absl::Time reached = slot.start;
  for (const Interval& i : cover) {
    if (i.start > reached) break;
    reached = std::max(reached, i.end);
    if (reached >= slot.end) return true;
  }
  return reached >= slot.end;
}

auto Key(const v1::Conflict& c) {
  return std::make_tuple(static_cast<int>(c.kind()), c.other_id(), c.ci_id(),
                         absl::StrJoin(c.path(), ">"));
}

std::string NameOf(const ConflictFacts& f, const std::string& id) {
  auto it = f.ci_names.find(id);
  return it == f.ci_names.end() ? id : it->second;
}

}  // namespace

std::vector<v1::Conflict> DetectConflicts(const ConflictFacts& f) {
  std::vector<v1::Conflict> out;
  const PlannedChange& me = f.subject;
  const std::set<std::string> mine(me.ci_ids.begin(), me.ci_ids.end());
  // The shortest path to each related CI that is not one of ours (a CI of ours is SAME_CI).
  std::map<std::string, const RelatedCi*> related;
  for (const RelatedCi& r : f.related) {
    if (mine.contains(r.ci_id)) continue;
    auto [it, inserted] = related.emplace(r.ci_id, &r);
    if (!inserted && r.path.size() < it->second->path.size()) it->second = &r;
  }
  std::set<std::string> seen_others;
  for (const PlannedChange& other : f.others) {
    if (other.id == me.id || !other.slot.Overlaps(me.slot) ||
        !seen_others.insert(other.id).second) {
      continue;
    }
    const std::string when =
        other.open_ended
            ? absl::StrCat(other.number, " (in progress since ",
                           base::FormatRfc3339(other.slot.start), ", without a planned end)")
            : absl::StrCat(other.number, " (", Slot(other.slot), ")");
    std::set<std::string> theirs(other.ci_ids.begin(), other.ci_ids.end());
    for (const std::string& ci : theirs) {
      if (mine.contains(ci)) {
        out.push_back(With(v1::CONFLICT_KIND_SAME_CI, other, ci,
                           absl::StrCat("CI ", NameOf(f, ci), " is also changed by ", when)));
      } else if (auto r = related.find(ci); r != related.end()) {
        std::vector<std::string> path;
        for (const std::string& step : r->second->path) path.push_back(NameOf(f, step));
        v1::Conflict c = With(
            v1::CONFLICT_KIND_DEPENDENT_CI, other, r->second->from_ci_id,
            absl::StrCat("CI ", NameOf(f, r->second->from_ci_id), " is related to ", NameOf(f, ci),
                         " (", absl::StrJoin(path, " -> "), "), changed by ", when));
        for (const std::string& step : r->second->path) c.add_path(step);
        out.push_back(std::move(c));
      }
    }
    // The same person however the name was written ("Carol" and "carol").
    if (!me.assignee.empty() && auth::SamePerson(other.assignee, me.assignee)) {
      out.push_back(With(v1::CONFLICT_KIND_ASSIGNEE_DOUBLE_BOOKED, other, "",
                         absl::StrCat(me.assignee, " is also assigned to ", when)));
    }
    if (f.group_double_booking && !me.assignment_group.empty() &&
        absl::EqualsIgnoreCase(other.assignment_group, me.assignment_group)) {
      out.push_back(
          With(v1::CONFLICT_KIND_GROUP_DOUBLE_BOOKED, other, "",
               absl::StrCat("group ", me.assignment_group, " is also assigned to ", when)));
    }
  }
  for (const MajorIncidentOnCi& m : f.major_incidents) {
    if (!mine.contains(m.ci_id)) continue;
    v1::Conflict c;
    c.set_kind(v1::CONFLICT_KIND_MAJOR_INCIDENT);
    c.set_other_id(m.incident_id);
    c.set_other_number(m.incident_number);
    c.set_ci_id(m.ci_id);
    c.set_reason(absl::StrCat("major incident ",
                              m.incident_number.empty() ? m.incident_id : m.incident_number,
                              " is open on CI ", NameOf(f, m.ci_id)));
    out.push_back(std::move(c));
  }
  std::vector<Interval> maintenance;
  std::vector<std::string> maintenance_names;
  for (const WindowOccurrences& w : f.windows) {
    if (w.window.kind() == v1::WINDOW_KIND_MAINTENANCE) {
      maintenance_names.push_back(w.window.name());
      maintenance.insert(maintenance.end(), w.occurrences.begin(), w.occurrences.end());
      continue;
    }
    for (const Interval& o : w.occurrences) {
      if (!o.Overlaps(me.slot)) continue;
      v1::Conflict c;
      c.set_kind(v1::CONFLICT_KIND_BLACKOUT_WINDOW);
      c.set_other_id(w.window.id());
      c.set_reason(
          absl::StrCat("inside blackout window \"", w.window.name(), "\" (", Slot(o), ")"));
      out.push_back(std::move(c));
      break;
    }
  }
  if (!maintenance_names.empty() && !Covered(me.slot, maintenance)) {
    v1::Conflict c;
    c.set_kind(v1::CONFLICT_KIND_OUTSIDE_MAINTENANCE_WINDOW);
    c.set_reason(absl::StrCat("not inside a maintenance window of what it affects (",
                              absl::StrJoin(maintenance_names, ", "), ")"));
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const v1::Conflict& a, const v1::Conflict& b) { return Key(a) < Key(b); });
  if (out.size() > kMaxConflicts) out.resize(kMaxConflicts);
  for (v1::Conflict& c : out) {
    if (c.ByteSizeLong() <= kMaxConflictBytes) continue;
    if (c.path_size() > 2) {
      c.mutable_path()->DeleteSubrange(1, c.path_size() - 2);
    }
    if (c.reason().size() > 500) {
      size_t cut = 497;  // never inside a UTF-8 sequence
      while (cut > 0 && (static_cast<unsigned char>(c.reason()[cut]) & 0xC0) == 0x80) --cut;
      c.set_reason(c.reason().substr(0, cut) + "...");
    }
  }
  return out;
}

bool SameConflicts(const google::protobuf::RepeatedPtrField<v1::Conflict>& a,
                   const std::vector<v1::Conflict>& b) {
  if (a.size() != static_cast<int>(b.size())) return false;
  for (int i = 0; i < a.size(); ++i) {
    if (Key(a[i]) != Key(b[i])) return false;
  }
  return true;
}

}  // namespace itsm::change
