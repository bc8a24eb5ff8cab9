#include "itsm/runtime/unresponsive_upstream.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace itsm::runtime {

UnresponsiveUpstream::UnresponsiveUpstream(std::string name, const base::Clock& clock,
                                           Options options)
    : name_(std::move(name)), clock_(clock), options_(options) {}

grpc::Status UnresponsiveUpstream::Call(
    absl::FunctionRef<grpc::Status(grpc::ClientContext&)> call) {
  const absl::Time started = absl::Now();
  std::multiset<absl::Time>::iterator mine;
  {
    absl::MutexLock lock(&mu_);
    if (clock_.Now() < silenced_until_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat(name_, " left a call unanswered; asked again from ",
                                       absl::FormatTime(silenced_until_)));
    }
    if (!under_way_.empty() && started - *under_way_.begin() > options_.suspect_after) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat(name_, " has left a call unanswered for ",
                                       absl::FormatDuration(absl::Trunc(
                                           started - *under_way_.begin(), absl::Milliseconds(1))),
                                       "; not asked again meanwhile"));
    }
    mine = under_way_.insert(started);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.deadline)));
  grpc::Status s = call(ctx);
  absl::MutexLock lock(&mu_);
  under_way_.erase(mine);
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    silenced_until_ = clock_.Now() + options_.quiet;
  }
  return s;
}

}  // namespace itsm::runtime
