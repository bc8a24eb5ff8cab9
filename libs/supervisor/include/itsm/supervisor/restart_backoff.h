// How long to wait before starting a crashed process again: Kubernetes' CrashLoopBackOff
// (1 s, 2 s, 4 s ... up to 30 s here), back to the first delay once the process has served for
// a while. Pure arithmetic on the times it is given, so tests drive it without sleeping.
//
//   RestartBackoff backoff;
//   backoff.Serving(absl::Now());                        // started, SERVING
//   ...                                                  // it exits
//   absl::Time restart_at = absl::Now() + backoff.Exited(absl::Now());
//
// A start that fails (the process exits before it serves, or never becomes ready) is an exit
// too: Exited() again, without Serving() in between, doubles the wait.
#ifndef ITSM_SUPERVISOR_RESTART_BACKOFF_H_
#define ITSM_SUPERVISOR_RESTART_BACKOFF_H_

#include <optional>

#include "absl/time/time.h"

namespace itsm::supervisor {

class RestartBackoff {
 public:
  struct Options {
    absl::Duration initial = absl::Seconds(1);
    absl::Duration max = absl::Seconds(30);
    // Serving this long before an exit makes the next wait `initial` again: a process that
    // crashes once a day is restarted at once, one that crashes at every start is not
    // restarted in a tight loop.
    absl::Duration reset_after = absl::Seconds(60);
  };

  RestartBackoff() : RestartBackoff(Options{}) {}
  explicit RestartBackoff(Options options) : options_(options), next_(options.initial) {}

  // The process serves since `now`.
  void Serving(absl::Time now) { serving_since_ = now; }
  // It exited, or a start failed, at `now`: the wait before the next start.
  absl::Duration Exited(absl::Time now);

 private:
  Options options_;
  absl::Duration next_;
  std::optional<absl::Time> serving_since_;
};

}  // namespace itsm::supervisor

#endif  // ITSM_SUPERVISOR_RESTART_BACKOFF_H_
