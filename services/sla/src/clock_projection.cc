#include "services/sla/src/clock_projection.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/businesstime/time_zone_name.h"
#include "itsm/storage/errors.h"
#include "itsm/storage/savepoint.h"
#include "services/sla/src/sla_repository.h"

namespace itsm::sla {
namespace {

google::protobuf::Duration ProtoSeconds(int64_t s) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  return d;
}

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return absl::ToUnixMicros(base::FromProtoTimestamp(ts));
}

template <typename T>
absl::StatusOr<v1::SlaClock> ClockIn(const events::CloudEvent& event) {
  T message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &message));
  if (message.clock().clock_id().empty()) {
    return absl::InvalidArgumentError("clock.clock_id: required");
  }
  return message.clock();
}

constexpr char kRepublished[] = "itsm.sla.v1.SlaClockRepublished";

// Stores the clock an event of `type` carries. A re-published state (the timer's
// RepublishEvents) is the clock as of its last event, but composed with its record as it is now,
// while the event it stands for carried the record as it was then: a clock cancelled because its
// record moved to another service was the old service's. Where the history holds that event (the
// same event time), its service stays; the rest of the state is applied by the usual rule, so a
// state whose event was lost with the broker, even one at the same instant, still arrives.
absl::Status Store(storage::Transaction& txn, const std::string& type, v1::SlaClock clock) {
  if (type == kRepublished) {
    ITSM_ASSIGN_OR_RETURN(std::optional<v1::SlaClock> stored,
                          SlaRepository::FindClock(txn, clock.clock_id()));
    if (stored && Micros(stored->event_time()) == Micros(clock.event_time())) {
      clock.set_service(stored->service());
    }
  }
  return SlaRepository::UpsertClock(txn, clock).status();
}

// Aggregates of one report row.
struct Accumulator {
  int64_t met = 0, breached = 0, in_progress = 0, cancelled = 0;
  std::vector<int64_t> respond, resolve;  // business seconds of completed clocks

  void Add(uint8_t stage, bool breached_flag, uint8_t kind, int64_t business_s) {
    // A breach stays one when its clock is cancelled afterwards (a priority lowered, the record
    // cancelled): counted breached, not cancelled.
    if (breached_flag) {
      ++breached;
    } else if (stage == v1::CLOCK_STAGE_CANCELLED) {
      ++cancelled;
      return;
    } else if (stage == v1::CLOCK_STAGE_COMPLETED) {
      ++met;
    } else {
      ++in_progress;
    }
    if (stage == v1::CLOCK_STAGE_COMPLETED) {
      (kind == v1::CLOCK_KIND_RESPONSE ? respond : resolve).push_back(business_s);
    }
  }
};

void Stats(std::vector<int64_t>& values, google::protobuf::Duration* mean,
           google::protobuf::Duration* p90) {
  if (values.empty()) return;
  long double sum = 0;
  for (int64_t v : values) sum += v;
  *mean = ProtoSeconds(static_cast<int64_t>(sum / values.size() + 0.5L));
  // Nearest rank: the smallest value with at least 90 % of the values at or below it.
  const size_t rank = (values.size() * 9 + 9) / 10;  // ceil(0.9 n)
  std::nth_element(values.begin(), values.begin() + (rank - 1), values.end());
  *p90 = ProtoSeconds(values[rank - 1]);
}

void Fill(Accumulator& acc, v1::ComplianceRow* row) {
  row->set_met(acc.met);
  row->set_breached(acc.breached);
  row->set_in_progress(acc.in_progress);
  row->set_cancelled(acc.cancelled);
  const int64_t decided = acc.met + acc.breached;
  row->set_percent_met(decided == 0 ? 0.0 : 100.0 * static_cast<double>(acc.met) / decided);
  row->set_responded(static_cast<int64_t>(acc.respond.size()));
  row->set_resolved(static_cast<int64_t>(acc.resolve.size()));
  Stats(acc.respond, row->mutable_mean_time_to_respond(), row->mutable_p90_time_to_respond());
  Stats(acc.resolve, row->mutable_mean_time_to_resolve(), row->mutable_p90_time_to_resolve());
}

