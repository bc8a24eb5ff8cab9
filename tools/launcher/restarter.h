// What the launcher does when a process of the running suite exits that nobody asked to stop
// (kill -9, a crash, an OOM kill): it starts it again in place, as systemd's
// Restart=on-failure or a Kubernetes pod would — after a wait of 1 s doubling to 30 s, back to
// 1 s once it served a minute (supervisor::RestartBackoff) — and never gives up.
//
//   Restarter restarter;
//   restarter.Watch(&incident, absl::Now());   // each process, once it serves
//   for (;;) { ... wait up to a tick for a stop signal ...; restarter.Tick(absl::Now()); }
//
// Everything happens in Tick(), on the launcher's main thread, and no call blocks longer than
// one health check or PING: the children must be forked by the thread that lives as long as
// they should (PR_SET_PDEATHSIG goes with the thread; child_process.h), and one process that
// crashes at every start must hold up neither the others' watch nor a Ctrl-C.
#ifndef ITSM_TOOLS_LAUNCHER_RESTARTER_H_
#define ITSM_TOOLS_LAUNCHER_RESTARTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supervisor/restart_backoff.h"

namespace itsm::launcher {

// One process the launcher keeps running, and how to start it again where it was.
class Restartable {
 public:
  virtual ~Restartable() = default;
  // For logs: "incident", "redis-server".
  virtual std::string name() const = 0;
  // Its current process (the one started last).
  virtual supervisor::ChildProcess& process() = 0;
  // Starts it again, in place (same program, settings, ports, data), once its process exited.
  // Returns as soon as the process is forked.
  virtual absl::Status Relaunch() = 0;
  // After Relaunch(), one short look: true once it serves; an error when the start failed
  // (the Restarter then kills what is left of it and waits before the next try).
  virtual absl::StatusOr<bool> PollReady() = 0;
  // It serves again after a restart (endpoints.json takes its new pid).
  virtual void Restarted() {}
  // Where it logs, for the messages about it.
  virtual std::string log_file() const = 0;
};

class Restarter {
 public:
  explicit Restarter(supervisor::RestartBackoff::Options backoff = {}) : backoff_(backoff) {}

  // Keeps `process`, which serves since `now`, running. Not owned; it outlives the Restarter.
  void Watch(Restartable* process, absl::Time now);

  // One round: notices the processes that exited, starts again those whose wait is over, and
  // looks once at those starting.
  void Tick(absl::Time now);

 private:
  struct Watched {
    Restartable* process;
    supervisor::RestartBackoff backoff;
    enum class State { kServing, kWaiting, kStarting } state = State::kServing;
    absl::Time restart_at = absl::InfinitePast();
    absl::Time down_since = absl::InfinitePast();
    std::string exit = {};  // how the crash that took it down ended (DescribeExit)
    int restarts = 0;       // starts after the first, failed ones included (Kubernetes' RESTARTS)
  };
  // A start that failed (`attempt_exit`: how that attempt's process ended): the next try after
  // the backoff's wait.
  void RetryLater(Watched& w, absl::Time now, const absl::Status& why,
                  const std::string& attempt_exit);

  supervisor::RestartBackoff::Options backoff_;
  std::vector<Watched> watched_;
};

}  // namespace itsm::launcher

#endif  // ITSM_TOOLS_LAUNCHER_RESTARTER_H_
