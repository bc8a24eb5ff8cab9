#include "services/sla-timer/src/timer_admin_service.h"

#include "itsm/base/time_util.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/logging.h"
#include "services/sla-timer/src/timer_logic.h"

namespace itsm::sla_timer {

grpc::ServerUnaryReactor* TimerAdminService::GetOutboxStats(
    grpc::CallbackServerContext* ctx, const outbox::v1::GetOutboxStatsRequest* request,
    outbox::v1::GetOutboxStatsResponse* response) {
  return runtime::RunCall(executor_, ctx, *request, [this, response]() -> absl::Status {
    auto pending = timer_.PendingEvents();
    if (!pending.ok()) return pending.status();
    response->set_pending_events(*pending);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* TimerAdminService::RepublishEvents(
    grpc::CallbackServerContext* ctx, const outbox::v1::RepublishEventsRequest* request,
    outbox::v1::RepublishEventsResponse* response) {
  auto check = [&]() -> absl::Status {
    if (absl::Status refused = runtime::Admit(*ctx, *request); !refused.ok()) return refused;
    if (request->dead_letters()) {
      return absl::FailedPreconditionError(
          "dead_letters: the SLA timer keeps no dead letters (its outbox retries until "
          "delivered)");
    }
    if (!request->has_start_time()) return absl::InvalidArgumentError("start_time: required");
    if (!request->has_end_time()) return absl::InvalidArgumentError("end_time: required");
    for (const auto& [field, ts] : {std::pair{"start_time", &request->start_time()},
                                    std::pair{"end_time", &request->end_time()}}) {
      if (absl::Status bad = base::CheckTimestamp(field, *ts); !bad.ok()) return bad;
    }
    if (base::FromProtoTimestamp(request->end_time()) <=
        base::FromProtoTimestamp(request->start_time())) {
      return absl::InvalidArgumentError("end_time: must be after start_time");
    }
    return absl::OkStatus();
  };
  if (absl::Status bad = check(); !bad.ok()) return runtime::Reject(ctx, bad);
  const absl::Time start = base::FromProtoTimestamp(request->start_time());
  const absl::Time end = base::FromProtoTimestamp(request->end_time());
  // Its only topic; another one has nothing to re-publish here.
  const bool ours = request->topic().empty() || request->topic() == kSlaTopic;
  const std::string actor = runtime::Actor(*ctx), request_id = runtime::RequestId(*ctx);
  return runtime::RunCall(
      executor_, ctx, *request,
      [this, response, start, end, ours, actor, request_id]() -> absl::Status {
        if (!ours) return absl::OkStatus();
        auto n = timer_.Republish(start, end);
        // Who asked, either way: a call that fails part-way has queued
        // the clocks of the batches before the failure.
        const std::string from = base::FormatRfc3339(start), to = base::FormatRfc3339(end);
        if (!n.ok()) {
          runtime::log::Warn(
              "re-publishing clock states failed; those queued before the "
              "failure will be published",
              {{"start_time", from},
               {"end_time", to},
               {"actor", actor},
               {"request_id", request_id},
               {"error", n.status().ToString()}});
          return n.status();
        }
        response->set_republished_events(*n);
        runtime::log::Info("clock states queued for re-publishing", {{"start_time", from},
                                                                     {"end_time", to},
                                                                     {"count", *n},
                                                                     {"actor", actor},
                                                                     {"request_id", request_id}});
        return absl::OkStatus();
      });
}

}  // namespace itsm::sla_timer
