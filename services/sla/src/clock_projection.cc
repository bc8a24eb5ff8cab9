#include "services/sla/src/clock_projection.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"

namespace itsm::sla {
namespace {

int64_t Seconds(const google::protobuf::Duration& d) { return d.seconds(); }

google::protobuf::Duration ProtoSeconds(int64_t s) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  return d;
}

google::protobuf::Timestamp ProtoMicros(int64_t us) {
  return base::ToProtoTimestamp(absl::FromUnixMicros(us));
}

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return absl::ToUnixMicros(base::FromProtoTimestamp(ts));
}

template <typename T>
absl::StatusOr<v1::SlaClock> ClockOf(const events::CloudEvent& event) {
  T message;
  ITSM_RETURN_IF_ERROR(events::UnpackCloudEvent(event, &message));
  if (message.clock().clock_id().empty()) {
    return absl::InvalidArgumentError("clock.clock_id: required");
  }
  return message.clock();
}

// Aggregates of one report row.
struct Accumulator {
  int64_t met = 0, breached = 0, in_progress = 0, cancelled = 0;
  std::vector<int64_t> respond, resolve;  // business seconds of completed clocks

  void Add(uint8_t stage, bool breached_flag, uint8_t kind, int64_t business_s) {
    if (stage == v1::CLOCK_STAGE_CANCELLED) {
      ++cancelled;
      return;
    }
    if (breached_flag) {
      ++breached;
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

}  // namespace

std::optional<uint32_t> ClockProjection::Dictionary::Find(const std::string& s) const {
  auto it = index_.find(s);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

uint32_t ClockProjection::Dictionary::Intern(const std::string& s) {
  auto [it, inserted] = index_.try_emplace(s, static_cast<uint32_t>(values_.size()));
  if (inserted) values_.push_back(s);
  return it->second;
}

absl::Status ClockProjection::Apply(const events::CloudEvent& event) {
  absl::StatusOr<v1::SlaClock> clock = absl::InvalidArgumentError("");
  const std::string& t = event.type;
  if (t == "itsm.sla.v1.SlaClockStarted") {
    clock = ClockOf<v1::SlaClockStarted>(event);
  } else if (t == "itsm.sla.v1.SlaClockPaused") {
    clock = ClockOf<v1::SlaClockPaused>(event);
  } else if (t == "itsm.sla.v1.SlaClockResumed") {
    clock = ClockOf<v1::SlaClockResumed>(event);
  } else if (t == "itsm.sla.v1.SlaClockRetargeted") {
    clock = ClockOf<v1::SlaClockRetargeted>(event);
  } else if (t == "itsm.sla.v1.SlaWarningReached") {
    clock = ClockOf<v1::SlaWarningReached>(event);
  } else if (t == "itsm.sla.v1.SlaBreached") {
    clock = ClockOf<v1::SlaBreached>(event);
  } else if (t == "itsm.sla.v1.SlaBreachWithdrawn") {
    clock = ClockOf<v1::SlaBreachWithdrawn>(event);
  } else if (t == "itsm.sla.v1.SlaMet") {
    clock = ClockOf<v1::SlaMet>(event);
  } else if (t == "itsm.sla.v1.SlaClockCompleted") {
    clock = ClockOf<v1::SlaClockCompleted>(event);
  } else if (t == "itsm.sla.v1.SlaClockCancelled") {
    clock = ClockOf<v1::SlaClockCancelled>(event);
  } else {
    return absl::OkStatus();  // definition and calendar events: not projected here
  }
  if (!clock.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(t, " ", event.id, ": ", clock.status().message()));
  }
  return ApplyClock(*clock);
}

absl::Status ClockProjection::ApplyClock(const v1::SlaClock& c) {
  if (c.clock_id().empty()) return absl::InvalidArgumentError("clock_id: required");
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = by_clock_.try_emplace(c.clock_id(), static_cast<uint32_t>(rows_.size()));
  if (inserted) {
    rows_.emplace_back();
    rows_.back().clock_id = c.clock_id();
    rows_.back().incident = incidents_.Intern(c.incident_id());
    by_incident_[rows_.back().incident].push_back(it->second);
  }
  Row& row = rows_[it->second];
  const int64_t event_us = Micros(c.event_time());
  // Replays and redeliveries may bring an older state after a newer one: keep the newer.
  if (!inserted && event_us < row.event_us) return absl::OkStatus();
  row.service = strings_.Intern(c.service());
  row.definition = strings_.Intern(c.sla_definition_id());
  if (!c.sla_definition_name().empty()) definition_names_[row.definition] = c.sla_definition_name();
  row.calendar = strings_.Intern(c.calendar_id());
  row.zone = strings_.Intern(c.time_zone());
  row.priority = static_cast<uint8_t>(c.priority());
  row.clock_kind = static_cast<uint8_t>(c.clock_kind());
  row.agreement_kind = static_cast<uint8_t>(c.agreement_kind());
  row.stage = static_cast<uint8_t>(c.stage());
  row.breached = c.breached();
  row.start_us = Micros(c.start_time());
  row.due_us = c.has_due_time() ? Micros(c.due_time()) : 0;
  row.stop_us = c.has_stop_time() ? Micros(c.stop_time()) : 0;
  row.event_us = event_us;
  row.target_s = Seconds(c.target());
  row.business_s = Seconds(c.business_elapsed());
  row.actual_s = Seconds(c.actual_elapsed());
  row.paused_s = Seconds(c.paused_duration());
  return absl::OkStatus();
}

size_t ClockProjection::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return rows_.size();
}

bool ClockProjection::Snapshot::NeedsCalendar(absl::Time now) const {
  return row.stage == v1::CLOCK_STAGE_RUNNING && now > absl::FromUnixMicros(row.event_us);
}

ClockProjection::Snapshot ClockProjection::SnapshotOf(const Row& row) const {
  Snapshot out{row, incidents_.Get(row.incident), strings_.Get(row.definition),
               "",  strings_.Get(row.calendar),   strings_.Get(row.zone)};
  if (auto it = definition_names_.find(row.definition); it != definition_names_.end()) {
    out.definition_name = it->second;
  }
  return out;
}

v1::ClockStatus ClockProjection::ToStatus(const Snapshot& clock, absl::Time now,
                                          const businesstime::Calendar* calendar) {
  const Row& row = clock.row;
  v1::ClockStatus s;
  s.set_clock_id(row.clock_id);
  s.set_incident_id(clock.incident_id);
  s.set_sla_definition_id(clock.definition_id);
  s.set_sla_definition_name(clock.definition_name);
  s.set_clock_kind(static_cast<v1::ClockKind>(row.clock_kind));
  const auto stage = static_cast<v1::ClockStage>(row.stage);
  s.set_stage(stage);
  s.set_priority(static_cast<incident::v1::Priority>(row.priority));
  *s.mutable_target() = ProtoSeconds(row.target_s);
  *s.mutable_start_time() = ProtoMicros(row.start_us);
  if (row.due_us != 0) *s.mutable_due_time() = ProtoMicros(row.due_us);
  if (row.stop_us != 0) *s.mutable_stop_time() = ProtoMicros(row.stop_us);
  *s.mutable_last_event_time() = ProtoMicros(row.event_us);
  int64_t business = row.business_s, actual = row.actual_s, paused = row.paused_s;
  bool breached = row.breached;
  const absl::Time last = absl::FromUnixMicros(row.event_us);
  // An open clock keeps counting after its last event: extend it to `now`.
  if ((stage == v1::CLOCK_STAGE_RUNNING || stage == v1::CLOCK_STAGE_PAUSED) && now > last) {
    const int64_t since = absl::ToInt64Seconds(now - last);
    actual += since;
    if (stage == v1::CLOCK_STAGE_PAUSED) {
      paused += since;
    } else if (calendar != nullptr) {
      business += absl::ToInt64Seconds(businesstime::BusinessElapsed(*calendar, last, now));
    }
    if (stage == v1::CLOCK_STAGE_RUNNING && row.due_us != 0 &&
        absl::ToUnixMicros(now) >= row.due_us) {
      breached = true;
    }
  }
  s.set_breached(breached);
  *s.mutable_business_elapsed() = ProtoSeconds(business);
  *s.mutable_actual_elapsed() = ProtoSeconds(actual);
  *s.mutable_paused_duration() = ProtoSeconds(paused);
  *s.mutable_remaining() = ProtoSeconds(row.target_s - business);
  const char* state = stage == v1::CLOCK_STAGE_CANCELLED   ? "cancelled"
                      : breached                           ? "breached"
                      : stage == v1::CLOCK_STAGE_COMPLETED ? "met"
                      : stage == v1::CLOCK_STAGE_PAUSED    ? "paused"
                                                           : "running";
  s.set_state(state);
  return s;
}

std::vector<v1::ClockStatus> ClockProjection::IncidentStatus(const std::string& incident_id,
                                                             absl::Time now,
                                                             const CalendarLookup& lookup) const {
  // Copied under the lock, computed outside it: extending a running clock reads its calendar
  // from the database, and neither the consumer's Apply nor other readers may wait for that.
  std::vector<Snapshot> clocks;
  {
    absl::ReaderMutexLock lock(&mu_);
    const std::optional<uint32_t> incident = incidents_.Find(incident_id);
    if (!incident) return {};
    auto it = by_incident_.find(*incident);
    if (it == by_incident_.end()) return {};
    clocks.reserve(it->second.size());
    for (uint32_t i : it->second) clocks.push_back(SnapshotOf(rows_[i]));
  }
  // One lookup per calendar and zone, however many running clocks share them.
  std::map<std::pair<std::string, std::string>, absl::StatusOr<businesstime::Calendar>> calendars;
  std::vector<v1::ClockStatus> out;
  out.reserve(clocks.size());
  for (const Snapshot& clock : clocks) {
    const businesstime::Calendar* calendar = nullptr;
    if (clock.NeedsCalendar(now) && lookup) {
      auto key = std::pair(clock.calendar_id, clock.zone);
      auto it = calendars.find(key);
      if (it == calendars.end()) {
        it = calendars.emplace(key, lookup(clock.calendar_id, clock.zone)).first;
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
  if (!r.time_zone().empty() && !absl::LoadTimeZone(r.time_zone(), &tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: unknown IANA time zone \"", r.time_zone(), "\""));
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
  const int64_t from_us = r.has_start_time() ? Micros(r.start_time()) : INT64_MIN;
  const int64_t to_us = r.has_end_time() ? Micros(r.end_time()) : INT64_MAX;

  absl::ReaderMutexLock lock(&mu_);
  const bool filter_service = !r.service().empty();
  const bool filter_definition = !r.sla_definition_id().empty();
  // Filters on names become filters on interned ids; a name never seen matches no clock.
  constexpr int64_t kNoSuchId = -1;
  const int64_t service_id = filter_service ? strings_.Find(r.service()).value_or(kNoSuchId) : 0;
  const int64_t definition_id =
      filter_definition ? strings_.Find(r.sla_definition_id()).value_or(kNoSuchId) : 0;

  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t>;  // service, priority, definition, day
  std::map<Key, Accumulator> groups;
  Accumulator total;
  // Period starts are computed per clock; consecutive clocks often share a day, so the last
  // day's bounds are remembered.
  int64_t cached_begin = 1, cached_end = 0, cached_day = 0;
  for (const Row& row : rows_) {
    if (row.start_us < from_us || row.start_us >= to_us) continue;
    if (r.priority() != incident::v1::PRIORITY_UNSPECIFIED && row.priority != r.priority())
      continue;
    if (r.kind() != v1::AGREEMENT_KIND_UNSPECIFIED && row.agreement_kind != r.kind()) continue;
    if (filter_service && row.service != service_id) continue;
    if (filter_definition && row.definition != definition_id) continue;
    total.Add(row.stage, row.breached, row.clock_kind, row.business_s);
    if (r.group_by_size() == 0) continue;
    int64_t day = 0;
    if (by_period) {
      if (row.start_us >= cached_begin && row.start_us < cached_end) {
        day = cached_day;
      } else {
        const absl::Time t = absl::FromUnixMicros(row.start_us);
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
    // Casts first: `cond ? uint32_t : -1` would be unsigned.
    Key key{by_service ? static_cast<int64_t>(row.service) : -1,
            by_priority ? static_cast<int64_t>(row.priority) : -1,
            by_definition ? static_cast<int64_t>(row.definition) : -1, by_period ? day : INT64_MIN};
    groups[key].Add(row.stage, row.breached, row.clock_kind, row.business_s);
  }

  v1::GetComplianceReportResponse out;
  out.set_clocks_known(static_cast<int64_t>(rows_.size()));
  for (auto& [key, acc] : groups) {
    auto* row = out.add_rows();
    const auto& [service, priority, definition, day] = key;
    if (service >= 0) row->set_service(strings_.Get(static_cast<uint32_t>(service)));
    if (priority >= 0) row->set_priority(static_cast<incident::v1::Priority>(priority));
    if (definition >= 0) {
      row->set_sla_definition_id(strings_.Get(static_cast<uint32_t>(definition)));
      if (auto it = definition_names_.find(static_cast<uint32_t>(definition));
          it != definition_names_.end()) {
        row->set_sla_definition_name(it->second);
      }
    }
    if (day != INT64_MIN) {
      const absl::CivilDay d = absl::CivilDay(1970, 1, 1) + day;
      row->set_period_start(absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day()));
    }
    Fill(acc, row);
  }
  Fill(total, out.mutable_total());
  // Groups were keyed by interned ids; users read names.
  std::sort(out.mutable_rows()->begin(), out.mutable_rows()->end(),
            [](const v1::ComplianceRow& a, const v1::ComplianceRow& b) {
              return std::tuple(a.service(), a.priority(), a.sla_definition_name(),
                                a.sla_definition_id(), a.period_start()) <
                     std::tuple(b.service(), b.priority(), b.sla_definition_name(),
                                b.sla_definition_id(), b.period_start());
            });
  return out;
}

}  // namespace itsm::sla
