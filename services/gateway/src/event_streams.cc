#include "services/gateway/src/event_streams.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "google/protobuf/descriptor.h"
#include "itsm/base/error_detail.h"
#include "itsm/events/event_consumer.h"
#include "itsm/events/event_json.h"
#include "itsm/events/kafka_config.h"
#include "itsm/runtime/logging.h"
#include "services/gateway/src/error_answer.h"
#include "services/gateway/src/event_cursor.h"
#include "services/gateway/src/presented_credentials.h"
#include "services/gateway/src/refused_requests.h"

namespace itsm::gateway {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxTypes = 50;
constexpr size_t kMaxTypeLength = 200;
constexpr int kKafkaTimeoutMs = 5000;
// Events a stream remembers having sent (about 100 bytes each): an outbox relay publishes again
// at most the batch it had in flight when it crashed, far fewer.
constexpr size_t kRecentlySentIds = 4096;

// Why a stream ended: the `reason` label of itsm_gateway_event_streams_closed_total.
constexpr char kClient[] = "client";
constexpr char kLag[] = "lag";
constexpr char kShutdown[] = "shutdown";
constexpr char kRetention[] = "retention";
constexpr char kUnauthenticated[] = "unauthenticated";
constexpr char kError[] = "error";

// Heartbeats in a row whose credential re-check could not be queued before a stream ends.
constexpr int kMaxUncheckedHeartbeats = 3;

absl::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

std::string PercentDecode(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
        absl::ascii_isxdigit(in[i + 2])) {
      auto hex = [](char c) { return absl::ascii_isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; };
      out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
      i += 2;
    } else {
      out += in[i] == '+' ? ' ' : in[i];
    }
  }
  return out;
}

// The topic whose events.proto declares `type` ("itsm.incident.v1.IncidentCreated" ->
// "itsm.incident.v1"), among `topics`; "" if none.
std::string TopicOfType(const std::string& type, const std::vector<std::string>& topics) {
  const auto* message =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  if (message == nullptr || message->containing_type() != nullptr) return "";
  for (const std::string& topic : topics) {
    if (message->file()->package() == topic &&
        message->file()->name() ==
            absl::StrCat(absl::StrReplaceAll(topic, {{".", "/"}}), "/events.proto")) {
      return topic;
    }
  }
  return "";
}

// Whether `pattern` (checked by CheckEventTypePattern) names events of `topic`.
bool Covers(const std::string& pattern, const std::string& topic,
            const std::vector<std::string>& topics) {
  if (absl::EndsWith(pattern, ".*") || pattern == "*") {
    return events::TypeMatches(pattern, absl::StrCat(topic, ".Event"));
  }
  return TopicOfType(pattern, topics) == topic;
}

std::string SecondsText(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)))));
}

HttpResponse ErrorResponse(const absl::Status& error, const std::string& request_id,
                           unsigned version, const HeaderList& headers) {
  const ErrorAnswer answer = GatewayError(error, request_id);
  HttpResponse response(static_cast<http::status>(answer.http_status), version);
  response.set(http::field::server, "itsm-gateway");
  response.set(http::field::content_type, "application/json");
  response.set("X-Request-Id", request_id);
  for (const auto& [name, value] : headers) response.set(name, value);
  response.body() = answer.json;
  return response;
}

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

}  // namespace

EventStreamMetrics::EventStreamMetrics(prometheus::Registry& registry)
    : open(prometheus::BuildGauge()
               .Name("itsm_gateway_event_streams_open")
               .Help("Server-Sent Event streams (GET /v1/events) open now.")
               .Register(registry)
               .Add({})),
      sent(prometheus::BuildCounter()
               .Name("itsm_gateway_events_sent_total")
               .Help("Events sent on Server-Sent Event streams.")
               .Register(registry)
               .Add({})),
      closed(prometheus::BuildCounter()
                 .Name("itsm_gateway_event_streams_closed_total")
                 .Help("Event streams ended, by reason: client, lag, shutdown, retention, "
                       "unauthenticated, error.")
                 .Register(registry)) {
  for (const char* reason : {kClient, kLag, kShutdown, kRetention, kUnauthenticated, kError}) {
    closed.Add({{"reason", reason}});
  }
}

// What a request asked for, carried from the HTTP thread to the executor.
struct EventStreams::Opening {
  std::string request_id;
  unsigned version = 11;
  absl::Time start;
  std::string query;
  std::optional<std::string> last_event_id;
  std::string authorization;
  bool authorization_given = false;
  std::string api_key;
  bool api_key_given = false;
  bool repeated_credentials = false;
  Responder respond;
  StreamResponder stream;
};

