// The outbox as a service wires it: the relay configured from the service's options
// (kafka_bootstrap_servers, kafka_client_properties, outbox_*), the OutboxAdminService
// (GetOutboxStats, RepublishEvents) on the service's gRPC port, and the relay's stop step in the
// runtime's ordered shutdown, and the outbox's store gauges (itsm_outbox_unpublished_events,
// itsm_outbox_oldest_unpublished_age_seconds: counted from the table, so every replica serves
// them, leader or not). One call in main instead of the same lines in every service.
#ifndef ITSM_OUTBOX_OUTBOX_COMPONENT_H_
#define ITSM_OUTBOX_OUTBOX_COMPONENT_H_

#include <memory>

#include "itsm/outbox/outbox_relay.h"
#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/store_gauges.h"

namespace itsm::outbox {

class OutboxAdminService final : public outbox::v1::OutboxAdminService::CallbackService {
 public:
  OutboxAdminService(storage::Database& db, OutboxRelay& relay) : db_(db), relay_(relay) {}
  grpc::ServerUnaryReactor* GetOutboxStats(grpc::CallbackServerContext* ctx,
                                           const outbox::v1::GetOutboxStatsRequest* request,
                                           outbox::v1::GetOutboxStatsResponse* response) override;
  grpc::ServerUnaryReactor* RepublishEvents(grpc::CallbackServerContext* ctx,
                                            const outbox::v1::RepublishEventsRequest* request,
                                            outbox::v1::RepublishEventsResponse* response) override;

 private:
  storage::Database& db_;
  OutboxRelay& relay_;
};

class OutboxComponent {
 public:
  // Exits with a clear message when the Kafka configuration is invalid. `writer`: the service's
  // group committer, if it has one (see OutboxRelay).
  static std::unique_ptr<OutboxComponent> StartOrExit(runtime::ServiceRuntime& rt,
                                                      storage::Database& db,
                                                      storage::GroupCommitter* writer = nullptr);
  OutboxRelay& relay() { return *relay_; }

 private:
  std::unique_ptr<OutboxRelay> relay_;
  std::unique_ptr<OutboxAdminService> admin_;
  std::unique_ptr<servicedb::StoreGauges> gauges_;
};

// The outbox's store gauges (see OutboxComponent), for a service that runs a relay of its own.
std::vector<servicedb::StoreGauge> OutboxStoreGauges();

}  // namespace itsm::outbox

#endif  // ITSM_OUTBOX_OUTBOX_COMPONENT_H_
