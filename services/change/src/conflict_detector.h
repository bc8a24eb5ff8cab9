// Conflict detection for one change's planned slot, from data only: the other changes whose
// slots may overlap, what the CMDB says depends on what (both directions, with the path), and
// the windows that concern the change, already expanded into occurrences. No I/O: the
// application gathers the facts, stores the conflicts on the record and publishes them.
//
// Rules (docs/change.md, "Conflicts"):
//   SAME_CI             another change on one of the same CIs overlaps the slot;
//   DEPENDENT_CI        another change on a CI related to one of ours (through the CMDB,
//                       within the policy's depth, either direction) overlaps the slot;
//   OUTSIDE_MAINTENANCE some maintenance window concerns the change and the slot is not wholly
//                       inside the union of their occurrences;
//   BLACKOUT_WINDOW     the slot overlaps an occurrence of a blackout window that concerns it;
//   ASSIGNEE/GROUP      another change with the same assignee (group, when the policy says so)
//                       overlaps the slot;
//   MAJOR_INCIDENT      an open major incident is on one of the change's CIs (whatever the
//                       slot: it is open now).
// Overlap is of half-open intervals [start, end): a change ending at 10:00 does not overlap one
// starting at 10:00.
#ifndef ITSM_SERVICES_CHANGE_CONFLICT_DETECTOR_H_
#define ITSM_SERVICES_CHANGE_CONFLICT_DETECTOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "itsm/change/v1/change.pb.h"
#include "services/change/src/window_schedule.h"

namespace itsm::change {

struct PlannedChange {
  std::string id = {};
  std::string number = {};
  Interval slot = {};
  bool open_ended = false;  // running without a planned slot (scheduled_slot.h)
  std::vector<std::string> ci_ids = {};
  std::string assignment_group = {};
  std::string assignee = {};
};

// One CI the CMDB relates to a CI of the change, and the path between them (CI ids, from ours to
// the related one, both ends included).
struct RelatedCi {
  std::string ci_id = {};
  std::string from_ci_id = {};
  std::vector<std::string> path = {};
};

// An open major incident on a CI (the incident topic's projection, incident_projection.h).
struct MajorIncidentOnCi {
  std::string incident_id = {};
  std::string incident_number = {};
  std::string ci_id = {};
};

struct WindowOccurrences {
  v1::ChangeWindow window;  // concerns the change (WindowCovers)
  std::vector<Interval> occurrences = {};
};

struct ConflictFacts {
  PlannedChange subject = {};
  // Candidates; those that do not overlap the slot are ignored, as is the subject itself.
  std::vector<PlannedChange> others = {};
  std::vector<RelatedCi> related = {};
  std::vector<WindowOccurrences> windows = {};
  bool group_double_booking = false;
  // Open major incidents on CIs; those not on one of the subject's CIs are ignored.
  std::vector<MajorIncidentOnCi> major_incidents = {};
  // CI id -> a name people read ("database/db-01") for the reasons; ids where missing.
  std::map<std::string, std::string> ci_names = {};
};

// The most conflicts kept on a change, and the most bytes of one (change.proto's limits).
inline constexpr size_t kMaxConflicts = 50;
inline constexpr size_t kMaxConflictBytes = 4096;

// Every conflict, ordered by kind, then other record, then CI; the first kMaxConflicts of them,
// each shortened to kMaxConflictBytes (path cut to its ends, reason cut) when longer.
std::vector<v1::Conflict> DetectConflicts(const ConflictFacts& facts);

// Whether two lists of conflicts say the same (same kinds, records, CIs and paths).
bool SameConflicts(const google::protobuf::RepeatedPtrField<v1::Conflict>& a,
                   const std::vector<v1::Conflict>& b);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CONFLICT_DETECTOR_H_
