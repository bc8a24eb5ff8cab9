#include "services/sla-timer/src/sla_timer.h"

#include <pthread.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/runtime/logging.h"
#include "itsm/sla/v1/events.pb.h"
#include "services/sla-timer/src/clock_republisher.h"

namespace itsm::sla_timer {
namespace log = runtime::log;
namespace {

constexpr char kIncidentPrefix[] = "itsm.incident.v1.";
constexpr char kChangePrefix[] = "itsm.change.v1.";
// A record event stamped further ahead of the timer's clock than this counts as from a host
// whose clock is off (itsm_sla_timer_events_ahead_total): more than NTP lets clocks drift.
constexpr absl::Duration kClockAheadTolerance = absl::Seconds(1);

template <typename T>
absl::StatusOr<incident::v1::Incident> IncidentOf(const events::CloudEvent& e) {
  T message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(e, &message));
  return message.incident();
}

// The incident carried by an incident event; NOT_FOUND for an event type without one.
absl::StatusOr<incident::v1::Incident> IncidentOf(const events::CloudEvent& e) {
  const std::string name = e.type.substr(sizeof(kIncidentPrefix) - 1);
  namespace v1 = incident::v1;
  if (name == "IncidentCreated") return IncidentOf<v1::IncidentCreated>(e);
  if (name == "IncidentUpdated") return IncidentOf<v1::IncidentUpdated>(e);
  if (name == "IncidentAssigned") return IncidentOf<v1::IncidentAssigned>(e);
  if (name == "IncidentStateChanged") return IncidentOf<v1::IncidentStateChanged>(e);
  if (name == "IncidentPriorityChanged") return IncidentOf<v1::IncidentPriorityChanged>(e);
  if (name == "IncidentResolved") return IncidentOf<v1::IncidentResolved>(e);
  if (name == "IncidentClosed") return IncidentOf<v1::IncidentClosed>(e);
  if (name == "IncidentReopened") return IncidentOf<v1::IncidentReopened>(e);
  if (name == "IncidentCancelled") return IncidentOf<v1::IncidentCancelled>(e);
  if (name == "IncidentCommented") return IncidentOf<v1::IncidentCommented>(e);
  return absl::NotFoundError(e.type);
}

template <typename T>
absl::StatusOr<incident::v1::ServiceRequest> ServiceRequestOf(const events::CloudEvent& e) {
  T message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(e, &message));
  return message.service_request();
}

// The service request carried by a service request event; NOT_FOUND for any other type.
absl::StatusOr<incident::v1::ServiceRequest> ServiceRequestOf(const events::CloudEvent& e) {
  const std::string name = e.type.substr(sizeof(kIncidentPrefix) - 1);
  namespace v1 = incident::v1;
  if (name == "ServiceRequestCreated") return ServiceRequestOf<v1::ServiceRequestCreated>(e);
  if (name == "ServiceRequestUpdated") return ServiceRequestOf<v1::ServiceRequestUpdated>(e);
  if (name == "ServiceRequestStateChanged") {
    return ServiceRequestOf<v1::ServiceRequestStateChanged>(e);
  }
  if (name == "ServiceRequestCommented") return ServiceRequestOf<v1::ServiceRequestCommented>(e);
  return absl::NotFoundError(e.type);
}

template <typename T>
absl::StatusOr<change::v1::Change> ChangeOf(const events::CloudEvent& e) {
  T message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(e, &message));
  return message.change();
}

// The change carried by a change event; NOT_FOUND for the topic's other events (templates,
// windows, the policy, releases).
absl::StatusOr<change::v1::Change> ChangeOf(const events::CloudEvent& e) {
  const std::string name = e.type.substr(sizeof(kChangePrefix) - 1);
  namespace v1 = change::v1;
  if (name == "ChangeCreated") return ChangeOf<v1::ChangeCreated>(e);
  if (name == "ChangeUpdated") return ChangeOf<v1::ChangeUpdated>(e);
  if (name == "ChangeStateChanged") return ChangeOf<v1::ChangeStateChanged>(e);
  if (name == "ChangeRiskAssessed") return ChangeOf<v1::ChangeRiskAssessed>(e);
  if (name == "ChangeApprovalDecided") return ChangeOf<v1::ChangeApprovalDecided>(e);
  if (name == "ChangeScheduleChanged") return ChangeOf<v1::ChangeScheduleChanged>(e);
  if (name == "ChangeConflictsChanged") return ChangeOf<v1::ChangeConflictsChanged>(e);
  if (name == "ChangeConflictsOverridden") return ChangeOf<v1::ChangeConflictsOverridden>(e);
  if (name == "ChangeIncidentLinked") return ChangeOf<v1::ChangeIncidentLinked>(e);
  return absl::NotFoundError(e.type);
}

// One incident, service request or change event, as the handler needs it.
struct RecordEvent {
  std::optional<incident::v1::Incident> incident;
  std::optional<incident::v1::ServiceRequest> request;
  std::optional<change::v1::Change> change;
  const std::string& id() const {
    return incident ? incident->id() : request ? request->id() : change->id();
  }
  const char* id_field() const {
    return incident ? "incident.id" : request ? "service_request.id" : "change.id";
  }
};

absl::StatusOr<RecordEvent> RecordOf(const events::CloudEvent& e) {
  RecordEvent out;
  if (e.type.starts_with(kChangePrefix)) {
    ITSM_ASSIGN_OR_RETURN(out.change, ChangeOf(e));
    return out;
  }
  auto incident = IncidentOf(e);
  if (incident.ok()) {
    out.incident = *std::move(incident);
    return out;
  }
  if (incident.status().code() != absl::StatusCode::kNotFound) return incident.status();
  ITSM_ASSIGN_OR_RETURN(out.request, ServiceRequestOf(e));
  return out;
}

// The consumer's view of the record topic, for the firing loop: of the timer's consumer of the
// moment (a new one replaces it when Redis is another process, on the firing loop's thread).
class ConsumerLog final : public PartitionLog {
 public:
  ConsumerLog(const std::unique_ptr<events::EventConsumer>& consumer, std::string topic)
      : consumer_(consumer), topic_(std::move(topic)) {}
  std::optional<int64_t> Applied(int32_t partition) override {
    return consumer_->Applied(topic_, partition);
  }
  absl::StatusOr<int64_t> HighWatermark(int32_t partition) override {
    return consumer_->QueryHighWatermark(topic_, partition, absl::Seconds(1));
  }

 private:
  const std::unique_ptr<events::EventConsumer>& consumer_;
  const std::string topic_;
};

prometheus::Histogram::BucketBoundaries DelayBuckets() {
  return {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
}

}  // namespace

