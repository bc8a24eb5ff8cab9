// A record's life cycle as a plain table: which state may follow which, and what each step
// means (its Kind, which decides the event that announces it and the fields it sets). Nothing
// else decides whether a state change is legal; the service asks the table and its tests
// enumerate it (every pair of states, legal and illegal).
//
//   const StateMachine<TransitionKind> incidents(
//       {NEW, ASSIGNED, ...}, {{NEW, ASSIGNED, TransitionKind::kAssign}, ...},
//       IncidentStateName, TransitionKindName);
//   ITSM_ASSIGN_OR_RETURN(TransitionKind kind, incidents.Check(RESOLVED, ON_HOLD));
//   // FAILED_PRECONDITION "target_state: RESOLVED -> ON_HOLD is not allowed; from RESOLVED:
//   //                      IN_PROGRESS (reopen), CLOSED (close)"
//
// States are the proto enum numbers of one record type; 0 (UNSPECIFIED) is never a state.
#ifndef ITSM_RECORDS_STATE_MACHINE_H_
#define ITSM_RECORDS_STATE_MACHINE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace itsm::records {

// INVALID_ARGUMENT "<field>: a move to <target> does not keep it; leave it out" when `given`: a
// transition refuses what it would not record, so that no text sent with it is lost unsaid
// (decision 296).
inline absl::Status NotKeptOnThisMove(const char* field, bool given, const std::string& target) {
  if (!given) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": a move to ", target, " does not keep it; leave it out"));
}

template <typename Kind>
class StateMachine {
 public:
  struct Transition {
    int from;
    int to;
    Kind kind;
  };
  using StateNameFn = std::string (*)(int);
  using KindNameFn = const char* (*)(Kind);

  // `field`: the request field a refusal names (a supplier's is target_status).
  StateMachine(std::vector<int> states, std::vector<Transition> transitions, StateNameFn state_name,
               KindNameFn kind_name, std::string field = "target_state")
      : states_(std::move(states)),
        transitions_(std::move(transitions)),
        state_name_(state_name),
        kind_name_(kind_name),
        field_(std::move(field)) {}

  // The kind of from -> to, or FAILED_PRECONDITION naming the transitions allowed from `from`
  // (or saying that `from` is final). Staying in the same state is never a transition.
  absl::StatusOr<Kind> Check(int from, int to) const {
    std::vector<std::string> allowed;
    for (const auto& t : transitions_) {
      if (t.from != from) continue;
      if (t.to == to) return t.kind;
      allowed.push_back(absl::StrCat(StateName(t.to), " (", kind_name_(t.kind), ")"));
    }
    const std::string head =
        absl::StrCat(field_, ": ", StateName(from), " -> ", StateName(to), " is not allowed; ");
    if (allowed.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(head, StateName(from), " is final"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat(head, "from ", StateName(from), ": ", absl::StrJoin(allowed, ", ")));
  }

  // Targets allowed from `from`, in table order.
  std::vector<int> AllowedFrom(int from) const {
    std::vector<int> out;
    for (const auto& t : transitions_) {
      if (t.from == from) out.push_back(t.to);
    }
    return out;
  }
  bool IsFinal(int state) const { return AllowedFrom(state).empty(); }
  const std::vector<int>& states() const { return states_; }
  const std::vector<Transition>& transitions() const { return transitions_; }
  std::string StateName(int state) const { return state_name_(state); }

 private:
  std::vector<int> states_;
  std::vector<Transition> transitions_;
  StateNameFn state_name_;
  KindNameFn kind_name_;
  std::string field_;
};

}  // namespace itsm::records

#endif  // ITSM_RECORDS_STATE_MACHINE_H_
