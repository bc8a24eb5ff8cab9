// The SlaService gRPC API (callback API). Calendar and definition writes are rare administrative
// calls: each runs in its own read-write transaction, with its event appended to the outbox in
// the same transaction. Status and reports read the in-memory clock projection.
#ifndef ITSM_SERVICES_SLA_SLA_GRPC_SERVICE_H_
#define ITSM_SERVICES_SLA_SLA_GRPC_SERVICE_H_

#include <functional>
#include <string>

#include "itsm/base/clock.h"
#include "itsm/runtime/executor.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/storage/database.h"
#include "services/sla/src/clock_projection.h"

namespace itsm::sla {

inline constexpr char kSlaTopic[] = "itsm.sla.v1";
inline constexpr char kEventSource[] = "itsm/sla";

struct SlaServiceOptions {
  // The tenant's default zone for TIME_ZONE_SOURCE_CALLER / CI_LOCATION without a zone; empty:
  // the calendar's.
  std::string default_time_zone = {};
  // Called after a commit that appended events (wakes the outbox relay).
  std::function<void()> after_commit = {};
  // The zone of a CI's location (see CiLocationZone); unset: requests must carry ci_time_zone.
  std::function<absl::StatusOr<std::string>(const std::string& ci_id)> ci_location_zone = {};
};

class SlaGrpcService final : public v1::SlaService::CallbackService {
 public:
  // Every call runs on `executor`: none waits for the database or the configuration service on
  // a gRPC callback thread.
  SlaGrpcService(storage::Database& db, const base::Clock& clock, const ClockProjection& projection,
                 runtime::Executor& executor, SlaServiceOptions options)
      : db_(db),
        clock_(clock),
        projection_(projection),
        executor_(executor),
        options_(std::move(options)) {}

  grpc::ServerUnaryReactor* CreateCalendar(grpc::CallbackServerContext* ctx,
                                           const v1::CreateCalendarRequest* request,
                                           v1::CreateCalendarResponse* response) override;
  grpc::ServerUnaryReactor* GetCalendar(grpc::CallbackServerContext* ctx,
                                        const v1::GetCalendarRequest* request,
                                        v1::GetCalendarResponse* response) override;
  grpc::ServerUnaryReactor* ListCalendars(grpc::CallbackServerContext* ctx,
                                          const v1::ListCalendarsRequest* request,
                                          v1::ListCalendarsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateCalendar(grpc::CallbackServerContext* ctx,
                                           const v1::UpdateCalendarRequest* request,
                                           v1::UpdateCalendarResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCalendar(grpc::CallbackServerContext* ctx,
                                           const v1::DeleteCalendarRequest* request,
                                           v1::DeleteCalendarResponse* response) override;
  grpc::ServerUnaryReactor* CreateSlaDefinition(grpc::CallbackServerContext* ctx,
                                                const v1::CreateSlaDefinitionRequest* request,
                                                v1::CreateSlaDefinitionResponse* response) override;
  grpc::ServerUnaryReactor* GetSlaDefinition(grpc::CallbackServerContext* ctx,
                                             const v1::GetSlaDefinitionRequest* request,
                                             v1::GetSlaDefinitionResponse* response) override;
  grpc::ServerUnaryReactor* ListSlaDefinitions(grpc::CallbackServerContext* ctx,
                                               const v1::ListSlaDefinitionsRequest* request,
                                               v1::ListSlaDefinitionsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateSlaDefinition(grpc::CallbackServerContext* ctx,
                                                const v1::UpdateSlaDefinitionRequest* request,
                                                v1::UpdateSlaDefinitionResponse* response) override;
  grpc::ServerUnaryReactor* ResolveApplicableSla(
      grpc::CallbackServerContext* ctx, const v1::ResolveApplicableSlaRequest* request,
      v1::ResolveApplicableSlaResponse* response) override;
  grpc::ServerUnaryReactor* GetDueTime(grpc::CallbackServerContext* ctx,
                                       const v1::GetDueTimeRequest* request,
                                       v1::GetDueTimeResponse* response) override;
  grpc::ServerUnaryReactor* GetIncidentSlaStatus(
      grpc::CallbackServerContext* ctx, const v1::GetIncidentSlaStatusRequest* request,
      v1::GetIncidentSlaStatusResponse* response) override;
  grpc::ServerUnaryReactor* GetComplianceReport(grpc::CallbackServerContext* ctx,
                                                const v1::GetComplianceReportRequest* request,
                                                v1::GetComplianceReportResponse* response) override;

  // The logic behind the RPCs, callable without gRPC (tests, the reactor bodies).
  absl::StatusOr<v1::ResolveApplicableSlaResponse> Resolve(
      const v1::ResolveApplicableSlaRequest& r);
  absl::StatusOr<v1::GetDueTimeResponse> DueTime(const v1::GetDueTimeRequest& r);
  // The compiled calendar `calendar_id` in `time_zone` (its own when empty).
  absl::StatusOr<businesstime::Calendar> LoadCalendar(const std::string& calendar_id,
                                                      const std::string& time_zone);

 private:
  absl::Status Commit(storage::Transaction& txn);

  storage::Database& db_;
  const base::Clock& clock_;
  const ClockProjection& projection_;
  runtime::Executor& executor_;
  const SlaServiceOptions options_;
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_SLA_GRPC_SERVICE_H_
