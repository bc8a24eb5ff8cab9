#include "services/sla-timer/src/definition_source.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "itsm/base/time_util.h"
#include "itsm/slamodel/conditions.h"
#include "itsm/slamodel/coverage.h"

namespace itsm::sla_timer {
namespace {

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  // What the SLA service refuses about the request itself (the record's data) will be refused
  // again: permanent, so the record gets no clock instead of holding up its partition forever.
  // A missing record is NOT_FOUND. Anything else (unreachable, overloaded, deadline, an error
  // of the service) can heal: UNAVAILABLE, retried.
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      code = absl::StatusCode::kNotFound;
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      code = absl::StatusCode::kInvalidArgument;
      break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      code = absl::StatusCode::kFailedPrecondition;
      break;
    default:
      break;
  }
  return absl::Status(code, absl::StrCat(what, ": ", s.error_message()));
}

std::string ArchiveKey(char kind, const std::string& id, int64_t version) {
  return absl::StrCat(std::string(1, kind), ":", id, ":", version);
}

// A definition or calendar (`kind` 'd' or 'c') the SLA service gave when asked for `version`
// of it: kept under its own version and, for the current one (0), under 0 as well (only a
// definition's is read back: whether it is retired).
void Keep(DefinitionArchive* archive, char kind, int64_t version, const std::string& id,
          int64_t own_version, const google::protobuf::Message& message) {
  if (archive == nullptr) return;
  const std::string bytes = message.SerializeAsString();
  archive->Keep(ArchiveKey(kind, id, own_version), bytes);
  if (version == 0) archive->Keep(ArchiveKey(kind, id, 0), bytes);
}

// What `archive` holds under `key`; null when nothing (or nothing that parses).
template <typename Message>
std::shared_ptr<const Message> Archived(DefinitionArchive* archive, const std::string& key) {
  if (archive == nullptr) return nullptr;
  std::optional<std::string> bytes = archive->Find(key);
  auto message = std::make_shared<Message>();
  if (!bytes.has_value() || !message->ParseFromString(*bytes)) return nullptr;
  return message;
}

}  // namespace

GrpcDefinitionSource::GrpcDefinitionSource(std::shared_ptr<grpc::Channel> channel,
                                           base::Clock& clock, absl::Duration ttl,
                                           absl::Duration deadline, absl::Duration quiet)
    : stub_(sla::v1::SlaService::NewStub(std::move(channel))),
      clock_(clock),
      ttl_(ttl),
      sla_service_("the SLA service", clock, {.deadline = deadline, .quiet = quiet}) {}

RecordQuery RecordQuery::Of(const incident::v1::Incident& incident) {
  RecordQuery q;
  q.service = incident.service();
  q.priority = incident.priority();
  q.category = incident.category();
  if (incident.has_create_time()) q.create_time = base::FromProtoTimestamp(incident.create_time());
  return q;
}

RecordQuery RecordQuery::Of(const incident::v1::ServiceRequest& request) {
  RecordQuery q;
  q.service = request.service();
  q.priority = request.priority();
  q.request_type = request.catalog_item();
  if (request.has_create_time()) q.create_time = base::FromProtoTimestamp(request.create_time());
  return q;
}

RecordQuery RecordQuery::Of(const change::v1::Change& change) {
  RecordQuery q;
  if (change.affected_service_ids_size() > 0) {
    q.service = change.affected_service_ids(0);
  } else if (change.risk().business_service_ids_size() > 0) {
    q.service = change.risk().business_service_ids(0);
  }
  const std::string priority = slamodel::ChangePriority(change);
  q.priority = static_cast<incident::v1::Priority>(priority[1] - '0');
  q.category = change.category();
  q.record_kind = sla::v1::RECORD_KIND_CHANGE;
  if (change.has_create_time()) q.create_time = base::FromProtoTimestamp(change.create_time());
  return q;
}