// One stream: its consumer, its cursor, what it has rendered and not yet handed to the
// connection. Everything runs on its strand.
class EventStream : public StreamingBody, public std::enable_shared_from_this<EventStream> {
 public:
  struct Setup {
    std::string caller;         // the per-caller limit's key
    std::string authorization;  // as presented, re-checked at each heartbeat
    std::string api_key;
    std::vector<std::string> topics;    // assigned: the topics the caller reads and asked for
    std::vector<std::string> patterns;  // requested type patterns; empty: every type of `topics`
    EventCursor cursor;
    std::string last_event_id = {};  // the ce_id of the Last-Event-ID resumed from, if any
  };

  EventStream(EventStreams& hub, Setup setup, KafkaHandle consumer)
      : hub_(hub),
        setup_(std::move(setup)),
        strand_(asio::make_strand(hub.io_)),
        timer_(strand_),
        consumer_(std::move(consumer)),
        cursor_(setup_.cursor) {
    if (!setup_.last_event_id.empty()) sent_ids_.Add(setup_.last_event_id);
  }

  ~EventStream() override {
    // Only when the stream was never started or the hub stopped before teardown ran; never on
    // librdkafka's own thread (a Waker holds a weak reference only).
    if (consumer_ != nullptr)
      std::thread([c = std::move(consumer_)]() mutable { c.reset(); }).detach();
  }

  // Starts listening to the consumer's queue and the heartbeat; returns the first piece.
  std::string Start() {
    queue_ = rd_kafka_queue_get_consumer(consumer_.get());
    waker_ = std::make_unique<std::weak_ptr<EventStream>>(weak_from_this());
    // Called by librdkafka, on its thread, when the queue becomes non-empty: hop to the strand.
    rd_kafka_queue_cb_event_enable(
        queue_,
        [](rd_kafka_t*, void* opaque) {
          if (auto self = static_cast<std::weak_ptr<EventStream>*>(opaque)->lock()) {
            asio::post(self->strand_, [self] { self->Pump(); });
          }
        },
        waker_.get());
    asio::post(strand_, [self = shared_from_this()] { self->ArmHeartbeat(); });
    return absl::StrCat(
        ": itsm event stream\nretry: ", absl::ToInt64Milliseconds(hub_.options_.retry),
        "\nid: ", EventId(EncodeCursor(cursor_), ""), "\n\n");
  }

  void Next(std::function<void(std::optional<std::string>)> deliver) override {
    asio::post(strand_, [self = shared_from_this(), deliver = std::move(deliver)]() mutable {
      self->pending_ = std::move(deliver);
      self->Pump();
    });
  }

  // A client that takes nothing while events wait is found by the server: its write of the
  // piece under way outlasts this.
  absl::Duration StallTimeout() const override { return hub_.options_.stall_timeout; }

  void Closed(End why) override {
    asio::post(strand_, [self = shared_from_this(), why] {
      self->pending_ = nullptr;
      self->Close(why == End::kStalled ? kLag : kClient, "");
    });
  }

  // From any thread: checks the credential again now rather than at the next heartbeat (a key
  // was revoked or rotated on this replica: its streams end at once, not up to a heartbeat
  // later).
  void CheckCredentialNow() {
    asio::post(strand_, [self = shared_from_this()] {
      if (!self->closed_) self->Reauthenticate(/*at_heartbeat=*/false);
    });
  }

  // From any thread: ends the stream with a last `event: close`.
  void Shutdown() {
    asio::post(strand_, [self = shared_from_this()] {
      self->Close(kShutdown, "the gateway is shutting down; reconnect with Last-Event-ID");
    });
  }

 private:
  void Pump() {
    if (!closed_) Fill();
    if (pending_ == nullptr) return;
    if (!ready_.empty()) {
      auto deliver = std::exchange(pending_, nullptr);
      deliver(std::exchange(ready_, std::string()));
    } else if (closed_) {
      std::exchange(pending_, nullptr)(std::nullopt);
    }
  }

