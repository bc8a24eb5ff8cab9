#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "commands.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/events/cloud_event.h"

namespace itsm::ctl {
namespace {

std::atomic<bool> interrupted{false};

// The payload as JSON when its type is one of the suite's messages (linked in), else its size.
std::string DescribePayload(const events::CloudEvent& e) {
  if (e.content_type == events::kJsonContentType) return e.data;
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(e.type);
  if (!descriptor) return absl::StrCat("<", e.data.size(), " bytes of ", e.type, ">");
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(descriptor)->New());
  if (!message->ParseFromString(e.data)) return "<payload does not parse>";
  return ToJson(*message, /*indented=*/false);
}

// Every partition of `topic` from where the tail starts: its beginning, or its end as the broker
// tells it now. Taken before "following" is said, so that an event made after that line is shown
// (a group subscription would join for seconds, then start at the end as it is by then).
absl::Status AssignStart(rd_kafka_t* rk, const std::string& topic, bool from_beginning) {
  constexpr int kTimeoutMs = 5000;
  // The cluster's topics as they are: asking for one topic by name may create it (a broker that
  // creates topics on first use, as the embedded one does), and a misspelt name would then be
  // followed forever, silently.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, /*all_topics=*/1, nullptr, &md, kTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka: ", rd_kafka_err2str(err)));
  }
  int partitions = 0;
  for (int t = 0; t < md->topic_cnt; ++t) {
    if (topic == md->topics[t].topic && md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      partitions = md->topics[t].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (partitions == 0) return absl::NotFoundError(absl::StrCat("topic: no topic ", topic));
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    if (!from_beginning) {
      err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, kTimeoutMs);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_topic_partition_list_destroy(list);
        return absl::UnavailableError(
            absl::StrCat("kafka: the end of partition ", p, ": ", rd_kafka_err2str(err)));
      }
    }
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset =
        from_beginning ? RD_KAFKA_OFFSET_BEGINNING : high;
  }
  err = rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka: ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

absl::Status Tail(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"from-beginning", "count", "timeout"}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError(
        "usage: itsmctl events tail <topic> [--from-beginning] [--count N] [--timeout SECONDS]");
  }
  const std::string topic = args.positionals()[0];
  ITSM_ASSIGN_OR_RETURN(int count, args.GetInt("count", 0));
  ITSM_ASSIGN_OR_RETURN(int timeout, args.GetInt("timeout", 0));
  if (count < 0) return absl::InvalidArgumentError("--count: must be 1 or more (none: no limit)");
  if (timeout < 0) {
    return absl::InvalidArgumentError("--timeout: must be 1 or more seconds (none: no limit)");
  }
  ITSM_ASSIGN_OR_RETURN(std::string bootstrap, ctx.KafkaBootstrap());

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
  // The consumer API asks for a group even with partitions assigned by hand; a throwaway one,
  // never committed: tailing must never move the offsets of a real consumer group.
  rd_kafka_conf_set(conf, "group.id", ("itsmctl-" + base::NewUuid()).c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (!rk) return absl::InternalError(err);
  rd_kafka_poll_set_consumer(rk);
  if (absl::Status assigned = AssignStart(rk, topic, args.Has("from-beginning")); !assigned.ok()) {
    rd_kafka_destroy(rk);
    return assigned;
  }

  signal(SIGINT, [](int) { interrupted = true; });
  signal(SIGTERM, [](int) { interrupted = true; });
  const absl::Time deadline =
      timeout > 0 ? absl::Now() + absl::Seconds(timeout) : absl::InfiniteFuture();
  int seen = 0;
  if (!ctx.globals().json) {
    std::fprintf(stderr, "following %s on %s (Ctrl-C to stop)\n", topic.c_str(), bootstrap.c_str());
  }
  while (!interrupted && absl::Now() < deadline && (count == 0 || seen < count)) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 200);
    if (!msg) continue;
    if (msg->err) {
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::fprintf(stderr, "kafka: %s\n", rd_kafka_message_errstr(msg));
      }
      rd_kafka_message_destroy(msg);
      continue;
    }
    events::Headers headers;
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      size_t size;
      for (size_t i = 0;
           rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : "");
      }
    }
    auto event = events::FromKafkaMessage(
        headers, std::string(static_cast<const char*>(msg->payload), msg->len));
    if (!event.ok()) {
      std::printf("partition %d offset %lld: not a CloudEvent (%s)\n", msg->partition,
                  static_cast<long long>(msg->offset),
                  std::string(event.status().message()).c_str());
    } else if (ctx.globals().json) {
      std::string line = "{\"ce_id\":\"" + event->id + "\",\"ce_type\":\"" + event->type +
                         "\",\"ce_source\":\"" + event->source + "\",\"ce_subject\":\"" +
                         event->subject + "\",\"ce_time\":\"" + base::FormatRfc3339(event->time) +
                         "\",\"partition\":" + std::to_string(msg->partition) +
                         ",\"offset\":" + std::to_string(msg->offset) + ",\"data\":";
      const std::string payload = DescribePayload(*event);
      line += payload.empty() || payload[0] != '{' ? "null" : payload;
      std::printf("%s}\n", line.c_str());
    } else {
      std::printf("%s  %s  %s\n  %s\n", base::FormatRfc3339(event->time).c_str(),
                  event->type.c_str(), event->subject.c_str(), DescribePayload(*event).c_str());
    }
    std::fflush(stdout);
    ++seen;
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (count > 0 && seen < count) {
    return absl::DeadlineExceededError(absl::StrCat("saw ", seen, " of ", count, " events"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunEvents(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] != "tail") {
    return absl::InvalidArgumentError("usage: itsmctl events tail <topic> [--from-beginning]");
  }
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"from-beginning"}));
  return Tail(ctx, args);
}

}  // namespace itsm::ctl