SlaTimer::SlaTimer(Options options, DefinitionSource& source, base::Clock& clock,
                   prometheus::Registry& registry)
    : options_(std::move(options)),
      clock_(clock),
      registry_(registry),
      logic_(source, options_.logic),
      handler_store_(options_.redis_address, options_.key_prefix, options_.redis_auth),
      fire_store_(options_.redis_address, options_.key_prefix, options_.redis_auth),
      publish_store_(options_.redis_address, options_.key_prefix, options_.redis_auth),
      maturing_(options_.published_offsets_lag),
      source_(source),
      admin_store_(options_.redis_address, options_.key_prefix, options_.redis_auth),
      open_family_(prometheus::BuildGauge()
                       .Name("itsm_sla_timer_open_clocks")
                       .Help("Open SLA clocks of the partitions this replica owns, by clock kind "
                             "and stage (running, paused).")
                       .Register(registry)),
      fired_family_(prometheus::BuildCounter()
                        .Name("itsm_sla_timer_fired_total")
                        .Help("Warnings and breaches fired, by clock kind and event (warning, "
                              "breach).")
                        .Register(registry)),
      fire_delay_(prometheus::BuildHistogram()
                      .Name("itsm_sla_clock_fire_delay_seconds")
                      .Help("Time a warning or breach was fired minus the instant it fell due.")
                      .Register(registry)
                      .Add({}, DelayBuckets())),
      publish_delay_(prometheus::BuildHistogram()
                         .Name("itsm_sla_event_publish_delay_seconds")
                         .Help("Time a warning or breach event was delivered to itsm.sla.v1 "
                               "(acknowledged by the brokers) minus the instant it fell due.")
                         .Register(registry)
                         .Add({}, DelayBuckets())),
      lag_seconds_(prometheus::BuildGauge()
                       .Name("itsm_sla_timer_consumer_lag_seconds")
                       .Help("How far behind the record events the timer is: now minus the "
                             "ce_time of the event it handles (or retries), and every 2 s of "
                             "the last one while events of its partitions wait; 0 when none "
                             "wait (or it owns none).")
                       .Register(registry)
                       .Add({})),
      events_ahead_(prometheus::BuildCounter()
                        .Name("itsm_sla_timer_events_ahead_total")
                        .Help("Record events whose change time is more than 1 s ahead of the "
                              "timer's clock: a host clock is off, and SLA verdicts near due "
                              "times may be wrong.")
                        .Register(registry)
                        .Add({})),
      event_ahead_seconds_(prometheus::BuildGauge()
                               .Name("itsm_sla_timer_event_ahead_seconds")
                               .Help("How far ahead of the timer's clock the last such record "
                                     "event was stamped.")
                               .Register(registry)
                               .Add({})),
      handled_family_(prometheus::BuildCounter()
                          .Name("itsm_sla_timer_events_total")
                          .Help("Incident events handled, by type and result (applied, replay: "
                                "already applied, ignored: no incident in it, retry: failed and "
                                "retried, rejected: cannot be processed, parked: kept with its "
                                "record until it can apply).")
                          .Register(registry)),
      without_sla_family_(
          prometheus::BuildCounter()
              .Name("itsm_sla_timer_records_without_sla_total")
              .Help("Record events applied without asking which definitions apply, because none "
                    "can: by reason (no_service, no_priority, refused: the SLA service refused "
                    "the question for this record). Such a record has no clock; it holds up "
                    "nothing.")
              .Register(registry)),
      outbox_pending_(prometheus::BuildGauge()
                          .Name("itsm_sla_timer_outbox_pending_events")
                          .Help("Clock events in the owned partitions' Redis outboxes.")
                          .Register(registry)
                          .Add({})),
      published_(prometheus::BuildCounter()
                     .Name("itsm_sla_timer_published_events_total")
                     .Help("Clock events delivered to itsm.sla.v1.")
                     .Register(registry)
                     .Add({})),
      publish_failures_(prometheus::BuildCounter()
                            .Name("itsm_sla_timer_publish_failures_total")
                            .Help("Outbox batches whose delivery failed (sent again).")
                            .Register(registry)
                            .Add({})),
      owned_partitions_(prometheus::BuildGauge()
                            .Name("itsm_sla_timer_owned_partitions")
                            .Help("Partitions of its record topic this replica owns: while no "
                                  "replica owns a partition, none of its records' clocks "
                                  "fires.")
                            .Register(registry)
                            .Add({})),
      unfireable_clocks_(prometheus::BuildGauge()
                             .Name("itsm_sla_timer_unfireable_clocks")
                             .Help("Due clocks of the owned partitions that could not fire in "
                                   "the last pass (unreadable state, an SLA record that cannot "
                                   "be read): each is tried again every second, and holds back "
                                   "no other.")
                             .Register(registry)
                             .Add({})),
      last_fire_pass_(prometheus::BuildGauge()
                          .Name("itsm_sla_timer_last_fire_pass_time_seconds")
                          .Help("Unix time the last pass over the due clocks of every owned "
                                "partition completed (one every fire_poll_interval_ms): a pass "
                                "that cannot complete, Redis down or hung, leaves it behind.")
                          .Register(registry)
                          .Add({})),
      clock_events_family_(prometheus::BuildCounter()
                               .Name("itsm_sla_timer_clock_events_total")
                               .Help("Clock events written to the outbox with the clock change "
                                     "they announce, by CloudEvents type (itsm.sla.v1.SlaMet, "
                                     "itsm.sla.v1.SlaBreached, ...).")
                               .Register(registry)),
      redis_rewinds_(prometheus::BuildCounter()
                         .Name("itsm_sla_timer_redis_rewinds_total")
                         .Help("Times Redis was another process (restarted, or a replica "
                               "promoted) or lost the timer's data (FLUSHALL, eviction), and "
                               "the consumer went back to the positions it held.")
                         .Register(registry)
                         .Add({})),
      firings_published_again_(prometheus::BuildCounter()
                                   .Name("itsm_sla_timer_firings_published_again_total")
                                   .Help("Warnings and breaches published again, with the ce_id "
                                         "and instant of one read back from itsm.sla.v1 (a "
                                         "replay after Redis lost writes): consumers drop them; "
                                         "not observed in itsm_sla_event_publish_delay_seconds.")
                                   .Register(registry)
                                   .Add({})),
      redis_may_evict_(prometheus::BuildGauge()
                           .Name("itsm_sla_timer_redis_may_evict")
                           .Help("1 when the timer's Redis may delete keys when it is full (its "
                                 "maxmemory-policy is not noeviction): clocks could vanish "
                                 "unseen. 0 when it refuses writes instead.")
                           .Register(registry)
                           .Add({})) {
  // From its start: a timer whose first pass cannot complete is behind from then on.
  last_fire_pass_.Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  // Only a timer with a consumer has positions to go back to; without one (events handed to
  // Handle directly) every Redis is the timer's.
  if (!options_.kafka_bootstrap_servers.empty()) {
    for (ClockStore* store : {&handler_store_, &fire_store_, &publish_store_, &admin_store_}) {
      // The generation its connection was admitted in: once another Redis is accepted, a
      // connection still open to the one before (alive after a failover) is dropped before its
      // next call, so that nothing more is read from or written to it.
      auto admitted_in = std::make_shared<uint64_t>(0);
      store->redis().SetConnectCheck([this, admitted_in](const std::string& identity) {
        absl::StatusOr<uint64_t> generation = incarnation_.Admit(identity);
        if (!generation.ok()) return generation.status();
        *admitted_in = *generation;
        return absl::OkStatus();
      });
      store->redis().SetConnectionExpiry(
          [this, admitted_in] { return *admitted_in != incarnation_.generation(); });
      store->WatchDataset(&incarnation_);
    }
  }
  for (const char* kind : {"response", "resolution"}) {
    for (const char* stage : {"running", "paused"})
      open_family_.Add({{"kind", kind}, {"stage", stage}});
    for (const char* event : {"warning", "breach"})
      fired_family_.Add({{"kind", kind}, {"event", event}});
  }
  for (const char* reason : {"no_service", "no_priority", "refused"}) {
    without_sla_family_.Add({{"reason", reason}});
  }
}

