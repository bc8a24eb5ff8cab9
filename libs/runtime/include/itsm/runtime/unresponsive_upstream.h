// Keeps the threads that ask another service from each waiting out a deadline while it hangs.
//
// A call left unanswered past `deadline` (a hung service, a partitioned network; a stopped one
// refuses at once) silences the service for `quiet`: until then every call fails at once with
// UNAVAILABLE. And while one call has been under way for longer than `suspect_after` (a healthy
// service answers in a millisecond), other callers do not start theirs: they fail at once too,
// instead of each waiting out a deadline of its own before the first has silenced the service.
// The SLA timer asks on its consumer and firing threads, and a breach due meanwhile waits for
// them: a hung dependency costs each thread at most one deadline per quiet period.
//
//   UnresponsiveUpstream sla("the SLA service", clock, {.deadline = absl::Seconds(1)});
//   grpc::Status s = sla.Call([&](grpc::ClientContext& ctx) {
//     return stub->GetSlaDefinition(&ctx, request, &response);
//   });
#ifndef ITSM_RUNTIME_UNRESPONSIVE_UPSTREAM_H_
#define ITSM_RUNTIME_UNRESPONSIVE_UPSTREAM_H_

#include <set>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/clock.h"

namespace itsm::runtime {

class UnresponsiveUpstream {
 public:
  struct Options {
    absl::Duration deadline = absl::Seconds(1);
    absl::Duration quiet = absl::Seconds(10);
    absl::Duration suspect_after = absl::Milliseconds(250);
  };
  // `name` names the service in the errors ("the SLA service"). The quiet period is read from
  // `clock` (tests move it); how long a call has been under way, from the real clock.
  UnresponsiveUpstream(std::string name, const base::Clock& clock, Options options);

  // `call` with a context carrying the deadline, unless the service is silenced or another call
  // to it is overdue (UNAVAILABLE at once).
  grpc::Status Call(absl::FunctionRef<grpc::Status(grpc::ClientContext&)> call);

 private:
  const std::string name_;
  const base::Clock& clock_;
  const Options options_;
  absl::Mutex mu_;
  absl::Time silenced_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // When each call under way started (real time).
  std::multiset<absl::Time> under_way_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_UNRESPONSIVE_UPSTREAM_H_
