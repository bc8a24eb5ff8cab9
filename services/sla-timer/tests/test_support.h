// Helpers shared by the SLA timer's tests and benchmark: incident events produced straight to
// Kafka (as the incident service's relay would), and a 24x7 definition with short targets.
#ifndef ITSM_SERVICES_SLA_TIMER_TESTS_TEST_SUPPORT_H_
#define ITSM_SERVICES_SLA_TIMER_TESTS_TEST_SUPPORT_H_

#include <librdkafka/rdkafka.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/time_util.h"
#include "itsm/events/cloud_event.h"
#include "itsm/events/event_consumer.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::sla_timer::testing {

// A producer of incident events (idempotent, acks=all), flushed by Flush().
class IncidentProducer {
 public:
  explicit IncidentProducer(const std::string& bootstrap) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err));
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  }
  ~IncidentProducer() {
    Flush();
    rd_kafka_destroy(producer_);
  }
  // Sends `message` (an incident event carrying `incident`) as a CloudEvent keyed by its id.
  void Send(const google::protobuf::Message& message, const incident::v1::Incident& incident) {
    events::CloudEvent e = events::MakeCloudEvent(message, "itsm/incident", incident.id(),
                                                  base::FromProtoTimestamp(incident.update_time()));
    rd_kafka_headers_t* headers = rd_kafka_headers_new(8);
    for (const auto& [k, v] : events::ToKafkaHeaders(e)) {
      rd_kafka_header_add(headers, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                          static_cast<ssize_t>(v.size()));
    }
    while (rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC("itsm.incident.v1"),
                             RD_KAFKA_V_KEY(incident.id().data(), incident.id().size()),
                             RD_KAFKA_V_VALUE(e.data.data(), e.data.size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer_, 10);
    }
  }
  void Flush() { rd_kafka_flush(producer_, 30000); }

 private:
  rd_kafka_t* producer_ = nullptr;
};

// An incident event on itsm.incident.v1 as the consumer hands it over (ce_time = update_time).
inline events::ConsumedEvent Consumed(const google::protobuf::Message& m,
                                      const incident::v1::Incident& i, int32_t partition) {
  events::ConsumedEvent e;
  e.event =
      events::MakeCloudEvent(m, "itsm/incident", i.id(), base::FromProtoTimestamp(i.update_time()));
  e.topic = "itsm.incident.v1";
  e.partition = partition;
  e.key = i.id();
  return e;
}

// An incident of service `service` at P1, NEW, version 1, created and updated at `at`.
inline incident::v1::Incident NewIncident(const std::string& id, absl::Time at,
                                          const std::string& service = "vpn") {
  incident::v1::Incident i;
  i.set_id(id);
  i.set_number(absl::StrCat("INC", id));
  i.set_title("VPN down");
  i.set_service(service);
  i.set_impact(1);
  i.set_urgency(1);
  i.set_priority(incident::v1::PRIORITY_P1);
  i.set_state(incident::v1::INCIDENT_STATE_NEW);
  i.set_version(1);
  *i.mutable_create_time() = base::ToProtoTimestamp(at);
  *i.mutable_update_time() = base::ToProtoTimestamp(at);
  return i;
}

inline incident::v1::IncidentCreated Created(const incident::v1::Incident& i) {
  incident::v1::IncidentCreated c;
  *c.mutable_incident() = i;
  return c;
}

inline incident::v1::IncidentStateChanged StateChanged(const incident::v1::Incident& i) {
  incident::v1::IncidentStateChanged c;
  *c.mutable_incident() = i;
  c.set_new_state(i.state());
  return c;
}

// A 24x7 calendar (no name clash with other tests: `name`).
inline sla::v1::Calendar AlwaysOpen(const std::string& id, const std::string& name) {
  sla::v1::Calendar c;
  c.set_id(id);
  c.set_name(name);
  c.set_time_zone("UTC");
  c.set_always_open(true);
  return c;
}

// An SLA for `service`: P1 resolution `resolve`, no response clock (unless `respond` > 0).
inline sla::v1::SlaDefinition ShortSla(const std::string& id, const std::string& service,
                                       const std::string& calendar_id, absl::Duration resolve,
                                       absl::Duration respond = absl::ZeroDuration()) {
  sla::v1::SlaDefinition d;
  d.set_id(id);
  d.set_name(absl::StrCat("Short ", service));
  d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
  d.set_customer("ACME");
  d.mutable_coverage()->add_services(service);
  d.set_calendar_id(calendar_id);
  auto* t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P1);
  t->mutable_resolution_target()->set_seconds(absl::ToInt64Seconds(resolve));
  if (respond > absl::ZeroDuration()) {
    t->mutable_response_target()->set_seconds(absl::ToInt64Seconds(respond));
  }
  return d;
}

}  // namespace itsm::sla_timer::testing

#endif  // ITSM_SERVICES_SLA_TIMER_TESTS_TEST_SUPPORT_H_