  void Fill() {
    while (!closed_ && ready_.size() < hub_.options_.max_buffer_bytes) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_.get(), 0);
      if (message == nullptr) return;
      Take(*message);
      rd_kafka_message_destroy(message);
    }
  }

  void Take(const rd_kafka_message_t& m) {
    if (m.err) {
      if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
      if (m.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
          m.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        return Close(kRetention,
                     "the stream's position is no longer kept by the broker (retention); "
                     "reconnect without Last-Event-ID and re-read the records through the API");
      }
      // Broker and transport errors are retried by librdkafka; the stream waits.
      runtime::log::Warn("event stream: consumer error", {{"error", rd_kafka_err2str(m.err)}});
      return;
    }
    const std::string topic = m.rkt ? rd_kafka_topic_name(m.rkt) : "";
    std::vector<int64_t>& offsets = cursor_.next[topic];
    if (m.partition < 0 || m.partition >= static_cast<int32_t>(kMaxCursorPartitions)) return;
    if (offsets.size() <= static_cast<size_t>(m.partition)) offsets.resize(m.partition + 1, 0);
    if (m.offset < offsets[m.partition]) return;  // already sent (never expected)
    offsets[m.partition] = m.offset + 1;
    moved_ = true;
    absl::StatusOr<events::CloudEvent> event = events::FromKafkaMessage(m);
    if (!event.ok() || !Wanted(event->type)) return;
    // A publisher that crashed after the broker took a batch and before it marked the batch
    // sent publishes it again (at least once): the copies sit a batch apart, with one ce_id.
    if (sent_ids_.Contains(event->id)) return;
    sent_ids_.Add(event->id);
    absl::StatusOr<events::RenderedEvent> rendered = events::RenderCloudEventJson(*event);
    if (!rendered.ok()) {
      runtime::log::Warn("event stream: an event cannot be rendered; skipped",
                         {{"topic", topic}, {"error", rendered.status().ToString()}});
      return;
    }
    const bool plain_id = std::all_of(event->id.begin(), event->id.end(),
                                      [](char c) { return c > 0x20 && c < 0x7f; });
    absl::StrAppend(&ready_, "id: ", EventId(EncodeCursor(cursor_), plain_id ? event->id : ""),
                    "\ndata: ", rendered->json, "\n\n");
    moved_ = false;
    hub_.metrics_.sent.Increment();
  }

  bool Wanted(const std::string& type) const {
    if (setup_.patterns.empty()) return true;
    return std::any_of(setup_.patterns.begin(), setup_.patterns.end(),
                       [&](const std::string& p) { return events::TypeMatches(p, type); });
  }

  void ArmHeartbeat() {
    if (closed_) return;
    timer_.expires_after(absl::ToChronoMilliseconds(hub_.options_.heartbeat));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->Heartbeat();
    });
  }

  void Heartbeat() {
    if (closed_) return;
    Fill();  // a safety net: the queue's wake-up is what normally drives it
    if (pending_ != nullptr && ready_.empty()) {
      ready_ = moved_
                   ? absl::StrCat(": keep-alive\nid: ", EventId(EncodeCursor(cursor_), ""), "\n\n")
                   : ": keep-alive\n\n";
      moved_ = false;
    }
    Pump();
    Reauthenticate(/*at_heartbeat=*/true);
    ArmHeartbeat();
  }

  // A revoked key or an expired token ends the stream within a heartbeat. A heartbeat's check that
  // could not even be queued (the executor full) counts as a failure after
  // kMaxUncheckedHeartbeats in a row: a stream is never carried on unchecked for long.
  void Reauthenticate(bool at_heartbeat) {
    if (hub_.callers_ == nullptr) return;
    std::weak_ptr<EventStream> weak = weak_from_this();
    const bool queued = hub_.blocking_.TrySubmit([weak, this] {
      auto self = weak.lock();
      if (self == nullptr) return;
      absl::StatusOr<Caller> caller = hub_.callers_->Authenticate(
          {.authorization = setup_.authorization, .api_key = setup_.api_key});
      asio::post(strand_, [self, verdict = caller.status()] { self->Checked(verdict); });
    });
    if (!at_heartbeat) return;
    unchecked_heartbeats_ = queued ? 0 : unchecked_heartbeats_ + 1;
    if (unchecked_heartbeats_ >= kMaxUncheckedHeartbeats) {
      Close(kUnauthenticated, "the credential could not be checked again (the gateway is busy)");
    }
  }

  // A credential refused ends the stream. A check that could not be made (the key store or the
  // identity provider unreachable) is no verdict on it: the stream goes on until
  // kMaxUncheckedHeartbeats checks in a row could not be made, then ends as an error, which the
  // client resumes from with Last-Event-ID.
  void Checked(const absl::Status& verdict) {
    if (verdict.ok()) {
      unmade_checks_ = 0;
      return;
    }
    if (verdict.code() == absl::StatusCode::kUnauthenticated ||
        verdict.code() == absl::StatusCode::kPermissionDenied) {
      Close(kUnauthenticated,
            absl::StrCat("the credential is no longer valid: ", verdict.message()));
      return;
    }
    if (++unmade_checks_ >= kMaxUncheckedHeartbeats) {
      Close(kError,
            "the credential could not be checked again (what holds it is unavailable); "
            "reconnect with Last-Event-ID");
    }
  }

  void Close(const char* reason, const std::string& notice) {
    if (closed_) return;
    closed_ = true;
    hub_.metrics_.closed.Add({{"reason", reason}}).Increment();
    timer_.cancel();
    if (reason == kLag || reason == kClient) {
      ready_.clear();
    } else if (!notice.empty()) {
      absl::StrAppend(&ready_, "event: close\ndata: {\"reason\":", events::JsonQuote(reason),
                      ",\"message\":", events::JsonQuote(notice), "}\n\n");
    }
    Pump();
    // After the handler in progress: Close may be called while a fetched message of the
    // consumer is still in hand (Fill), and the consumer must outlive it.
    asio::post(strand_, [self = shared_from_this()] { self->Teardown(); });
  }

  // The consumer is destroyed off the strand: closing waits for librdkafka's threads.
  void Teardown() {
    rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
    rd_kafka_queue_destroy(queue_);
    queue_ = nullptr;
    auto teardown = [consumer = std::move(consumer_), waker = std::move(waker_), &hub = hub_,
                     caller = setup_.caller]() mutable {
      consumer.reset();
      waker.reset();
      hub.Release(caller);
    };
    auto shared = std::make_shared<decltype(teardown)>(std::move(teardown));
    if (!hub_.blocking_.TrySubmit([shared] { (*shared)(); })) (*shared)();
  }

  EventStreams& hub_;
  const Setup setup_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  KafkaHandle consumer_;
  rd_kafka_queue_t* queue_ = nullptr;
  std::unique_ptr<std::weak_ptr<EventStream>> waker_;
  EventCursor cursor_;
  // The cursor moved past events the stream did not send since the last id it sent.
  bool moved_ = false;
  // The ce_ids sent last, so that a copy published again is not sent twice (docs/api.md).
  events::RecentIds sent_ids_{kRecentlySentIds};
  std::string ready_;
  std::function<void(std::optional<std::string>)> pending_;
  bool closed_ = false;
  int unchecked_heartbeats_ = 0;
  int unmade_checks_ = 0;  // in a row: the credential's check failed without a verdict
};