SlaTimer::~SlaTimer() {
  StopConsumer();
  StopFiring();
  StopPublisher();
}

void SlaTimer::Assign(const std::vector<int32_t>& partitions) {
  {
    // What this replica knew of a partition it owned before is stale: start from nothing.
    absl::MutexLock lock(&fire_mu_);
    ForgetFiring(partitions);
  }
  absl::MutexLock lock(&own_mu_);
  for (int32_t p : partitions) owned_.insert(p);
  owned_partitions_.Set(static_cast<double>(owned_.size()));
}

void SlaTimer::Revoke(const std::vector<int32_t>& partitions) {
  {
    absl::MutexLock lock(&own_mu_);
    for (int32_t p : partitions) owned_.erase(p);
    owned_partitions_.Set(static_cast<double>(owned_.size()));
  }
  // Wait for a pass in progress: once this returns, this replica fires and publishes nothing
  // more of these partitions (the new owner may start right away).
  {
    absl::MutexLock lock(&fire_mu_);
    ForgetFiring(partitions);
  }
  { absl::MutexLock lock(&publish_mu_); }
}

void SlaTimer::ForgetFiring(const std::vector<int32_t>& partitions) {
  for (int32_t p : partitions) {
    watermarks_.erase(p);
    unfireable_.erase(p);
  }
}

std::set<int32_t> SlaTimer::owned() const {
  absl::MutexLock lock(&own_mu_);
  return owned_;
}

absl::Status SlaTimer::Handle(const events::ConsumedEvent& event) {
  return HandleBatch({event})[0];
}

// One event of a batch on its way through the handler.
struct SlaTimer::InFlight {
  size_t index = 0;  // in the batch
  const events::ConsumedEvent* consumed = nullptr;
  std::string type;  // without the topic prefix
  RecordEvent record;
  absl::Time change_time;
  ClockStore::Key key;
  // A created record has no state yet: tried without reading first; the compare-and-set tells
  // if it had one after all (a replay).
  bool assume_new = false;
  int attempts = 0;
  // Its result is known (stored, replay, rejected, failed, held back): a later failure to
  // reach Redis in the batch does not change it.
  bool decided = false;
};

std::string SlaTimer::RecordKey(const InFlight& f) {
  return absl::StrCat(f.key.partition, "/", f.key.incident_id);
}

void SlaTimer::CountHandled(const std::string& type, const char* result) {
  handled_family_.Add({{"type", type}, {"result", result}}).Increment();
}

std::optional<SlaTimer::InFlight> SlaTimer::Prepare(const events::ConsumedEvent& consumed,
                                                    absl::Status& status) {
  const events::CloudEvent& e = consumed.event;
  const std::string prefix = options_.topic + ".";
  if (!e.type.starts_with(prefix)) return std::nullopt;
  InFlight f;
  f.consumed = &consumed;
  f.type = e.type.substr(prefix.size());
  // Here too, not only every 2 s on the firing thread: a Redis that hangs holds that thread,
  // while the consumer's thread comes back here with every retry of the events waiting.
  last_event_time_us_.store(absl::ToUnixMicros(e.time));
  lag_seconds_.Set(std::max(0.0, absl::ToDoubleSeconds(clock_.Now() - e.time)));
  auto record = RecordOf(e);
  if (!record.ok()) {
    const bool ignored = record.status().code() == absl::StatusCode::kNotFound;
    CountHandled(f.type, ignored ? "ignored" : "rejected");
    if (!ignored) status = record.status();
    return std::nullopt;
  }
  f.record = *std::move(record);
  if (f.record.id().empty()) {
    CountHandled(f.type, "rejected");
    status = absl::InvalidArgumentError(
        absl::StrCat(e.type, " ", e.id, ": ", f.record.id_field(), ": required"));
    return std::nullopt;
  }
  const google::protobuf::Timestamp* update_time = nullptr;
  if (f.record.incident && f.record.incident->has_update_time()) {
    update_time = &f.record.incident->update_time();
  } else if (f.record.request && f.record.request->has_update_time()) {
    update_time = &f.record.request->update_time();
  } else if (f.record.change && f.record.change->has_update_time()) {
    update_time = &f.record.change->update_time();
  }
  f.change_time = update_time ? base::FromProtoTimestamp(*update_time) : e.time;
  // Judged at the instant its service stamped, the clocks trust that service's clock: one
  // running ahead turns a resolution just before the due time into a breach. Shown, not
  // corrected (docs/operations.md: synchronise every host's clock).
  if (const absl::Duration ahead = f.change_time - clock_.Now(); ahead > kClockAheadTolerance) {
    events_ahead_.Increment();
    event_ahead_seconds_.Set(absl::ToDoubleSeconds(ahead));
  }
  f.key = {consumed.partition, f.record.id()};
  f.assume_new =
      f.type == "IncidentCreated" || f.type == "ServiceRequestCreated" || f.type == "ChangeCreated";
  return f;
}

// What the handling of a batch keeps between its rounds.
struct SlaTimer::BatchState {
  std::vector<absl::Status> status;  // per event of the batch
  // Of the current round: records whose event failed transiently (their later events must
  // wait for a retry), and events that lost the compare-and-set (read again next round).
  absl::flat_hash_set<std::string> blocked;
  std::vector<InFlight*> retry;
  bool wake_publisher = false;
};