// Strings seen many times in a report (services, definitions) numbered once, so that groups
// are keyed by integers.
class Dictionary {
 public:
  int64_t Intern(const std::string& s) {
    auto [it, inserted] = index_.try_emplace(s, static_cast<int64_t>(values_.size()));
    if (inserted) values_.push_back(s);
    return it->second;
  }
  const std::string& Get(int64_t i) const { return values_[static_cast<size_t>(i)]; }

 private:
  std::vector<std::string> values_;
  absl::flat_hash_map<std::string, int64_t> index_;
};

bool IsOpen(v1::ClockStage stage) {
  return stage == v1::CLOCK_STAGE_RUNNING || stage == v1::CLOCK_STAGE_PAUSED;
}

// Whether a clock's business time at `now` needs its calendar: running, and `now` is after its
// last event.
bool NeedsCalendar(const v1::SlaClock& c, absl::Time now) {
  return c.stage() == v1::CLOCK_STAGE_RUNNING && now > base::FromProtoTimestamp(c.event_time());
}

// `calendar`: the clock's pinned calendar version in its zone, when it NeedsCalendar and could
// be read. Durations keep the precision the timer published (finding 9: seconds truncated twice
// showed up to 2 s less than the timer counted).
v1::ClockStatus ToStatus(const v1::SlaClock& c, absl::Time now,
                         const businesstime::Calendar* calendar) {
  v1::ClockStatus s;
  s.set_clock_id(c.clock_id());
  s.set_incident_id(c.incident_id());
  s.set_sla_definition_id(c.sla_definition_id());
  s.set_sla_definition_name(c.sla_definition_name());
  s.set_clock_kind(c.clock_kind());
  const v1::ClockStage stage = c.stage();
  s.set_stage(stage);
  s.set_priority(c.priority());
  s.set_time_zone(c.time_zone());
  *s.mutable_target() = c.target();
  *s.mutable_start_time() = c.start_time();
  if (c.has_due_time()) *s.mutable_due_time() = c.due_time();
  if (c.has_stop_time()) *s.mutable_stop_time() = c.stop_time();
  *s.mutable_last_event_time() = c.event_time();
  absl::Duration business = base::FromProtoDuration(c.business_elapsed());
  absl::Duration actual = base::FromProtoDuration(c.actual_elapsed());
  absl::Duration paused = base::FromProtoDuration(c.paused_duration());
  bool breached = c.breached();
  const absl::Time last = base::FromProtoTimestamp(c.event_time());
  // An open clock keeps counting after its last event: extend it to `now`.
  if (IsOpen(stage) && now > last) {
    actual += now - last;
    if (stage == v1::CLOCK_STAGE_PAUSED) {
      paused += now - last;
    } else if (calendar != nullptr) {
      business += businesstime::BusinessElapsed(*calendar, last, now);
    }
    if (stage == v1::CLOCK_STAGE_RUNNING && c.has_due_time() &&
        now >= base::FromProtoTimestamp(c.due_time())) {
      breached = true;
    }
  }
  s.set_breached(breached);
  *s.mutable_business_elapsed() = base::ToProtoDuration(business);
  *s.mutable_actual_elapsed() = base::ToProtoDuration(actual);
  *s.mutable_paused_duration() = base::ToProtoDuration(paused);
  *s.mutable_remaining() = base::ToProtoDuration(base::FromProtoDuration(c.target()) - business);
  const char* state = stage == v1::CLOCK_STAGE_CANCELLED   ? "cancelled"
                      : breached                           ? "breached"
                      : stage == v1::CLOCK_STAGE_COMPLETED ? "met"
                      : stage == v1::CLOCK_STAGE_PAUSED    ? "paused"
                                                           : "running";
  s.set_state(state);
  return s;
}

