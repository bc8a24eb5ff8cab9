// GET /v1/events: the suite's domain events as Server-Sent Events, for clients that cannot speak
// Kafka. Each event is CloudEvents 1.0 JSON (libs/events' renderer, the bytes a webhook gets) in
// one `data:` line, its `id:` the resume cursor (event_cursor.h); a client that reconnects with
// Last-Event-ID gets every later event, in order per partition, and no ce_id twice on one
// stream (a crashed relay publishes its last batch again). docs/api.md is the
// user's guide, decisions 121-125 say why it is built this way.
//
// One Kafka consumer per stream, assigned at explicit offsets (no group): resumption is exact
// whatever the gateway replica, and a slow client slows only its own consumer. Bounded: streams
// per gateway and per caller, a per-stream buffer (beyond it the consumer stops fetching; a
// client that takes nothing for `stall_timeout` while it is full is closed "for lag" and resumes
// with its Last-Event-ID), librdkafka's prefetch per stream. Heartbeat comments keep idle
// connections (and proxies) alive and carry the cursor past filtered events; each heartbeat
// re-authenticates the caller, so a revoked key or an expired token ends the stream.
//
//   EventStreams events(options, callers, rate_limits, executor, metrics, registry);
//   // Gateway::HandleStreaming: events.Open(std::move(request), request_id, respond, stream);
//   events.Stop(absl::Seconds(5));  // at shutdown, before the HTTP server stops
#ifndef ITSM_SERVICES_GATEWAY_SRC_EVENT_STREAMS_H_
#define ITSM_SERVICES_GATEWAY_SRC_EVENT_STREAMS_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "itsm/auth/event_access.h"
#include "itsm/runtime/executor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/gateway/src/caller_authentication.h"
#include "services/gateway/src/caller_rate_limits.h"
#include "services/gateway/src/gateway_metrics.h"
#include "services/gateway/src/http_server.h"

namespace itsm::gateway {

inline constexpr char kEventsPath[] = "/v1/events";

struct EventStreamOptions {
  // Empty: the route answers 503 (no broker configured).
  std::string bootstrap_servers = {};
  // Extra librdkafka properties, "key=value;key=value" (kafka_client_properties).
  std::string client_properties = {};
  std::vector<std::string> topics = {};
  int max_streams = 200;
  int max_streams_per_caller = 5;
  absl::Duration heartbeat = absl::Seconds(15);
  // The SSE `retry:` field: how long a client waits before it reconnects.
  absl::Duration retry = absl::Seconds(3);
  size_t max_buffer_bytes = 256 * 1024;
  absl::Duration stall_timeout = absl::Seconds(30);
  // librdkafka's prefetch per stream (queued.max.messages.kbytes).
  int prefetch_kbytes = 1024;
  // Threads rendering events and writing heartbeats for every stream.
  int threads = 1;
};

// itsm_gateway_event_streams_open, itsm_gateway_events_sent_total,
// itsm_gateway_event_streams_closed_total{reason}: reason is client (went away), lag, shutdown,
// retention (its position left the topic), unauthenticated (credential revoked or expired),
// error (a broker error that ends the stream).
struct EventStreamMetrics {
  explicit EventStreamMetrics(prometheus::Registry& registry);
  prometheus::Gauge& open;
  prometheus::Counter& sent;
  prometheus::Family<prometheus::Counter>& closed;
};

class EventStream;

class EventStreams {
 public:
  // `callers` null: authentication is off (allow_unauthenticated), and the route is refused
  // (an event stream cannot be authorised per service). `rate_limits` may be null.
  EventStreams(EventStreamOptions options, CallerAuthentication* callers,
               CallerRateLimits* rate_limits, runtime::Executor& blocking,
               GatewayMetrics& http_metrics, prometheus::Registry& registry);
  ~EventStreams();

  // Answers a request for kEventsPath: an error through `respond`, or a stream through `stream`.
  void Open(HttpRequest request, std::string request_id, Responder respond, StreamResponder stream);
  // Ends every stream (clients see the body end and reconnect, to another replica) and refuses
  // new ones; waits up to `timeout` for them to close.
  void Stop(absl::Duration timeout);
  // From any thread: every open stream checks its credential again now (an API key was revoked
  // or rotated here), rather than at its next heartbeat.
  void CheckCredentialsNow();

  int open_streams() const;
  const EventStreamOptions& options() const { return options_; }

 private:
  friend class EventStream;
  struct Opening;
  void OpenBlocking(const std::shared_ptr<Opening>& opening);
  // Takes a slot for `caller`; the refusal (429/503 with Retry-After) otherwise.
  absl::Status Reserve(const std::string& caller);
  void Release(const std::string& caller);
  void Refuse(const Opening& opening, const absl::Status& error,
              std::vector<std::pair<std::string, std::string>> headers = {});

  const EventStreamOptions options_;
  CallerAuthentication* const callers_;
  CallerRateLimits* const rate_limits_;
  runtime::Executor& blocking_;
  GatewayMetrics& http_metrics_;
  EventStreamMetrics metrics_;
  const auth::EventAccess access_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> per_caller_ ABSL_GUARDED_BY(mu_);
  std::vector<std::weak_ptr<EventStream>> streams_ ABSL_GUARDED_BY(mu_);
};

// The OpenAPI path item of kEventsPath (JSON), for api_description.cc.
std::string EventStreamsOpenApiPathItem();

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_EVENT_STREAMS_H_