std::vector<absl::Status> SlaTimer::HandleBatch(const std::vector<events::ConsumedEvent>& batch) {
  BatchState b;
  b.status.resize(batch.size());
  // Every event stays here while rounds pass pointers to it around.
  std::vector<InFlight> handled;
  handled.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (auto f = Prepare(batch[i], b.status[i])) {
      f->index = i;
      handled.push_back(*std::move(f));
    }
  }
  std::vector<InFlight*> waiting;  // batch order
  for (InFlight& f : handled) waiting.push_back(&f);
  // Rounds of two round trips (read the states, write the changes), each with at most one
  // event per record: a record's events apply in order, different records share round trips.
  while (!waiting.empty()) {
    std::vector<InFlight*> round;
    std::vector<InFlight*> later;
    absl::flat_hash_set<std::string> records_in_round;
    for (InFlight* f : waiting) {
      (records_in_round.insert(RecordKey(*f)).second ? round : later).push_back(f);
    }
    b.blocked.clear();
    b.retry.clear();
    if (absl::Status redis = RunRound(b, round); !redis.ok()) {
      // Redis failed: every event without a result yet comes back.
      for (InFlight& f : handled) {
        if (f.decided) continue;
        CountHandled(f.type, "retry");
        b.status[f.index] = redis;
      }
      break;
    }
    // What remains, in batch order; a blocked record's later events are not applied.
    waiting.clear();
    for (auto* list : {&b.retry, &later}) {
      for (InFlight* f : *list) {
        if (!b.blocked.empty() && b.blocked.contains(RecordKey(*f))) {
          CountHandled(f->type, "retry");
          b.status[f->index] =
              absl::AbortedError("not handled: an earlier event of the record failed");
          f->decided = true;
          continue;
        }
        waiting.push_back(f);
      }
    }
    std::sort(waiting.begin(), waiting.end(),
              [](const InFlight* x, const InFlight* y) { return x->index < y->index; });
  }
  if (b.wake_publisher) WakePublisher();
  return std::move(b.status);
}

// One part of a round: its decisions and the writes that store them.
struct SlaTimer::Chunk {
  std::vector<Outcome> outcomes;
  std::vector<InFlight*> written;
  std::vector<ClockStore::Write> writes;
  // Set by the commit, once `done` is notified.
  absl::StatusOr<std::vector<absl::StatusOr<bool>>> applied = std::vector<absl::StatusOr<bool>>{};
  absl::Notification done;
};

absl::Status SlaTimer::RunRound(BatchState& b, const std::vector<InFlight*>& round) {
  std::vector<ClockStore::Key> to_load;
  for (const InFlight* f : round) {
    if (!f->assume_new) to_load.push_back(f->key);
  }
  std::vector<ClockStore::Loaded> loaded;
  if (!to_load.empty()) {
    ITSM_ASSIGN_OR_RETURN(loaded, handler_store_.Load(to_load));
  }
  // The round's records are all different, so its writes are independent: while Redis runs the
  // scripts of one chunk, the next chunk is decided (Redis and the decisions each keep a core
  // busy instead of taking turns). At most one chunk is being committed at a time.
  std::unique_ptr<Chunk> committing;
  absl::Status failed;
  const auto finish = [&]() {
    if (committing == nullptr) return;
    committing->done.WaitForNotification();
    if (failed.ok()) failed = FinishChunk(b, *committing);
    committing.reset();
  };
  size_t next_loaded = 0;
  for (size_t begin = 0; begin < round.size() && failed.ok(); begin += kCommitChunk) {
    auto chunk = std::make_unique<Chunk>();
    for (size_t i = begin; i < std::min(round.size(), begin + kCommitChunk); ++i) {
      InFlight& f = *round[i];
      ClockStore::Loaded state;
      if (!f.assume_new) state = std::move(loaded[next_loaded++]);
      f.assume_new = false;
      std::optional<Outcome> out = Decide(b, f, state);
      if (!out) continue;
      const absl::Duration expire_after = ExpireAfter(*out);
      chunk->outcomes.push_back(*std::move(out));
      chunk->writes.push_back({f.key, state.revision, nullptr, expire_after});
      chunk->written.push_back(&f);
    }
    finish();
    if (!failed.ok() || chunk->writes.empty()) continue;
    // Pointers into `outcomes` only once it no longer grows.
    for (size_t k = 0; k < chunk->writes.size(); ++k) {
      chunk->writes[k].outcome = &chunk->outcomes[k];
    }
    Chunk* c = chunk.get();
    committing = std::move(chunk);
    const auto commit = [this, c] {
      c->applied = handler_store_.Commit(c->writes);
      c->done.Notify();
    };
    if (!committer_.TrySubmit(commit)) commit();  // stopping: in this thread
  }
  finish();
  return failed;
}

absl::Status SlaTimer::FinishChunk(BatchState& b, Chunk& chunk) {
  ITSM_RETURN_IF_ERROR(chunk.applied.status());
  const std::vector<absl::StatusOr<bool>>& applied = *chunk.applied;
  for (size_t k = 0; k < chunk.written.size(); ++k) {
    InFlight& f = *chunk.written[k];
    const Outcome& outcome = chunk.outcomes[k];
    if (!applied[k].ok()) {
      FailOrReject(b, f, applied[k].status());
    } else if (!*applied[k]) {
      // The firing loop (or another replica) changed the state meanwhile: read it again.
      if (++f.attempts < 20) {
        b.retry.push_back(&f);
      } else {
        Fail(b, f,
             absl::AbortedError(absl::StrCat(f.record.incident ? "incident " : "service request ",
                                             f.key.incident_id, ": state kept changing")));
      }
    } else {
      // Stored: a later chunk's failure to reach Redis does not send it back.
      f.decided = true;
      CountHandled(f.type, outcome.parked.empty() ? "applied" : "parked");
      CountStored(f.key.incident_id, outcome, clock_.Now(), /*from_firing_loop=*/false);
      if (!outcome.events.empty()) b.wake_publisher = true;
    }
  }
  return absl::OkStatus();
}

std::optional<Outcome> SlaTimer::Decide(BatchState& b, InFlight& f,
                                        const ClockStore::Loaded& state) {
  if (!state.status.ok()) {
    FailOrReject(b, f, state.status);
    return std::nullopt;
  }
  const sla::v1::TimerState* stored = state.state ? &*state.state : nullptr;
  const RecordChange change{.incident = f.record.incident ? &*f.record.incident : nullptr,
                            .request = f.record.request ? &*f.record.request : nullptr,
                            .change = f.record.change ? &*f.record.change : nullptr,
                            .change_time = f.change_time,
                            .event_id = f.consumed->event.id,
                            .event_type = f.type};
  // A definition or calendar that cannot work here parks the event with its record (Apply),
  // which holds the record's clocks without blocking the partition.
  auto out = logic_.Apply(stored, change, f.key.partition, &published_firings_);
  if (!out.ok()) {
    if (out.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail(b, f, out.status());
      return std::nullopt;
    }
    // An event that does not fit its record (one of the other record type) never will: skipped
    // (logged by the consumer) instead of blocking the partition.
    Reject(b, f, out.status());
    return std::nullopt;
  }
  if (!out->changed) {
    CountHandled(f.type, "replay");
    f.decided = true;
    return std::nullopt;
  }
  return *std::move(out);
}

void SlaTimer::Fail(BatchState& b, InFlight& f, const absl::Status& status) {
  CountHandled(f.type, "retry");
  b.status[f.index] = status;
  f.decided = true;
  b.blocked.insert(RecordKey(f));
}

void SlaTimer::FailOrReject(BatchState& b, InFlight& f, const absl::Status& status) {
  // A record's own key that holds no readable state (DATA_LOSS) never will: retried, the event
  // would hold back its partition, and with it the firing of every clock there
  // (FiringWatermark). Skipped, it costs only this record, whose clocks are lost anyway
  // (ItsmSlaClocksUnfireable; docs/runbooks.md). Anything else (Redis loading, a partition key
  // of the wrong kind) is tried again.
  if (status.code() == absl::StatusCode::kDataLoss) {
    Reject(b, f, status);
  } else {
    Fail(b, f, status);
  }
}