absl::StatusOr<std::vector<DefinitionPtr>> GrpcDefinitionSource::Resolve(
    const RecordQuery& record) {
  const absl::Time at =
      record.create_time != absl::InfinitePast() ? record.create_time : clock_.Now();
  const int64_t bucket = absl::ToUnixSeconds(at) / std::max<int64_t>(1, absl::ToInt64Seconds(ttl_));
  auto key = std::make_tuple(record.service, static_cast<int>(record.priority), record.category,
                             record.ci_class, record.request_type,
                             static_cast<int>(record.record_kind), bucket);
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = resolved_.find(key);
    // The bucket groups records created close together; the window says whether the answer
    // for one holds for another (a definition may become effective between them, and a clock
    // attached to the wrong one keeps it for its whole life). Reused for a second at most: a
    // definition created or edited applies to records raised a second after the save (a 30 s
    // old answer gave records no clock, or the old target, found from outside).
    // Nor for a record raised after the answer was read: a definition saved in between is the
    // one in force at its creation (found from outside: records raised within a second of an
    // edit kept the version before it for life).
    if (it != resolved_.end() && it->second.valid_from <= at && at < it->second.valid_until &&
        now - it->second.fetched < std::min(ttl_, kCurrentDefinitionTtl) &&
        at < it->second.fetched) {
      return it->second.definitions;
    }
  }
  sla::v1::ResolveApplicableSlaRequest request;
  request.set_service(record.service);
  request.set_priority(record.priority);
  request.set_category(record.category);
  request.set_request_type(record.request_type);
  request.set_record_kind(record.record_kind);
  request.set_ci_class(record.ci_class);
  *request.mutable_at() = base::ToProtoTimestamp(at);
  sla::v1::ResolveApplicableSlaResponse response;
  grpc::Status s = sla_service_.Call([&](grpc::ClientContext& ctx) {
    return stub_->ResolveApplicableSla(&ctx, request, &response);
  });
  // Not the answer read last while the SLA service cannot answer: a definition saved just before
  // the outage would be missed, and the record would keep the wrong one for its whole life (the
  // event waits with its record instead, decision 283).
  if (!s.ok()) return FromGrpc(s, "ResolveApplicableSla");
  std::vector<DefinitionPtr> out;
  absl::MutexLock lock(&mu_);
  for (const auto& a : response.applicable()) {
    auto d = std::make_shared<const sla::v1::SlaDefinition>(a.definition());
    definitions_.try_emplace({d->id(), d->version()}, d);
    out.push_back(std::move(d));
  }
  if (resolved_.size() > 100000) resolved_.clear();  // bounded: old buckets are never asked again
  resolved_[key] = ResolveEntry{
      .definitions = out,
      .fetched = now,
      .valid_from = response.has_valid_from() ? base::FromProtoTimestamp(response.valid_from())
                                              : absl::InfinitePast(),
      .valid_until = response.has_valid_until() ? base::FromProtoTimestamp(response.valid_until())
                                                : absl::InfiniteFuture()};
  return out;
}

absl::StatusOr<DefinitionPtr> GrpcDefinitionSource::Definition(const std::string& id,
                                                               int64_t version) {
  const absl::Time now = clock_.Now();
  DefinitionPtr stale;
  {
    absl::MutexLock lock(&mu_);
    if (version > 0) {
      if (auto it = definitions_.find({id, version}); it != definitions_.end()) return it->second;
    } else if (auto it = current_definitions_.find(id); it != current_definitions_.end()) {
      // The current version is asked whenever a clock starts or is about to fire (is it
      // retired?): re-read a second after it was read, whatever the TTL of the applicability
      // answers, which bounds how long a retirement goes unseen (a record raised a few seconds
      // after one got clocks and false breaches from a 30 s old read, found from outside).
      if (now - it->second.fetched < std::min(ttl_, kCurrentDefinitionTtl)) {
        return it->second.definition;
      }
      stale = it->second.definition;
    }
  }
  sla::v1::GetSlaDefinitionRequest request;
  request.set_id(id);
  request.set_version(version);
  sla::v1::GetSlaDefinitionResponse response;
  grpc::Status s = sla_service_.Call(
      [&](grpc::ClientContext& ctx) { return stub_->GetSlaDefinition(&ctx, request, &response); });
  if (!s.ok()) {
    // While the SLA service cannot answer, clocks keep firing on what was read last: by this
    // process, or before a restart.
    if (FromGrpc(s, "").code() == absl::StatusCode::kUnavailable) {
      if (stale != nullptr) return stale;
      if (DefinitionPtr archived = ArchivedDefinition(id, version)) return archived;
    }
    return FromGrpc(s, absl::StrCat("GetSlaDefinition ", id));
  }
  auto d = std::make_shared<const sla::v1::SlaDefinition>(response.definition());
  Keep(archive_, 'd', version, d->id(), d->version(), *d);
  absl::MutexLock lock(&mu_);
  definitions_.try_emplace({d->id(), d->version()}, d);
  if (version == 0) current_definitions_[id] = CurrentEntry{d, now};
  return d;
}

absl::StatusOr<CalendarPtr> GrpcDefinitionSource::ReadCalendar(const std::string& id,
                                                               int64_t version, absl::Time as_of) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = calendars_.find({id, version});
    // A pinned version never changes; "the current version" (pinned by clocks that start) is
    // re-read after a second, as the current definition is, and for a clock starting after it
    // was read (a calendar saved in between is the one in force: found from outside, records
    // raised within a second of an edit pinned the version before it).
    if (it != calendars_.end() &&
        (version > 0 || (now - it->second.fetched < std::min(ttl_, kCurrentDefinitionTtl) &&
                         as_of < it->second.fetched))) {
      return it->second.calendar;
    }
  }
  sla::v1::GetCalendarRequest request;
  request.set_id(id);
  request.set_version(version);
  sla::v1::GetCalendarResponse response;
  grpc::Status s = sla_service_.Call(
      [&](grpc::ClientContext& ctx) { return stub_->GetCalendar(&ctx, request, &response); });
  if (!s.ok()) {
    // A pinned version as the timer before a restart read it. Never "the current version" read
    // last: a clock starting now would pin it for good, though the calendar may have been saved
    // since (the event waits with its record instead, decision 283).
    if (version > 0 && FromGrpc(s, "").code() == absl::StatusCode::kUnavailable) {
      if (CalendarPtr archived = ArchivedCalendar(id, version)) return archived;
    }
    return FromGrpc(s, absl::StrCat("GetCalendar ", id));
  }
  auto c = std::make_shared<const sla::v1::Calendar>(response.calendar());
  Keep(archive_, 'c', c->version(), c->id(), c->version(), *c);
  absl::MutexLock lock(&mu_);
  calendars_[{id, version}] = CalendarEntry{c, now};
  calendars_[{c->id(), c->version()}] = CalendarEntry{c, now};
  return c;
}