// Applies one clock event inside `txn`: the clock's last state (sla_clocks) and its timeline
// (sla_clock_events), together. A re-published state is no change: it adds a timeline row
// only for a clock this service did not know.
absl::Status ApplyClockEvent(storage::Transaction& txn, const events::CloudEvent& event,
                             const v1::SlaClock& clock) {
  ITSM_RETURN_IF_ERROR(Store(txn, event.type, clock));
  StoredClockEvent row;
  row.clock_id = clock.clock_id();
  row.ce_id = event.id;
  row.incident_id = clock.incident_id();
  row.event_us = Micros(clock.event_time());
  row.event_type = event.type;
  row.data = event.data;
  return SlaRepository::AppendClockEvent(txn, row, event.type == kRepublished).status();
}

// ClockProjection::ApplyBatch's transaction: the batch's clock events in order, then each
// partition's next offset, committed together. `out` gets each event's result; `applied`
// counts the events applied. With `each_alone`, each event is applied in a savepoint of its
// own and one the database refuses is undone alone and answered INVALID_ARGUMENT; otherwise the
// first failure fails the transaction. Either way a position is stored only when every event
// of the batch is done (applied or skipped), so no event is ever passed over undone.
absl::Status ApplyInOneTransaction(storage::Database& db,
                                   const std::vector<events::ConsumedEvent>& batch,
                                   const std::string& cluster_id, bool each_alone,
                                   std::vector<absl::Status>& out, int64_t& applied) {
  out.assign(batch.size(), absl::OkStatus());
  applied = 0;
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadWrite));
  // The consumer hands every event of a partition not done yet, in order: once this commits,
  // each partition is done up to its last event here.
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (size_t i = 0; i < batch.size(); ++i) {
    const events::ConsumedEvent& e = batch[i];
    auto& n = next[{e.topic, e.partition}];
    n = std::max(n, e.offset + 1);
    auto clock = ClockProjection::ClockOf(e.event);
    if (!clock.ok()) {
      out[i] = clock.status();
      continue;
    }
    if (!clock->has_value()) continue;
    if ((*clock)->clock_id().empty()) {
      out[i] = absl::InvalidArgumentError(
          absl::StrCat(e.event.type, " ", e.event.id, ": clock.clock_id: required"));
      continue;
    }
    if (!each_alone) {
      ITSM_RETURN_IF_ERROR(ApplyClockEvent(*txn, e.event, **clock));
      ++applied;
      continue;
    }
    absl::Status refused;
    ITSM_RETURN_IF_ERROR(storage::RunRefusable(
        *txn, "clock_event", [&] { return ApplyClockEvent(*txn, e.event, **clock); }, &refused));
    if (!refused.ok()) {
      out[i] = events::RefusedEvent(e.event, refused);
      continue;
    }
    ++applied;
  }
  for (const auto& [partition, offset] : next) {
    ITSM_RETURN_IF_ERROR(
        SlaRepository::StorePosition(*txn, partition.first, partition.second, cluster_id, offset));
  }
  return txn->Commit();
}

}  // namespace

