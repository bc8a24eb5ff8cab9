#include "itsm/events/kafka_producer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/base/status_macros.h"
#include "itsm/events/kafka_config.h"
#include "itsm/runtime/logging.h"

namespace itsm::events {
namespace log = runtime::log;

// Filled in by the delivery report callback, on the thread that polls (Wait).
struct KafkaProducer::Batch::Report {
  std::atomic<bool> done{false};
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  int32_t partition = -1;
  int64_t offset = -1;
};

namespace {

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* report = static_cast<KafkaProducer::Batch::Report*>(message->_private);
  if (!report) return;
  report->error = message->err;
  report->partition = message->partition;
  report->offset = message->offset;
  report->done.store(true, std::memory_order_release);
}

void OnError(rd_kafka_t* producer, int err, const char* reason, void*) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    rd_kafka_fatal_error(producer, fatal, sizeof(fatal));
    log::Error("Kafka producer fatal error", {{"error", fatal}});
  } else {
    // Broker connections come and go; the delivery reports say what it meant for messages.
    log::Debug("Kafka producer error", {{"error", reason}});
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(ProducerOptions options) {
  std::unique_ptr<KafkaProducer> producer(new KafkaProducer(std::move(options)));
  ITSM_RETURN_IF_ERROR(producer->Open());
  return producer;
}

KafkaProducer::~KafkaProducer() { Close(); }

absl::Status KafkaProducer::Open() {
  ITSM_ASSIGN_OR_RETURN(auto props, ParseKafkaProperties(options_.client_properties));
  props["bootstrap.servers"] = options_.bootstrap_servers;
  props["client.id"] = options_.client_id;
  props["enable.idempotence"] = "true";  // implies acks=all and ordered retries
  props["acks"] = "all";
  props["linger.ms"] = "2";
  props["message.timeout.ms"] =
      std::to_string(absl::ToInt64Milliseconds(options_.delivery_timeout));
  ITSM_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeKafkaConf(props));
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_conf_set_error_cb(conf, OnError);
  char err[512];
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!producer_) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create the Kafka producer: ", err));
  }
  return absl::OkStatus();
}

void KafkaProducer::Close() {
  if (!producer_) return;
  rd_kafka_flush(producer_, static_cast<int>(absl::ToInt64Milliseconds(options_.delivery_timeout)));
  rd_kafka_destroy(producer_);
  producer_ = nullptr;
}

absl::StatusOr<KafkaProducer::Batch> KafkaProducer::NewBatch() {
  // Asked of librdkafka rather than remembered from the error callback, which runs only when
  // someone polls.
  char reason[512];
  if (producer_ && rd_kafka_fatal_error(producer_, reason, sizeof(reason))) {
    // Nothing of the failed producer is waited for: its batches are over (Wait) and their
    // undelivered messages are the callers' to send again.
    log::Warn("recreating the Kafka producer after a fatal error", {{"error", reason}});
    Close();
  }
  if (!producer_) ITSM_RETURN_IF_ERROR(Open());
  return Batch(producer_, options_.delivery_timeout);
}

void KafkaProducer::TriggerFatalErrorForTest() {
  rd_kafka_test_fatal_error(producer_, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            "triggered by a test");
}

KafkaProducer::Batch::Batch(rd_kafka_t* producer, absl::Duration delivery_timeout)
    : producer_(producer), delivery_timeout_(delivery_timeout) {}

KafkaProducer::Batch::Batch(Batch&&) = default;

KafkaProducer::Batch::~Batch() { Drain(); }

rd_kafka_resp_err_t KafkaProducer::Batch::Produce(const std::string& topic, const std::string& key,
                                                  const CloudEvent& event, absl::Time written) {
  const Headers headers = ToKafkaHeaders(event);
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(headers.size());
  for (const auto& [k, v] : headers) {
    rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                        static_cast<ssize_t>(v.size()));
  }
  auto report = std::make_unique<Report>();
  // 0: librdkafka stamps it now.
  const int64_t timestamp_ms =
      written == absl::InfinitePast() ? int64_t{0} : absl::ToUnixMillis(written);
  rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_TOPIC(topic.c_str()),
      RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(event.data.data()), event.data.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
      RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(report.get()), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(hdrs);  // not queued: the headers are still ours
    return err;
  }
  reports_.push_back(std::move(report));
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool KafkaProducer::Batch::AllReported() const {
  for (const auto& r : reports_) {
    if (!r->done.load(std::memory_order_acquire)) return false;
  }
  return true;
}

std::vector<KafkaProducer::Delivery> KafkaProducer::Batch::Wait() {
  // Every queued message ends in one report, success or failure, within message.timeout.ms.
  const absl::Time deadline = absl::Now() + delivery_timeout_ + absl::Seconds(1);
  while (!AllReported() && absl::Now() < deadline) rd_kafka_poll(producer_, 5);
  std::vector<Delivery> out;
  out.reserve(reports_.size());
  for (const auto& r : reports_) {
    const bool done = r->done.load(std::memory_order_acquire);
    out.push_back({.reported = done,
                   .error = done ? r->error : RD_KAFKA_RESP_ERR_NO_ERROR,
                   .partition = done ? r->partition : -1,
                   .offset = done ? r->offset : -1});
  }
  // What came too late counts as not delivered (sent again, same ce_id); it is still waited
  // for, as its report refers to this batch.
  Drain();
  reports_.clear();
  return out;
}

std::string KafkaProducer::ClusterId(absl::Duration timeout) {
  if (producer_ == nullptr) return "";
  char* id = rd_kafka_clusterid(producer_, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (id == nullptr) return "";
  std::string out(id);
  rd_kafka_mem_free(producer_, id);
  return out;
}

void KafkaProducer::Batch::Drain() {
  while (!AllReported()) rd_kafka_flush(producer_, 100);
}

}  // namespace itsm::events
