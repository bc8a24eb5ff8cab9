#include "restarter.h"

#include "itsm/runtime/logging.h"

namespace itsm::launcher {

namespace log = runtime::log;

void Restarter::Watch(Restartable* process, absl::Time now) {
  Watched w{.process = process, .backoff = supervisor::RestartBackoff(backoff_)};
  w.backoff.Serving(now);
  watched_.push_back(std::move(w));
}

void Restarter::Tick(absl::Time now) {
  for (Watched& w : watched_) {
    Restartable& p = *w.process;
    switch (w.state) {
      case Watched::State::kServing: {
        if (p.process().Running()) break;
        w.exit = supervisor::DescribeExit(p.process().exit_status().value_or(0));
        w.down_since = now;
        const absl::Duration wait = w.backoff.Exited(now);
        w.restart_at = now + wait;
        w.state = Watched::State::kWaiting;
        log::Error("exited unexpectedly; restarting it",
                   {{"process", p.name()},
                    {"exit", w.exit},
                    {"restart_in", absl::FormatDuration(wait)},
                    {"restarts", w.restarts},
                    {"log", p.log_file()}});
        break;
      }
      case Watched::State::kWaiting: {
        if (now < w.restart_at) break;
        ++w.restarts;
        if (absl::Status launched = p.Relaunch(); !launched.ok()) {
          RetryLater(w, now, launched, "not started");
          break;
        }
        w.state = Watched::State::kStarting;
        log::Info("restarting", {{"process", p.name()}, {"restarts", w.restarts}});
        break;
      }
      case Watched::State::kStarting: {
        absl::StatusOr<bool> ready = p.PollReady();
        if (!ready.ok()) {
          // Exited during its start, or never ready: what is left of it goes (SIGKILL, as a
          // start that timed out at the first start), and the next try waits longer.
          std::string attempt = "killed: not ready in time";
          if (p.process().Running()) {
            p.process().Kill();
          } else {
            attempt = supervisor::DescribeExit(p.process().exit_status().value_or(0));
          }
          RetryLater(w, now, ready.status(), attempt);
          break;
        }
        if (!*ready) break;
        w.state = Watched::State::kServing;
        w.backoff.Serving(now);
        log::Info("restarted", {{"process", p.name()},
                                {"exit", w.exit},
                                {"restarts", w.restarts},
                                {"pid", static_cast<int64_t>(p.process().pid())},
                                {"down_ms", absl::ToDoubleMilliseconds(now - w.down_since)}});
        p.Restarted();
        break;
      }
    }
  }
}

void Restarter::RetryLater(Watched& w, absl::Time now, const absl::Status& why,
                           const std::string& attempt_exit) {
  const absl::Duration wait = w.backoff.Exited(now);
  w.restart_at = now + wait;
  w.state = Watched::State::kWaiting;
  log::Warn("restart failed; trying again later", {{"process", w.process->name()},
                                                   {"error", why.ToString()},
                                                   {"exit", attempt_exit},
                                                   {"restart_in", absl::FormatDuration(wait)},
                                                   {"restarts", w.restarts},
                                                   {"log", w.process->log_file()}});
}

}  // namespace itsm::launcher