absl::StatusOr<std::optional<v1::SlaClock>> ClockProjection::ClockOf(
    const events::CloudEvent& event) {
  absl::StatusOr<v1::SlaClock> clock = absl::InvalidArgumentError("");
  const std::string& t = event.type;
  if (t == "itsm.sla.v1.SlaClockStarted") {
    clock = ClockIn<v1::SlaClockStarted>(event);
  } else if (t == "itsm.sla.v1.SlaClockPaused") {
    clock = ClockIn<v1::SlaClockPaused>(event);
  } else if (t == "itsm.sla.v1.SlaClockResumed") {
    clock = ClockIn<v1::SlaClockResumed>(event);
  } else if (t == "itsm.sla.v1.SlaClockRetargeted") {
    clock = ClockIn<v1::SlaClockRetargeted>(event);
  } else if (t == "itsm.sla.v1.SlaWarningReached") {
    clock = ClockIn<v1::SlaWarningReached>(event);
  } else if (t == "itsm.sla.v1.SlaBreached") {
    clock = ClockIn<v1::SlaBreached>(event);
  } else if (t == "itsm.sla.v1.SlaBreachWithdrawn") {
    clock = ClockIn<v1::SlaBreachWithdrawn>(event);
  } else if (t == "itsm.sla.v1.SlaMet") {
    clock = ClockIn<v1::SlaMet>(event);
  } else if (t == "itsm.sla.v1.SlaClockCompleted") {
    clock = ClockIn<v1::SlaClockCompleted>(event);
  } else if (t == "itsm.sla.v1.SlaClockCancelled") {
    clock = ClockIn<v1::SlaClockCancelled>(event);
  } else if (t == kRepublished) {
    clock = ClockIn<v1::SlaClockRepublished>(event);
  } else {
    return std::nullopt;  // definition and calendar events: not projected here
  }
  if (!clock.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(t, " ", event.id, ": ", clock.status().message()));
  }
  return *std::move(clock);
}

std::vector<absl::Status> ClockProjection::ApplyBatch(
    const std::vector<events::ConsumedEvent>& batch) {
  std::string cluster_id;
  {
    absl::MutexLock lock(&mu_);
    cluster_id = cluster_id_;
  }
  std::vector<absl::Status> out(batch.size());
  int64_t applied = 0;
  absl::Status status =
      ApplyInOneTransaction(db_, batch, cluster_id, /*each_alone=*/false, out, applied);
  if (!status.ok() && !storage::IsTransient(status)) {
    // The database refused something, which it will refuse again: retried as it is, the batch
    // would hold its partitions for ever. Applied again with each event alone, only the events
    // it refuses on their own are skipped; a failure that is no event's (the positions, the
    // commit) still fails the whole batch.
    status = ApplyInOneTransaction(db_, batch, cluster_id, /*each_alone=*/true, out, applied);
  }
  if (!status.ok()) {
    // Nothing was written: every event comes back (INVALID_ARGUMENT would skip them).
    if (status.code() == absl::StatusCode::kInvalidArgument) {
      status = absl::InternalError(status.message());
    }
    out.assign(batch.size(), status);
    return out;
  }
  applied_events_.fetch_add(applied);
  return out;
}

absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> ClockProjection::StartPositions(
    const std::string& cluster_id) {
  {
    absl::MutexLock lock(&mu_);
    cluster_id_ = cluster_id;
  }
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  return SlaRepository::Positions(*txn, cluster_id);
}

absl::Status ClockProjection::Apply(const events::CloudEvent& event) {
  ITSM_ASSIGN_OR_RETURN(std::optional<v1::SlaClock> clock, ClockOf(event));
  if (!clock) return absl::OkStatus();
  if (clock->clock_id().empty()) return absl::InvalidArgumentError("clock_id: required");
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadWrite));
  ITSM_RETURN_IF_ERROR(ApplyClockEvent(*txn, event, *clock));
  return txn->Commit();
}

absl::Status ClockProjection::ApplyClock(const v1::SlaClock& c) { return ApplyClocks({c}); }

absl::Status ClockProjection::ApplyClocks(const std::vector<v1::SlaClock>& clocks) {
  for (const v1::SlaClock& c : clocks) {
    if (c.clock_id().empty()) return absl::InvalidArgumentError("clock_id: required");
  }
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadWrite));
  for (const v1::SlaClock& c : clocks) {
    ITSM_RETURN_IF_ERROR(SlaRepository::UpsertClock(*txn, c).status());
  }
  return txn->Commit();
}

absl::StatusOr<int64_t> ClockProjection::size() const {
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  return SlaRepository::CountClocks(*txn);
}