EventStreams::EventStreams(EventStreamOptions options, CallerAuthentication* callers,
                           CallerRateLimits* rate_limits, runtime::Executor& blocking,
                           GatewayMetrics& http_metrics, prometheus::Registry& registry)
    : options_(std::move(options)),
      callers_(callers),
      rate_limits_(rate_limits),
      blocking_(blocking),
      http_metrics_(http_metrics),
      metrics_(registry),
      access_(auth::EventAccess::ForTopics(options_.topics)),
      work_(asio::make_work_guard(io_)) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
}

EventStreams::~EventStreams() {
  Stop(absl::Seconds(5));
  work_.reset();
  io_.stop();
  for (auto& t : threads_) t.join();
}

void EventStreams::CheckCredentialsNow() {
  std::vector<std::shared_ptr<EventStream>> open;
  {
    absl::MutexLock lock(&mu_);
    for (auto& weak : streams_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) s->CheckCredentialNow();
}

int EventStreams::open_streams() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

void EventStreams::Stop(absl::Duration timeout) {
  std::vector<std::shared_ptr<EventStream>> open;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& weak : streams_) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    streams_.clear();
  }
  for (auto& s : open) s->Shutdown();
  open.clear();
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_ == 0; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&none), timeout)) {
    runtime::log::Warn("event streams still open at shutdown",
                       {{"open", static_cast<int64_t>(open_)}});
  }
}

absl::Status EventStreams::Reserve(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the gateway is shutting down; reconnect");
  if (open_ >= options_.max_streams) {
    return absl::UnavailableError(absl::StrCat("the gateway has ", options_.max_streams,
                                               " event streams open (events_max_streams); retry "
                                               "later, or at another replica"));
  }
  int& mine = per_caller_[caller];
  if (mine >= options_.max_streams_per_caller) {
    return absl::ResourceExhaustedError(
        absl::StrCat("you have ", mine,
                     " event streams open at this gateway, the most allowed "
                     "(events_max_streams_per_caller); close one first"));
  }
  ++mine;
  ++open_;
  metrics_.open.Set(open_);
  return absl::OkStatus();
}

