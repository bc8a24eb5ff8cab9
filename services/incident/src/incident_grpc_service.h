// The IncidentService gRPC API (callback API). Writes go through the group committer so that
// many creates share one transaction and one fsync; the record, its idempotency key and its
// outbox event always commit together. Reads use their own snapshot transactions.
#ifndef ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_
#define ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_

#include <functional>

#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "src/incident_factory.h"

namespace itsm::incident {

inline constexpr char kIncidentTopic[] = "itsm.incident.v1";
inline constexpr char kEventSource[] = "itsm/incident";

class IncidentGrpcService final : public v1::IncidentService::CallbackService {
 public:
  IncidentGrpcService(storage::Database& db, storage::GroupCommitter& committer,
                      const IncidentFactory& factory)
      : db_(db), committer_(committer), factory_(factory) {}

  grpc::ServerUnaryReactor* CreateIncident(grpc::CallbackServerContext* ctx,
                                           const v1::CreateIncidentRequest* request,
                                           v1::CreateIncidentResponse* response) override;
  grpc::ServerUnaryReactor* GetIncident(grpc::CallbackServerContext* ctx,
                                        const v1::GetIncidentRequest* request,
                                        v1::GetIncidentResponse* response) override;
  grpc::ServerUnaryReactor* ListIncidents(grpc::CallbackServerContext* ctx,
                                          const v1::ListIncidentsRequest* request,
                                          v1::ListIncidentsResponse* response) override;

 private:
  storage::Database& db_;
  storage::GroupCommitter& committer_;
  const IncidentFactory& factory_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_INCIDENT_GRPC_SERVICE_H_