absl::StatusOr<std::vector<v1::ClockStatus>> ClockProjection::IncidentStatus(
    const std::string& incident_id, absl::Time now, const CalendarLookup& lookup) const {
  // Read first, computed after the transaction ended: extending a running clock reads its
  // calendar in a transaction of its own, and a read-only transaction holds a pooled connection.
  std::vector<v1::SlaClock> clocks;
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(clocks, SlaRepository::ClocksOfIncident(*txn, incident_id));
  }
  // One lookup per calendar version and zone, however many running clocks share them.
  std::map<std::tuple<std::string, int64_t, std::string>, absl::StatusOr<businesstime::Calendar>>
      calendars;
  std::vector<v1::ClockStatus> out;
  out.reserve(clocks.size());
  for (const v1::SlaClock& clock : clocks) {
    const businesstime::Calendar* calendar = nullptr;
    if (NeedsCalendar(clock, now) && lookup) {
      auto key = std::tuple(clock.calendar_id(), clock.calendar_version(), clock.time_zone());
      auto it = calendars.find(key);
      if (it == calendars.end()) {
        it = calendars
                 .emplace(key,
                          lookup(clock.calendar_id(), clock.calendar_version(), clock.time_zone()))
                 .first;
      }
      if (it->second.ok()) calendar = &*it->second;
    }
    out.push_back(ToStatus(clock, now, calendar));
  }
  std::sort(out.begin(), out.end(), [](const v1::ClockStatus& a, const v1::ClockStatus& b) {
    return std::tuple(a.start_time().seconds(), a.clock_kind(), a.clock_id()) <
           std::tuple(b.start_time().seconds(), b.clock_kind(), b.clock_id());
  });
  return out;
}