void SlaTimer::Reject(BatchState& b, InFlight& f, const absl::Status& status) {
  CountHandled(f.type, "rejected");
  b.status[f.index] = absl::InvalidArgumentError(status.ToString());  // skipped by the consumer
  f.decided = true;
}

void SlaTimer::CountFired(const std::vector<Fired>& fired, absl::Time now, bool from_firing_loop) {
  for (const Fired& f : fired) {
    fired_family_
        .Add({{"kind", f.clock_kind == sla::v1::CLOCK_KIND_RESPONSE ? "response" : "resolution"},
              {"event", f.breach ? "breach" : "warning"}})
        .Increment();
    fire_delay_.Observe(std::max(0.0, absl::ToDoubleSeconds(now - f.due)));
    if (from_firing_loop && options_.on_fired) options_.on_fired(f, now);
  }
}

void SlaTimer::CountClockEvents(const std::vector<events::CloudEvent>& written) {
  for (const events::CloudEvent& e : written) {
    clock_events_family_.Add({{"type", e.type}}).Increment();
  }
}

absl::Duration SlaTimer::ExpireAfter(const Outcome& out) const {
  return TimerLogic::Finished(out.state) ? options_.closed_retention : absl::ZeroDuration();
}

void SlaTimer::CountStored(const std::string& record_id, const Outcome& out, absl::Time now,
                           bool from_firing_loop) {
  if (!out.parked.empty()) {
    log::Warn("record event parked: it cannot apply yet, and the record's clocks wait for it",
              {{"record_id", record_id},
               {"event_id", out.state.parked(out.state.parked_size() - 1).event_id()},
               {"parked_events", std::to_string(out.state.parked_size())},
               {"error", out.parked}});
  }
  for (const std::string& dropped : out.dropped) {
    log::Error("parked record event dropped: it does not fit its record",
               {{"record_id", record_id}, {"error", dropped}});
  }
  if (const std::string& reason = out.no_sla_reason; !reason.empty()) {
    without_sla_family_.Add({{"reason", reason}}).Increment();
    log::Warn("record has no SLA clock: no definition can apply",
              {{"record_id", record_id}, {"reason", reason}, {"detail", out.no_sla_detail}});
  }
  CountFired(out.fired, now, from_firing_loop);
  CountClockEvents(out.events);
}

void SlaTimer::LeaveUnfireable(FireWalk& walk, const std::string& id, const absl::Status& why) {
  // Logged when it starts failing, not at every retry: the gauge shows how many still do.
  if (!walk.retry_at.contains(id)) {
    log::Error("SLA clocks cannot fire", {{"incident_id", id}, {"error", why.ToString()}});
  }
  // Not at every pass (its state and SLA record would be re-read each time), yet soon once its
  // cause is repaired.
  walk.unfireable[id] = absl::Now() + options_.unfireable_retry;
  ++walk.left_due;
}

absl::StatusOr<size_t> SlaTimer::FirePartition(int32_t p, absl::Time now, FireWalk& walk) {
  const int batch = options_.fire_batch;
  ITSM_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                        fire_store_.Due(p, now, walk.left_due, batch));
  if (ids.empty()) return 0;
  if (partition_log_ != nullptr) {
    // Fire only what fell due while every event of the partition is known: a clock whose
    // resolution still waits in the backlog must meet, not breach
    // (docs/sla-timer.md, "Firing only on complete knowledge").
    const absl::Time complete = watermarks_[p].Advance(
        now, partition_log_->Applied(p), [&] { return partition_log_->HighWatermark(p); });
    if (complete < now) {
      now = complete;
      ITSM_ASSIGN_OR_RETURN(ids, fire_store_.Due(p, now, walk.left_due, batch));
      if (ids.empty()) return 0;
    }
  }
  const size_t taken = ids.size();
  const absl::Time real_now = absl::Now();
  std::vector<ClockStore::Key> keys;
  keys.reserve(ids.size());
  for (const std::string& id : ids) {
    if (auto it = walk.retry_at.find(id); it != walk.retry_at.end() && it->second > real_now) {
      walk.unfireable[id] = it->second;  // not yet tried again
      ++walk.left_due;
      continue;
    }
    keys.push_back({p, id});
  }
  ITSM_ASSIGN_OR_RETURN(std::vector<ClockStore::Loaded> loaded, fire_store_.Load(keys));
  std::vector<Outcome> outcomes;
  outcomes.reserve(keys.size());
  std::vector<ClockStore::Write> writes;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& id = keys[i].incident_id;
    if (!loaded[i].status.ok()) {
      LeaveUnfireable(walk, id, loaded[i].status);  // until the key is repaired
      continue;
    }
    if (!loaded[i].state) {
      ITSM_RETURN_IF_ERROR(fire_store_.RemoveDue(p, id));  // state gone (expired or wiped)
      continue;
    }
    auto out = logic_.Fire(*loaded[i].state, now);
    if (!out.ok()) {
      // E.g. its SLA record cannot be read now, or a parked event still cannot apply.
      LeaveUnfireable(walk, id, out.status());
      continue;
    }
    // Parked events applied here may have closed the record.
    const absl::Duration expire_after = ExpireAfter(*out);
    outcomes.push_back(*std::move(out));
    writes.push_back({keys[i], loaded[i].revision, nullptr, expire_after});
  }
  // Pointers into `outcomes` only once it no longer grows.
  for (size_t i = 0; i < writes.size(); ++i) writes[i].outcome = &outcomes[i];
  ITSM_ASSIGN_OR_RETURN(std::vector<absl::StatusOr<bool>> applied, fire_store_.Commit(writes));
  int fired = 0;
  const absl::Time after = clock_.Now();
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!applied[i].ok()) {
      log::Error("cannot store fired SLA clocks", {{"incident_id", writes[i].key.incident_id},
                                                   {"error", applied[i].status().ToString()}});
      ++walk.left_due;
      continue;
    }
    if (!*applied[i]) continue;  // changed meanwhile: the next batch reads the new state
    // Still due (its next instant is not after `now`): stays in place, and the walk goes past.
    if (outcomes[i].next_fire && *outcomes[i].next_fire <= now) ++walk.left_due;
    fired += static_cast<int>(outcomes[i].fired.size());
    CountStored(writes[i].key.incident_id, outcomes[i], after, /*from_firing_loop=*/true);
  }
  if (fired > 0) WakePublisher();
  walk.fired += fired;
  return taken;
}

namespace {
constexpr int kMaxBatchesPerWalk = 1000;
}  // namespace