void EventStreams::Release(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  if (auto it = per_caller_.find(caller); it != per_caller_.end() && --it->second <= 0) {
    per_caller_.erase(it);
  }
  --open_;
  metrics_.open.Set(open_);
}

void EventStreams::Refuse(const Opening& opening, const absl::Status& error, HeaderList headers) {
  HttpResponse response = ErrorResponse(error, opening.request_id, opening.version, headers);
  response.set(http::field::cache_control, "private, no-cache");
  LogIfRefused(kEventsPath, "GET", response);
  http_metrics_.Observe(kEventsPath, "GET", response.result_int(),
                        absl::ToDoubleSeconds(absl::Now() - opening.start));
  opening.respond(std::move(response));
}

void EventStreams::Open(HttpRequest request, std::string request_id, Responder respond,
                        StreamResponder stream) {
  auto opening = std::make_shared<Opening>();
  opening->request_id = std::move(request_id);
  opening->version = request.version();
  opening->start = absl::Now();
  opening->respond = std::move(respond);
  opening->stream = std::move(stream);
  const absl::string_view target = View(request.target());
  if (const size_t q = target.find('?'); q != absl::string_view::npos) {
    opening->query = std::string(target.substr(q + 1));
  }
  if (auto it = request.find(kLastEventIdHeader); it != request.end()) {
    opening->last_event_id = std::string(View(it->value()));
  }
  const Credentials presented = PresentedCredentials(request);
  opening->authorization = std::string(presented.authorization);
  opening->authorization_given = presented.authorization_given;
  opening->api_key_given = presented.api_key_given;
  opening->api_key = std::string(presented.api_key);
  opening->repeated_credentials = presented.repeated;

  if (request.method() != http::verb::get) {
    return Refuse(*opening,
                  WithHttpStatus(absl::UnimplementedError(absl::StrCat(
                                     View(request.method_string()), " is not allowed on ",
                                     kEventsPath, "; allowed: GET")),
                                 405),
                  {{"Allow", "GET"}});
  }
  if (options_.bootstrap_servers.empty()) {
    return Refuse(*opening, absl::UnavailableError("event streams are off at this gateway: "
                                                   "kafka_bootstrap_servers is not set"));
  }
  if (callers_ == nullptr) {
    return Refuse(*opening, absl::UnavailableError("event streams need the gateway to authenticate "
                                                   "callers (auth_jwks_file), which is off here"));
  }
  // Authentication, rate limits and the broker's metadata block: not on the HTTP threads.
  if (!blocking_.TrySubmit([this, opening] { OpenBlocking(opening); })) {
    Refuse(*opening, runtime::Executor::Overloaded());
  }
}