absl::StatusOr<v1::GetComplianceReportResponse> ClockProjection::Report(
    const v1::GetComplianceReportRequest& r) const {
  absl::TimeZone tz = absl::UTCTimeZone();
  if (!r.time_zone().empty()) {
    absl::StatusOr<absl::TimeZone> named = businesstime::LoadIanaTimeZone(r.time_zone());
    if (!named.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("time_zone: ", named.status().message()));
    }
    tz = *named;
  }
  bool by_service = false, by_priority = false, by_definition = false, by_period = false;
  for (int i = 0; i < r.group_by_size(); ++i) {
    switch (r.group_by(i)) {
      case v1::REPORT_DIMENSION_SERVICE:
        by_service = true;
        break;
      case v1::REPORT_DIMENSION_PRIORITY:
        by_priority = true;
        break;
      case v1::REPORT_DIMENSION_SLA_DEFINITION:
        by_definition = true;
        break;
      case v1::REPORT_DIMENSION_PERIOD:
        by_period = true;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("group_by[", i, "]: unknown dimension"));
    }
  }
  const v1::ReportPeriod period =
      r.period() == v1::REPORT_PERIOD_UNSPECIFIED ? v1::REPORT_PERIOD_MONTH : r.period();
  // A swapped range would read as "no clocks, nothing met": a plausible, wrong figure.
  if (r.has_start_time() && r.has_end_time() && Micros(r.end_time()) <= Micros(r.start_time())) {
    return base::FieldError("end_time", "must be after start_time");
  }
  ClockFilter filter;
  if (r.has_start_time()) filter.from_us = Micros(r.start_time());
  if (r.has_end_time()) filter.to_us = Micros(r.end_time());
  filter.service = r.service();
  filter.priority = static_cast<int>(r.priority());
  filter.sla_definition_id = r.sla_definition_id();
  filter.agreement_kind = static_cast<int>(r.kind());
  filter.with_definition_names = by_definition;

  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t>;  // service, priority, definition, day
  std::map<Key, Accumulator> groups;
  Accumulator total;
  Dictionary services, definitions;
  // Definition (numbered) -> its name in the clock with the latest event.
  absl::flat_hash_map<int64_t, std::pair<int64_t, std::string>> names;
  // Period starts are computed per clock; clocks come in start order, so consecutive clocks
  // mostly share a day: the last day's bounds are remembered.
  int64_t cached_begin = 1, cached_end = 0, cached_day = 0;
  auto visit = [&](const ClockFacts& c) {
    const auto stage = static_cast<uint8_t>(c.stage);
    const auto kind = static_cast<uint8_t>(c.clock_kind);
    total.Add(stage, c.breached, kind, c.business_s);
    if (r.group_by_size() == 0) return;
    int64_t day = 0;
    if (by_period) {
      if (c.start_us >= cached_begin && c.start_us < cached_end) {
        day = cached_day;
      } else {
        const absl::Time t = absl::FromUnixMicros(c.start_us);
        const absl::CivilDay civil = absl::ToCivilDay(t, tz);
        absl::CivilDay start = civil;
        if (period == v1::REPORT_PERIOD_WEEK) {
          start = civil - ((static_cast<int>(absl::GetWeekday(civil)) + 7) % 7);  // Monday = 0
        } else if (period == v1::REPORT_PERIOD_MONTH) {
          start = absl::CivilDay(absl::CivilMonth(civil));
        }
        day = start - absl::CivilDay(1970, 1, 1);
        cached_begin = absl::ToUnixMicros(absl::FromCivil(civil, tz));
        cached_end = absl::ToUnixMicros(absl::FromCivil(civil + 1, tz));
        cached_day = day;
      }
    }
    int64_t definition = -1;
    if (by_definition) {
      definition = definitions.Intern(c.sla_definition_id);
      auto& [event_us, name] = names[definition];
      if (!c.sla_definition_name.empty() && (name.empty() || c.event_us >= event_us)) {
        event_us = c.event_us;
        name = c.sla_definition_name;
      }
    }
    Key key{by_service ? services.Intern(c.service) : -1, by_priority ? c.priority : -1, definition,
            by_period ? day : INT64_MIN};
    groups[key].Add(stage, c.breached, kind, c.business_s);
  };

  v1::GetComplianceReportResponse out;
  {
    // One snapshot: the total, the rows and clocks_known agree with each other.
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_RETURN_IF_ERROR(SlaRepository::ScanClocks(*txn, filter, visit));
    ITSM_ASSIGN_OR_RETURN(int64_t known, SlaRepository::CountClocks(*txn));
    out.set_clocks_known(known);
  }
  for (auto& [key, acc] : groups) {
    auto* row = out.add_rows();
    const auto& [service, priority, definition, day] = key;
    if (service >= 0) row->set_service(services.Get(service));
    if (priority >= 0) row->set_priority(static_cast<incident::v1::Priority>(priority));
    if (definition >= 0) {
      row->set_sla_definition_id(definitions.Get(definition));
      row->set_sla_definition_name(names[definition].second);
    }
    if (day != INT64_MIN) {
      const absl::CivilDay d = absl::CivilDay(1970, 1, 1) + day;
      row->set_period_start(absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day()));
    }
    Fill(acc, row);
  }
  Fill(total, out.mutable_total());
  // Groups were keyed by numbers; users read names.
  std::sort(out.mutable_rows()->begin(), out.mutable_rows()->end(),
            [](const v1::ComplianceRow& a, const v1::ComplianceRow& b) {
              return std::tuple(a.service(), a.priority(), a.sla_definition_name(),
                                a.sla_definition_id(), a.period_start()) <
                     std::tuple(b.service(), b.priority(), b.sla_definition_name(),
                                b.sla_definition_id(), b.period_start());
            });
  return out;
}

std::unique_ptr<events::EventConsumer> NewHistoryConsumer(ClockProjection& projection,
                                                          events::EventConsumer::Options options,
                                                          prometheus::Registry& registry) {
  if (options.topics.empty()) options.topics = {"itsm.sla.v1"};
  options.start_positions = [&projection](const std::string& cluster_id,
                                          const std::vector<std::pair<std::string, int32_t>>&) {
    return projection.StartPositions(cluster_id);
  };
  return std::make_unique<events::EventConsumer>(
      std::move(options),
      [&projection](const std::vector<events::ConsumedEvent>& batch) {
        return projection.ApplyBatch(batch);
      },
      registry);
}

}  // namespace itsm::sla