absl::StatusOr<int> SlaTimer::FireOnce() {
  int total = 0;
  size_t unfireable = 0;
  absl::Status failed;  // the first partition's failure; the others still fire
  for (int32_t p : owned()) {
    absl::MutexLock lock(&fire_mu_);
    {
      absl::MutexLock own(&own_mu_);
      if (!owned_.contains(p)) continue;  // revoked meanwhile
    }
    // Take batches until the partition has nothing due (a burst of 10,000 due clocks).
    FireWalk walk{.retry_at = unfireable_[p], .unfireable = {}};
    // Bounded, so that a clock that somehow stays due without being counted (changed by another
    // writer at every read) ends the pass rather than the loop; the next pass goes on.
    absl::Status walked;
    for (int batches = 0; batches < kMaxBatchesPerWalk; ++batches) {
      absl::StatusOr<size_t> taken = FirePartition(p, clock_.Now(), walk);
      if (!taken.ok()) {
        walked = absl::Status(taken.status().code(),
                              absl::StrCat("partition ", p, ": ", taken.status().message()));
        break;
      }
      if (*taken < static_cast<size_t>(options_.fire_batch)) break;
    }
    total += walk.fired;
    if (!walked.ok()) {
      if (failed.ok()) failed = walked;
      unfireable += unfireable_[p].size();  // what it knew of them stays
      continue;
    }
    // Clocks no longer due (fired, repaired, resolved) drop out with the previous walk.
    unfireable_[p] = std::move(walk.unfireable);
    unfireable += unfireable_[p].size();
  }
  unfireable_clocks_.Set(static_cast<double>(unfireable));
  if (!failed.ok()) return failed;
  return total;
}

void SlaTimer::CheckEvictionPolicy() {
  absl::StatusOr<redis::RedisValue> info = fire_store_.redis().Command({"INFO", "memory"});
  if (!info.ok() || info->type != redis::RedisValue::Type::kString) return;  // asked again later
  std::string policy;
  for (absl::string_view line : absl::StrSplit(info->str, "\r\n")) {
    if (absl::ConsumePrefix(&line, "maxmemory_policy:")) policy = std::string(line);
  }
  if (policy.empty() || policy == eviction_policy_) return;
  eviction_policy_ = policy;
  const bool may_evict = policy != "noeviction";
  redis_may_evict_.Set(may_evict ? 1 : 0);
  if (may_evict) {
    log::Error(
        "redis may evict the SLA timer's keys when it is full: a clock evicted is lost unseen, "
        "and its breach with it; set maxmemory-policy noeviction (docs/runbooks.md)",
        {{"redis", options_.redis_address}, {"maxmemory_policy", policy}});
  }
}

void SlaTimer::RefreshGauges() {
  {
    absl::MutexLock lock(&consumer_mu_);
    const bool behind = consumer_ && !consumer_stopped_ && consumer_->MessagesBehind() > 0;
    const int64_t last_event_us = last_event_time_us_.load();
    lag_seconds_.Set(behind && last_event_us > 0
                         ? std::max(0.0, absl::ToDoubleSeconds(clock_.Now() -
                                                               absl::FromUnixMicros(last_event_us)))
                         : 0.0);
  }
  std::map<std::string, int64_t> open;
  int64_t pending = 0;
  for (int32_t p : owned()) {
    auto counts = fire_store_.OpenClocks(p);
    if (!counts.ok()) return;
    for (const auto& [k, v] : *counts) open[k] += v;
    auto len = fire_store_.OutboxLength(p);
    if (len.ok()) pending += *len;
  }
  for (const char* kind : {"response", "resolution"}) {
    for (const char* stage : {"running", "paused"}) {
      open_family_.Add({{"kind", kind}, {"stage", stage}})
          .Set(static_cast<double>(open[absl::StrCat(kind, ":", stage)]));
    }
  }
  outbox_pending_.Set(static_cast<double>(pending));
}

void SlaTimer::FireLoop() {
  while (!stop_fire_.load()) {
    if (incarnation_.Changed() || consumer_down_.load()) ResumeFromRedisPositions();
    auto fired = FireOnce();
    if (!fired.ok()) {
      log::Warn("SLA firing pass failed", {{"error", fired.status().ToString()}});
    } else {
      last_fire_pass_.Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    }
    // Real time here, not the injected clock: this is how often to look, not what is due.
    if (absl::Now() - last_gauges_ > absl::Seconds(2)) {
      RefreshGauges();
      last_gauges_ = absl::Now();
    }
    if (absl::Now() - last_eviction_check_ > absl::Seconds(30)) {
      CheckEvictionPolicy();
      last_eviction_check_ = absl::Now();
    }
    absl::SleepFor(options_.fire_poll_interval);
  }
}

absl::Status SlaTimer::StartProducer() {
  ITSM_ASSIGN_OR_RETURN(producer_, events::KafkaProducer::Create(
                                       {.bootstrap_servers = options_.kafka_bootstrap_servers,
                                        .client_properties = options_.kafka_client_properties,
                                        .client_id = "itsm-sla-timer",
                                        .delivery_timeout = options_.delivery_timeout}));
  return absl::OkStatus();
}

absl::StatusOr<int> SlaTimer::PublishPartition(int32_t p) {
  ITSM_ASSIGN_OR_RETURN(std::vector<std::string> raw,
                        publish_store_.PeekOutbox(p, options_.publish_batch));
  if (raw.empty()) return 0;
  ITSM_ASSIGN_OR_RETURN(events::KafkaProducer::Batch batch, producer_->NewBatch());
  int sent = 0;
  // The due instants of the warnings and breaches in the batch (their ce_time is when they fell
  // due), for the publish delay once delivered.
  std::vector<absl::Time> due;
  int published_again = 0;  // of those, copies of firings read back (below)
  for (const std::string& r : raw) {
    sla::v1::TimerOutboxEntry entry;
    if (!entry.ParseFromString(r)) {
      if (sent > 0) break;  // the entries before it go first
      // Not written by a timer (the outbox holds what the timer serialised): it can never be
      // sent, and kept at the head it would hold back every event of the partition behind it.
      log::Error("an SLA outbox entry does not parse; removed",
                 {{"partition", p}, {"bytes", static_cast<int64_t>(r.size())}});
      publish_failures_.Increment();
      ITSM_RETURN_IF_ERROR(publish_store_.AckOutbox(p, r, 1).status());
      return 0;
    }
    events::CloudEvent e;
    e.id = entry.id();
    e.source = kEventSource;
    e.type = entry.type();
    e.time = absl::FromUnixMicros(entry.time_us());
    e.subject = entry.subject();
    e.data = entry.data();
    const absl::Time written =
        entry.written_us() == 0 ? absl::InfinitePast() : absl::FromUnixMicros(entry.written_us());
    if (batch.Produce(kSlaTopic, entry.subject(), e, written) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      break;  // queue full or similar: send what was queued, the rest next pass
    }
    ++sent;
    if (entry.type() == sla::v1::SlaBreached::descriptor()->full_name() ||
        entry.type() == sla::v1::SlaWarningReached::descriptor()->full_name()) {
      // One published before, read back (a replay after Redis lost writes, a delivery whose
      // outbox removal a crash prevented): consumers had it on time and drop this copy, and
      // counted as late it would burn the freshness SLO for nothing.
      if (published_firings_.Contains(e.id, e.time)) {
        ++published_again;
        continue;
      }
      due.push_back(e.time);
    }
  }
  // The delivered head of the batch leaves the outbox even when a later event failed: sent
  // again with it, every retry of a long outage would repeat the events already delivered.
  int delivered_head = 0;
  int failed = 0;
  const std::vector<events::KafkaProducer::Delivery> deliveries = batch.Wait();
  for (const events::KafkaProducer::Delivery& d : deliveries) {
    if (!d.delivered()) {
      ++failed;
    } else if (failed == 0) {
      ++delivered_head;
    }
  }
  const absl::Time delivered = clock_.Now();
  if (failed > 0 || sent == 0) {
    publish_failures_.Increment();
    if (delivered_head > 0) {
      ITSM_RETURN_IF_ERROR(publish_store_.AckOutbox(p, raw[0], delivered_head).status());
      published_.Increment(delivered_head);
    }
    return absl::UnavailableError(
        absl::StrCat("partition ", p, ": ", failed, " of ", sent, " events not delivered"));
  }
  // Delivered (acks=all): now they may leave the outbox. A crash before this line sends them
  // again with the same ce_id.
  ITSM_ASSIGN_OR_RETURN(bool removed, publish_store_.AckOutbox(p, raw[0], sent));
  if (!removed) log::Warn("outbox head moved (another replica published it)", {{"partition", p}});
  NotePublished(deliveries);
  published_.Increment(sent);
  firings_published_again_.Increment(published_again);
  for (absl::Time at : due) {
    publish_delay_.Observe(std::max(0.0, absl::ToDoubleSeconds(delivered - at)));
  }
  return sent;
}