void EventStreams::OpenBlocking(const std::shared_ptr<Opening>& opening) {
  // The request: types and Last-Event-ID, checked before anything else is looked at.
  std::vector<std::string> patterns;
  for (absl::string_view pair : absl::StrSplit(opening->query, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    const std::string name = PercentDecode(pair.substr(0, eq));
    if (name != "types") {
      return Refuse(*opening, base::FieldError(name, "not a parameter of GET /v1/events (types)"));
    }
    const std::string value =
        eq == absl::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    for (absl::string_view t : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      patterns.emplace_back(absl::StripAsciiWhitespace(t));
    }
  }
  if (patterns.size() > kMaxTypes) {
    return Refuse(*opening, base::FieldError("types", absl::StrCat("at most ", kMaxTypes)));
  }
  std::vector<std::string> wanted_topics;  // of the patterns, in the gateway's topic order
  for (const std::string& p : patterns) {
    if (p.size() > kMaxTypeLength) {
      return Refuse(*opening,
                    base::FieldError("types", absl::StrCat("longer than ", kMaxTypeLength)));
    }
    if (absl::Status s = events::CheckEventTypePattern("types", p); !s.ok()) {
      return Refuse(*opening, base::FieldError("types", absl::StrCat(p, ": ", s.message())));
    }
    bool known = false;
    for (const std::string& topic : options_.topics) {
      if (Covers(p, topic, options_.topics)) {
        known = true;
        if (std::find(wanted_topics.begin(), wanted_topics.end(), topic) == wanted_topics.end()) {
          wanted_topics.push_back(topic);
        }
      }
    }
    if (!known) {
      return Refuse(*opening,
                    base::FieldError("types", absl::StrCat(p,
                                                           ": not an event type of the topics "
                                                           "served here (",
                                                           absl::StrJoin(options_.topics, ", "),
                                                           "); see docs/events.md")));
    }
  }
  std::optional<LastEventId> resume;
  if (opening->last_event_id.has_value()) {
    absl::StatusOr<LastEventId> parsed = ParseLastEventId(*opening->last_event_id, options_.topics);
    if (!parsed.ok()) return Refuse(*opening, parsed.status());
    resume = *std::move(parsed);
  }

  // Who is asking, and may they.
  Credentials credentials{.authorization = opening->authorization,
                          .authorization_given = opening->authorization_given,
                          .api_key = opening->api_key,
                          .api_key_given = opening->api_key_given,
                          .repeated = opening->repeated_credentials};
  absl::StatusOr<Caller> caller = callers_->Authenticate(credentials);
  if (!caller.ok()) {
    return Refuse(*opening, caller.status(), {{"WWW-Authenticate", "Bearer realm=\"itsm\""}});
  }
  HeaderList rate_headers;
  if (rate_limits_ != nullptr) {
    RateVerdict verdict = rate_limits_->Take(caller->identity, /*write=*/false);
    if (!verdict.refusal.ok()) return Refuse(*opening, verdict.refusal, verdict.headers);
    rate_headers = std::move(verdict.headers);
  }
  std::vector<std::string> topics;
  if (patterns.empty()) {
    // No types asked for: every topic the caller may read, the others left out silently.
    for (const std::string& topic : options_.topics) {
      if (access_.MayRead(topic, caller->identity).ok()) topics.push_back(topic);
    }
    if (topics.empty()) {
      return Refuse(*opening,
                    absl::PermissionDeniedError(absl::StrCat(
                        caller->identity.subject, " (roles: ", caller->identity.roles.ToString(),
                        ") may read no topic's events; see docs/security.md")));
    }
  } else {
    std::vector<std::string> denied;
    absl::Status first = absl::OkStatus();
    for (const std::string& topic : wanted_topics) {
      absl::Status s = access_.MayRead(topic, caller->identity);
      if (s.ok()) {
        topics.push_back(topic);
        continue;
      }
      if (first.ok()) first = s;
      for (const std::string& p : patterns) {
        if (Covers(p, topic, options_.topics) &&
            std::find(denied.begin(), denied.end(), p) == denied.end()) {
          denied.push_back(p);
        }
      }
    }
    if (!denied.empty()) {
      return Refuse(*opening, absl::PermissionDeniedError(absl::StrCat(
                                  "types ", absl::StrJoin(denied, ","), ": ", first.message())));
    }
  }
  const std::string caller_key = absl::StrCat(
      caller->identity.issuer, "\n", caller->identity.tenant, "\n", caller->identity.subject);
  if (absl::Status s = Reserve(caller_key); !s.ok()) {
    rate_headers.push_back({"Retry-After", SecondsText(options_.retry)});
    return Refuse(*opening, s, rate_headers);
  }
  bool released = false;
  auto release = [&] {
    if (!released) Release(caller_key);
    released = true;
  };

  // The consumer: where every partition starts, from the cursor or at the end.
  auto props = events::ParseKafkaProperties(options_.client_properties);
  if (!props.ok()) {
    release();
    return Refuse(*opening, absl::InternalError(props.status().ToString()));
  }
  (*props)["bootstrap.servers"] = options_.bootstrap_servers;
  (*props)["group.id"] = "itsm-gateway-events";  // assign() needs one; nothing joins or commits
  (*props)["client.id"] = "itsm-gateway-events";
  (*props)["enable.auto.commit"] = "false";
  (*props)["enable.auto.offset.store"] = "false";
  (*props)["auto.offset.reset"] = "error";
  (*props)["queued.max.messages.kbytes"] = std::to_string(options_.prefetch_kbytes);
  (*props)["isolation.level"] = "read_committed";
  // Kafka answers a fetch as soon as data arrives; the embedded broker waits the whole
  // fetch.wait.max.ms (500 ms by default). 100 ms bounds that wait without making every idle
  // stream poll the broker 50 times a second (the suite's consumers use 20 ms).
  props->try_emplace("fetch.wait.max.ms", "100");
  absl::StatusOr<rd_kafka_conf_t*> conf = events::MakeKafkaConf(*props);
  if (!conf.ok()) {
    release();
    return Refuse(*opening, absl::InternalError(conf.status().ToString()));
  }
  char err[512];
  KafkaHandle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof(err)));
  if (consumer == nullptr) {
    rd_kafka_conf_destroy(*conf);
    release();
    return Refuse(*opening,
                  absl::UnavailableError(absl::StrCat("cannot create a consumer: ", err)));
  }
  rd_kafka_poll_set_consumer(consumer.get());
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_resp_err_t e =
          rd_kafka_metadata(consumer.get(), 1, nullptr, &metadata, kKafkaTimeoutMs);
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    release();
    return Refuse(*opening, absl::UnavailableError(absl::StrCat(
                                "the event broker does not answer: ", rd_kafka_err2str(e))));
  }
  std::map<std::string, int> partitions;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    partitions[metadata->topics[i].topic] = metadata->topics[i].partition_cnt;
  }
  rd_kafka_metadata_destroy(metadata);

  EventCursor start;
  // Offsets are the broker's: an id made on another one (a broker that lost its data and filled
  // up again) would resume at offsets of other events, skipping some silently.
  if (char* cluster_id = rd_kafka_clusterid(consumer.get(), kKafkaTimeoutMs);
      cluster_id != nullptr) {
    start.cluster = ClusterHash(cluster_id);
    rd_kafka_mem_free(consumer.get(), cluster_id);
  }
  if (resume.has_value() && resume->cursor.cluster != 0 && start.cluster != 0 &&
      resume->cursor.cluster != start.cluster) {
    release();
    return Refuse(*opening,
                  WithHttpStatus(absl::OutOfRangeError(
                                     "Last-Event-ID: made on another event broker than this "
                                     "suite's now (its events were lost or it was replaced), so "
                                     "the events after it cannot be found; reconnect without "
                                     "Last-Event-ID and re-read the records through the API"),
                                 410));
  }
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(16);
  absl::Status problem = absl::OkStatus();
  for (const std::string& topic : options_.topics) {
    const int count = partitions.count(topic) ? partitions[topic] : 0;
    const std::vector<int64_t>* from = nullptr;
    if (resume.has_value()) {
      auto it = resume->cursor.next.find(topic);
      if (it == resume->cursor.next.end()) {
        problem = base::FieldError(kLastEventIdHeader,
                                   absl::StrCat("does not cover topic ", topic,
                                                " (made by a gateway serving other topics)"));
        break;
      }
      from = &it->second;
      if (static_cast<int>(from->size()) > count) {
        problem = base::FieldError(kLastEventIdHeader,
                                   absl::StrCat("names partition ", from->size() - 1, " of ", topic,
                                                ", which does not exist: not an id of this suite"));
        break;
      }
    }
    const bool assigned = std::find(topics.begin(), topics.end(), topic) != topics.end();
    std::vector<int64_t>& offsets = start.next[topic];
    for (int p = 0; p < count; ++p) {
      int64_t low = 0, high = 0;
      if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), p,
                                                                   &low, &high, kKafkaTimeoutMs);
          e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        problem = absl::UnavailableError(absl::StrCat("the event broker does not answer for ",
                                                      topic, ": ", rd_kafka_err2str(e)));
        break;
      }
      int64_t offset = high;  // no Last-Event-ID: new events only
      if (from != nullptr) {
        // A partition the id does not name was added after it: all of it is after the id.
        offset = p < static_cast<int>(from->size()) ? (*from)[p] : low;
        if (offset > high) {
          problem = base::FieldError(
              kLastEventIdHeader,
              absl::StrCat("is ahead of ", topic, " partition ", p, " (it ends at offset ", high,
                           "): not an id of this suite's broker"));
          break;
        }
        if (offset < low && assigned) {
          problem = WithHttpStatus(
              absl::OutOfRangeError(absl::StrCat(
                  "Last-Event-ID: the events after it are no longer kept (", topic, " partition ",
                  p, " now starts at offset ", low, ", the id is at ", offset,
                  "); reconnect without Last-Event-ID and re-read the records through the API")),
              410);
          break;
        }
      }
      offsets.push_back(offset);
      if (assigned) {
        rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = offset;
      }
    }
    if (!problem.ok()) break;
  }
  if (problem.ok()) {
    if (rd_kafka_resp_err_t e = rd_kafka_assign(consumer.get(), assignment);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      problem = absl::UnavailableError(absl::StrCat("cannot assign: ", rd_kafka_err2str(e)));
    }
  }
  rd_kafka_topic_partition_list_destroy(assignment);
  if (!problem.ok()) {
    release();
    return Refuse(*opening, problem);
  }

  EventStream::Setup setup;
  setup.caller = caller_key;
  setup.authorization = opening->authorization;
  setup.api_key = opening->api_key;
  setup.topics = topics;
  setup.patterns = patterns;
  setup.cursor = std::move(start);
  if (resume.has_value()) setup.last_event_id = resume->ce_id;
  auto stream = std::make_shared<EventStream>(*this, std::move(setup), std::move(consumer));
  released = true;  // the stream releases its slot when it ends
  // Started before Stop() can see it: a shutdown tears the stream's consumer down, which must
  // not happen while Start() still sets it up.
  std::string first = stream->Start();
  bool stopping = false;
  {
    absl::MutexLock lock(&mu_);
    streams_.erase(
        std::remove_if(streams_.begin(), streams_.end(), [](const auto& w) { return w.expired(); }),
        streams_.end());
    streams_.push_back(stream);
    stopping = stopping_;
  }
  // Stop() began while this stream was being set up and did not see it: it ends at once (after
  // its head, telling the client to reconnect), or it would hold its connection past the server.
  if (stopping) stream->Shutdown();
  HttpResponse head(http::status::ok, opening->version);
  head.set(http::field::server, "itsm-gateway");
  head.set(http::field::content_type, "text/event-stream; charset=utf-8");
  head.set(http::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");  // proxies (nginx) must not buffer the stream
  head.set("X-Request-Id", opening->request_id);
  for (const auto& [name, value] : rate_headers) head.set(name, value);
  http_metrics_.Observe(kEventsPath, "GET", 200,
                        absl::ToDoubleSeconds(absl::Now() - opening->start));
  runtime::log::Info("event stream opened", {{"subject", caller->identity.subject},
                                             {"topics", absl::StrJoin(topics, ",")},
                                             {"resumed", resume.has_value()},
                                             {"request_id", opening->request_id}});
  // The first piece (retry, the starting cursor) is written before anything else is asked for.
  struct FirstThen : StreamingBody {
    std::shared_ptr<EventStream> inner;
    std::string first;
    void Next(std::function<void(std::optional<std::string>)> deliver) override {
      if (!first.empty()) return deliver(std::exchange(first, std::string()));
      inner->Next(std::move(deliver));
    }
    absl::Duration StallTimeout() const override { return inner->StallTimeout(); }
    void Closed(End why) override { inner->Closed(why); }
  };
  auto body = std::make_shared<FirstThen>();
  body->inner = stream;
  body->first = std::move(first);
  opening->stream(std::move(head), std::move(body));
}

