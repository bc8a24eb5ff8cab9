// The suite's one Kafka producer: idempotent (enable.idempotence, acks=all), sending CloudEvents
// in batches and waiting for each batch's delivery reports, so that a caller forgets a message
// (marks an outbox row published, removes a Redis outbox entry) only once Kafka acknowledged
// it. The outbox relay and the SLA timer's publisher both use it.
//
//   ITSM_ASSIGN_OR_RETURN(std::unique_ptr<KafkaProducer> producer,
//                         KafkaProducer::Create({.bootstrap_servers = servers}));
//   ITSM_ASSIGN_OR_RETURN(KafkaProducer::Batch batch, producer->NewBatch());
//   for (const CloudEvent& e : events) {
//     // Not queued (queue full, too large...): stop, or later events would overtake it.
//     if (batch.Produce(topic, e.subject, e) != RD_KAFKA_RESP_ERR_NO_ERROR) break;
//   }
//   std::vector<KafkaProducer::Delivery> deliveries = batch.Wait();  // one per queued event
//
// A fatal error (the idempotent producer lost its sequence, e.g. after the broker fenced it)
// leaves librdkafka's producer unusable for good: NewBatch() then starts a new one. Messages of
// the failed batch are reported as not delivered; the caller sends them again, with the same
// ce_id, so consumers drop any that did arrive.
//
// One batch at a time: a batch is produced and waited for by one thread, and the next batch is
// made after Wait() (NewBatch may replace the producer a batch in flight would still use).
#ifndef ITSM_EVENTS_KAFKA_PRODUCER_H_
#define ITSM_EVENTS_KAFKA_PRODUCER_H_

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/events/cloud_event.h"

namespace itsm::events {

struct ProducerOptions {
  std::string bootstrap_servers = {};
  std::string client_properties = {};  // extra librdkafka properties, "k=v;k=v"
  std::string client_id = "itsm";
  // message.timeout.ms: a message not acknowledged in this time is reported as failed. Wait()
  // gives up one second later.
  absl::Duration delivery_timeout = absl::Seconds(10);
};

class KafkaProducer {
 public:
  // What became of one queued message.
  struct Delivery {
    // False: no report before Wait()'s deadline. The message may still arrive; send it again.
    bool reported = false;
    // When reported: NO_ERROR once all in-sync replicas have it, else why it was not delivered
    // (a timeout, a broker refusal, __FATAL).
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
    // Where a delivered message was written; -1 when unknown.
    int32_t partition = -1;
    int64_t offset = -1;
    bool delivered() const { return reported && error == RD_KAFKA_RESP_ERR_NO_ERROR; }
  };

  // The messages sent together and waited for together.
  class Batch {
   public:
    Batch(Batch&&);
    Batch& operator=(Batch&&) = delete;
    // Waits for any report still outstanding: reports refer to this batch.
    ~Batch();

    // Queues `event` (value: event.data, headers: the CloudEvent's) on `topic` with `key`.
    // `written`, when known, is the message's timestamp: when its service wrote the event (into
    // its outbox), the same however often it is published again, so that a consumer can tell
    // an event written before something (a webhook subscription) from one written after it.
    // NO_ERROR once queued; otherwise librdkafka's reason (queue full, larger than
    // message.max.bytes, __FATAL...) and nothing was queued.
    rd_kafka_resp_err_t Produce(const std::string& topic, const std::string& key,
                                const CloudEvent& event, absl::Time written = absl::InfinitePast());
    // Waits for the delivery report of every queued message, until delivery_timeout plus one
    // second has passed. Returns one Delivery per queued message, in the order they were queued.
    std::vector<Delivery> Wait();

    // One queued message, filled in by the delivery report callback (an implementation detail,
    // public only so that the C callback can name it).
    struct Report;

   private:
    friend class KafkaProducer;
    Batch(rd_kafka_t* producer, absl::Duration delivery_timeout);
    bool AllReported() const;
    // Polls until no report is outstanding.
    void Drain();

    rd_kafka_t* producer_;
    absl::Duration delivery_timeout_;
    std::vector<std::unique_ptr<Report>> reports_;
  };

  // INVALID_ARGUMENT for a bad property (client_properties are checked here).
  static absl::StatusOr<std::unique_ptr<KafkaProducer>> Create(ProducerOptions options);
  // Flushes what is still queued (up to delivery_timeout) and closes the producer.
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // A new batch; after a fatal error, on a new producer (an error only if that cannot be made).
  absl::StatusOr<Batch> NewBatch();

  // The broker cluster's id, asked for at most `timeout`; "" when not known yet.
  std::string ClusterId(absl::Duration timeout = absl::Seconds(5));

  // Raises a fabricated fatal error, as the broker would (tests of the recovery).
  void TriggerFatalErrorForTest();

 private:
  explicit KafkaProducer(ProducerOptions options) : options_(std::move(options)) {}
  absl::Status Open();
  void Close();

  const ProducerOptions options_;
  rd_kafka_t* producer_ = nullptr;
};

}  // namespace itsm::events

#endif  // ITSM_EVENTS_KAFKA_PRODUCER_H_