void SlaTimer::NotePublished(const std::vector<events::KafkaProducer::Delivery>& deliveries) {
  std::map<int32_t, int64_t> last;
  for (const events::KafkaProducer::Delivery& d : deliveries) {
    if (d.delivered() && d.partition >= 0 && d.offset >= 0) {
      last[d.partition] = std::max(last[d.partition], d.offset);
    }
  }
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&note_mu_);
  maturing_.Delivered(last, now);
  if (published_cluster_id_.empty() && absl::Now() - cluster_id_asked_ > absl::Seconds(10)) {
    cluster_id_asked_ = absl::Now();
    published_cluster_id_ = producer_->ClusterId(absl::Seconds(1));
  }
  // Not noted, an offset only makes the next read-back start earlier (published_firings.h).
  const std::map<int32_t, int64_t> matured = maturing_.Matured(now);
  if (matured.empty() || published_cluster_id_.empty()) return;
  if (absl::Status s = publish_store_.NotePublished(published_cluster_id_, matured); !s.ok()) {
    log::Warn("cannot note the published offsets in Redis", {{"error", s.ToString()}});
  }
}

absl::StatusOr<int> SlaTimer::PublishOnce() {
  if (!producer_) return 0;
  int total = 0;
  // A partition that fails (no leader, a broker refusing) does not hold back the others: they
  // are published in the same pass, and the first failure is reported after it.
  absl::Status first_failure;
  for (int32_t p : owned()) {
    absl::MutexLock lock(&publish_mu_);
    {
      absl::MutexLock own(&own_mu_);
      if (!owned_.contains(p)) continue;
    }
    for (;;) {
      absl::StatusOr<int> n = PublishPartition(p);
      if (!n.ok()) {
        if (first_failure.ok()) first_failure = n.status();
        break;
      }
      total += *n;
      if (*n < options_.publish_batch) break;
    }
  }
  if (!first_failure.ok()) return first_failure;
  return total;
}

void SlaTimer::WakePublisher() {
  absl::MutexLock lock(&wake_mu_);
  wake_ = true;
}

void SlaTimer::PublishLoop() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop_publish_.load()) {
    auto n = PublishOnce();
    if (!n.ok()) {
      log::Warn("publishing SLA events failed; retrying", {{"error", n.status().ToString()}});
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(5));
      continue;
    }
    backoff = absl::Milliseconds(100);
    absl::MutexLock lock(&wake_mu_);
    wake_mu_.AwaitWithTimeout(absl::Condition(&wake_), options_.publish_poll_interval);
    wake_ = false;
  }
}

absl::Status SlaTimer::Start() {
  if (!options_.kafka_bootstrap_servers.empty()) {
    ITSM_RETURN_IF_ERROR(StartProducer());
    consumer_ = NewConsumer();
    // Before the firing loop starts: it reads the log from its own thread.
    if (partition_log_ == nullptr) {
      consumer_log_ = std::make_unique<ConsumerLog>(consumer_, options_.topic);
      partition_log_ = consumer_log_.get();
    }
  }
  fire_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sla-fire");
    FireLoop();
  });
  if (producer_) {
    publish_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sla-publish");
      PublishLoop();
    });
  }
  if (!consumer_) return absl::OkStatus();
  absl::MutexLock lock(&consumer_mu_);
  return consumer_->Start();
}

std::unique_ptr<events::EventConsumer> SlaTimer::NewConsumer() {
  events::EventConsumer::Options o{.bootstrap_servers = options_.kafka_bootstrap_servers,
                                   .group_id = options_.group_id,
                                   .topics = {options_.topic},
                                   .client_properties = options_.kafka_client_properties};
  // Positions live in Redis with the clocks (ClockStore::Positions): a Redis that lost writes
  // takes the consumer back to before them. Both run on the consumer's thread, when the handler
  // is not running, so they share its connection.
  o.start_positions = [this](const std::string& cluster_id,
                             const std::vector<std::pair<std::string, int32_t>>& assigning)
      -> absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> {
    std::vector<int32_t> partitions;
    for (const auto& [topic, p] : assigning) {
      if (topic == options_.topic) partitions.push_back(p);
    }
    ITSM_ASSIGN_OR_RETURN(auto stored,
                          handler_store_.Positions(options_.topic, cluster_id, partitions));
    // Before the partitions' events are applied again: the firings Redis may have lost after
    // they were published (a failed read, like positions Redis cannot give now, is asked again).
    ITSM_ASSIGN_OR_RETURN(auto published, handler_store_.PublishedOffsets(cluster_id));
    ITSM_RETURN_IF_ERROR(
        ReadPublishedFirings({.bootstrap_servers = options_.kafka_bootstrap_servers,
                              .client_properties = options_.kafka_client_properties,
                              .topic = kSlaTopic,
                              .after = std::move(published)},
                             published_firings_));
    std::map<std::pair<std::string, int32_t>, int64_t> out;
    for (const auto& [p, offset] : stored) out[{options_.topic, p}] = offset;
    return out;
  };
  o.store_positions = [this](const std::string& cluster_id,
                             const std::map<std::pair<std::string, int32_t>, int64_t>& next) {
    std::map<int32_t, int64_t> positions;
    for (const auto& [key, offset] : next) {
      if (key.first == options_.topic) positions[key.second] = offset;
    }
    // Left behind, a position only makes a restart hand more events again (replays).
    if (absl::Status s = handler_store_.StorePositions(options_.topic, cluster_id, positions);
        !s.ok()) {
      log::Warn("cannot store the consumer's positions in Redis", {{"error", s.ToString()}});
    }
  };
  auto consumer = std::make_unique<events::EventConsumer>(
      std::move(o),
      [this](const std::vector<events::ConsumedEvent>& batch) { return HandleBatch(batch); },
      registry_);
  // Runs on the consumer's thread, inside the rebalance: a revoke returns only once this
  // replica stopped firing and publishing the partitions.
  consumer->SetRebalanceListener(
      [this](bool assigned, const std::vector<std::pair<std::string, int32_t>>& list) {
        std::vector<int32_t> partitions;
        for (const auto& [topic, p] : list) {
          if (topic == options_.topic) partitions.push_back(p);
        }
        if (assigned) {
          Assign(partitions);
          WakePublisher();
        } else {
          Revoke(partitions);
        }
      });
  return consumer;
}