std::string EventStreamsOpenApiPathItem() {
  return R"json({"get": {
  "operationId": "Gateway_StreamEvents",
  "summary": "StreamEvents",
  "description": "The suite's domain events as Server-Sent Events (text/event-stream), for clients that cannot speak Kafka. Each `data:` line is one event in the CloudEvents 1.0 JSON format (data in the proto3 JSON mapping); each `id:` is a resume cursor: reconnect with it as Last-Event-ID to receive every later event (each ce_id once per stream; at least once across reconnects). Without Last-Event-ID the stream starts with new events. Only the topics the caller's roles may read (every Get/List RPC of the publishing service) are streamed; requesters are refused. Heartbeat comments every 15 s. See docs/api.md.",
  "tags": ["Events"],
  "parameters": [
    {"name": "types", "in": "query", "required": false,
     "description": "Comma-separated event types (itsm.incident.v1.IncidentCreated) or prefixes (itsm.incident.v1.*); absent: every type the caller may read. A type the caller may not read is 403.",
     "schema": {"type": "string"}},
    {"name": "Last-Event-ID", "in": "header", "required": false,
     "description": "The id of the last event received: the stream resumes after it. An id this API did not give is 400; one whose events are no longer retained is 410.",
     "schema": {"type": "string"}},
    {"name": "X-Request-Id", "in": "header", "required": false,
     "description": "Echoed in the answer.", "schema": {"type": "string"}}
  ],
  "responses": {
    "200": {"description": "The stream: `retry:`, then `id:`/`data:` events, `: keep-alive` comments, and `event: close` before the gateway ends it.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}}},
    "default": {"$ref": "#/components/responses/Error"}
  }
}})json";
}

}  // namespace itsm::gateway