bool GrpcDefinitionSource::CurrentDefinitionIsFresh(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = current_definitions_.find(id);
  return it != current_definitions_.end() &&
         clock_.Now() - it->second.fetched < std::min(ttl_, kCurrentDefinitionTtl);
}

DefinitionPtr GrpcDefinitionSource::ArchivedDefinition(const std::string& id, int64_t version) {
  DefinitionPtr out = Archived<sla::v1::SlaDefinition>(archive_, ArchiveKey('d', id, version));
  if (out == nullptr) return nullptr;
  absl::MutexLock lock(&mu_);
  if (version > 0) {
    definitions_.try_emplace({id, version}, out);
  } else {
    // Stale from the start: the service is asked again at the next read.
    current_definitions_[id] = CurrentEntry{out, absl::InfinitePast()};
  }
  return out;
}

CalendarPtr GrpcDefinitionSource::ArchivedCalendar(const std::string& id, int64_t version) {
  CalendarPtr out = Archived<sla::v1::Calendar>(archive_, ArchiveKey('c', id, version));
  if (out == nullptr) return nullptr;
  absl::MutexLock lock(&mu_);
  calendars_.try_emplace({id, version}, CalendarEntry{out, clock_.Now()});
  return out;
}

void StaticDefinitionSource::Put(sla::v1::SlaDefinition definition) {
  absl::MutexLock lock(&mu_);
  if (definition.version() == 0) definition.set_version(current_definition_[definition.id()] + 1);
  current_definition_[definition.id()] = definition.version();
  const std::pair<std::string, int64_t> key{definition.id(), definition.version()};
  definitions_[key] = std::make_shared<const sla::v1::SlaDefinition>(std::move(definition));
}

void StaticDefinitionSource::Put(sla::v1::Calendar calendar) {
  absl::MutexLock lock(&mu_);
  if (calendar.version() == 0) calendar.set_version(current_calendar_[calendar.id()] + 1);
  current_calendar_[calendar.id()] = calendar.version();
  const std::pair<std::string, int64_t> key{calendar.id(), calendar.version()};
  calendars_[key] = std::make_shared<const sla::v1::Calendar>(std::move(calendar));
}

void StaticDefinitionSource::SetUnavailable(bool unavailable) {
  absl::MutexLock lock(&mu_);
  unavailable_ = unavailable;
}

bool StaticDefinitionSource::CurrentDefinitionIsFresh(const std::string&) {
  absl::MutexLock lock(&mu_);
  return !unavailable_;
}

absl::StatusOr<std::vector<DefinitionPtr>> StaticDefinitionSource::Resolve(
    const RecordQuery& record) {
  absl::MutexLock lock(&mu_);
  if (unavailable_) return absl::UnavailableError("definition source unavailable");
  std::vector<DefinitionPtr> out;
  for (const auto& [id, version] : current_definition_) {
    const DefinitionPtr& d = definitions_[{id, version}];
    if (d->retired()) continue;
    const bool covered = slamodel::Covers(*d, {.service = record.service,
                                               .category = record.category,
                                               .ci_class = record.ci_class,
                                               .request_type = record.request_type,
                                               .record_kind = record.record_kind});
    bool target = false;
    for (const auto& t : d->targets()) target |= t.priority() == record.priority;
    if (covered && target) out.push_back(d);
  }
  return out;
}

absl::StatusOr<DefinitionPtr> StaticDefinitionSource::Definition(const std::string& id,
                                                                 int64_t version) {
  absl::MutexLock lock(&mu_);
  if (version == 0) {
    auto it = current_definition_.find(id);
    if (it == current_definition_.end()) return absl::NotFoundError(id);
    version = it->second;
  }
  auto it = definitions_.find({id, version});
  if (it == definitions_.end()) return absl::NotFoundError(id);
  return it->second;
}

absl::StatusOr<CalendarPtr> StaticDefinitionSource::Calendar(const std::string& id,
                                                             int64_t version) {
  absl::MutexLock lock(&mu_);
  if (version == 0) {
    auto it = current_calendar_.find(id);
    if (it == current_calendar_.end()) return absl::NotFoundError(id);
    version = it->second;
  }
  auto it = calendars_.find({id, version});
  if (it == calendars_.end()) return absl::NotFoundError(id);
  return it->second;
}

}  // namespace itsm::sla_timer