void SlaTimer::ResumeFromRedisPositions() {
  absl::MutexLock lock(&consumer_mu_);
  if (!consumer_ || consumer_stopped_) return;
  if (incarnation_.Changed()) {
    log::Warn(
        "redis is another dataset (restarted, failed over, resynchronised, emptied) that may "
        "hold less than the one before: the consumer goes back to the positions it holds",
        {{"redis", options_.redis_address}});
    // Leaves the group: every partition is revoked, so nothing fires until the new consumer is
    // assigned and has applied its partitions up to their ends (FiringWatermark).
    consumer_->Stop();
    const std::set<int32_t> owned_before = owned();
    Revoke({owned_before.begin(), owned_before.end()});
    {
      // What was delivered before may lie past firings this Redis lost (published_firings.h).
      absl::MutexLock note(&note_mu_);
      maturing_.Clear();
      incarnation_.Accept();
    }
    redis_rewinds_.Increment();
  } else if (absl::Now() < next_consumer_start_) {
    return;
  }
  consumer_ = NewConsumer();
  // The same configuration started the first consumer, but librdkafka may lack a resource now:
  // without a consumer this replica would own nothing and fire nothing, silently.
  absl::Status started = consumer_->Start();
  consumer_down_.store(!started.ok());
  if (!started.ok()) {
    next_consumer_start_ = absl::Now() + absl::Seconds(1);
    log::Error("cannot start the incident consumer again; trying again",
               {{"error", started.ToString()}});
  }
}

void SlaTimer::StopConsumer() {
  absl::MutexLock lock(&consumer_mu_);
  consumer_stopped_ = true;
  if (consumer_) consumer_->Stop();
}

void SlaTimer::StopFiring() {
  stop_fire_.store(true);
  if (fire_thread_.joinable()) fire_thread_.join();
}

void SlaTimer::StopPublisher() {
  if (publish_thread_.joinable()) {
    stop_publish_.store(true);
    WakePublisher();
    publish_thread_.join();
    // A last pass for what the firing loop and the consumer wrote before they stopped.
    if (auto n = PublishOnce(); !n.ok()) {
      log::Warn("last publish before stop failed; events stay in Redis",
                {{"error", n.status().ToString()}});
    }
  }
  producer_.reset();  // every batch was waited for: nothing is left to flush
}

namespace {

// SCAN over keys matching `pattern`, `visit` called with each round's keys.
absl::Status ScanKeys(redis::RedisClient& redis, const std::string& pattern,
                      const std::function<absl::Status(const std::vector<std::string>&)>& visit) {
  std::string cursor = "0";
  do {
    ITSM_ASSIGN_OR_RETURN(redis::RedisValue reply,
                          redis.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "500"}));
    if (reply.type != redis::RedisValue::Type::kArray || reply.elements.size() != 2) {
      return absl::InternalError("redis: unexpected SCAN reply");
    }
    cursor = reply.elements[0].str;
    std::vector<std::string> keys;
    for (const redis::RedisValue& k : reply.elements[1].elements) keys.push_back(k.str);
    if (!keys.empty()) ITSM_RETURN_IF_ERROR(visit(keys));
  } while (cursor != "0");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> SlaTimer::Republish(absl::Time start, absl::Time end) {
  absl::MutexLock lock(&admin_mu_);
  redis::RedisClient& redis = admin_store_.redis();
  int64_t queued = 0;
  absl::Status scanned = ScanKeys(
      redis, absl::StrCat(options_.key_prefix, ":clk:*"),
      [&](const std::vector<std::string>& keys) -> absl::Status {
        std::vector<std::vector<std::string>> reads;
        for (const std::string& k : keys) reads.push_back({"HGET", k, "s"});
        ITSM_ASSIGN_OR_RETURN(auto states, redis.Pipeline(reads));
        std::vector<std::vector<std::string>> pushes;
        int64_t round = 0;
        for (size_t i = 0; i < states.size(); ++i) {
          if (states[i].type != redis::RedisValue::Type::kString) continue;  // expired meanwhile
          sla::v1::TimerState state;
          if (!state.ParseFromString(states[i].str)) {
            // As the firing loop does: a corrupt key is logged and skipped, the others go on.
            log::Error("clock state does not parse; not re-published", {{"key", keys[i]}});
            continue;
          }
          ITSM_ASSIGN_OR_RETURN(auto events, RepublishedClocks(source_, state, start, end));
          if (events.empty()) continue;
          std::vector<std::string> push = {"RPUSH", admin_store_.OutboxKey(state.partition())};
          // Written (for consumers such as webhook subscriptions) when the clock last changed:
          // a state re-published at a restart is no news to a subscription made since.
          for (const events::CloudEvent& e : events) {
            push.push_back(ClockStore::OutboxEntry(e, e.time));
          }
          round += static_cast<int64_t>(events.size());
          pushes.push_back(std::move(push));
        }
        if (pushes.empty()) return absl::OkStatus();
        ITSM_ASSIGN_OR_RETURN(auto replies, redis.Pipeline(pushes));
        for (const redis::RedisValue& r : replies) {
          if (r.type == redis::RedisValue::Type::kError) {
            return absl::InternalError(absl::StrCat("redis: ", r.str));
          }
        }
        queued += round;
        return absl::OkStatus();
      });
  if (queued > 0) WakePublisher();
  ITSM_RETURN_IF_ERROR(scanned);
  return queued;
}

absl::StatusOr<int64_t> SlaTimer::PendingEvents() {
  absl::MutexLock lock(&admin_mu_);
  redis::RedisClient& redis = admin_store_.redis();
  int64_t pending = 0;
  ITSM_RETURN_IF_ERROR(ScanKeys(redis, absl::StrCat(options_.key_prefix, ":outbox:*"),
                                [&](const std::vector<std::string>& keys) -> absl::Status {
                                  std::vector<std::vector<std::string>> lens;
                                  for (const auto& k : keys) lens.push_back({"LLEN", k});
                                  ITSM_ASSIGN_OR_RETURN(auto replies, redis.Pipeline(lens));
                                  for (const auto& r : replies) pending += r.integer;
                                  return absl::OkStatus();
                                }));
  return pending;
}

}  // namespace itsm::sla_timer
