#include "services/sla/src/sla_grpc_service.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/limits/field_limits.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/fingerprint.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_cursor.h"
#include "itsm/runtime/call_context.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/slamodel/calendar.h"
#include "itsm/slamodel/conditions.h"
#include "services/sla/src/sla_repository.h"
#include "services/sla/src/sla_rules.h"

namespace itsm::sla {
namespace {

// The fingerprint stored with an idempotency key; nothing to compute without a key.
std::string FingerprintOf(const google::protobuf::Message& request) {
  const auto* key = request.GetDescriptor()->FindFieldByName("idempotency_key");
  if (key == nullptr || request.GetReflection()->GetString(request, key).empty()) return "";
  return records::RequestFingerprint(request);
}

absl::Status Publish(storage::Transaction& txn, const google::protobuf::Message& event,
                     const std::string& key, absl::Time at) {
  return outbox::Outbox::Append(
      txn, {kSlaTopic, key, events::MakeCloudEvent(event, kEventSource, key, at)});
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration ToProto(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t s = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(s);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

}  // namespace

absl::Status SlaGrpcService::Commit(storage::Transaction& txn) {
  ITSM_RETURN_IF_ERROR(txn.Commit());
  if (options_.after_commit) options_.after_commit();
  return absl::OkStatus();
}

absl::StatusOr<businesstime::Calendar> SlaGrpcService::LoadCalendar(const std::string& calendar_id,
                                                                    const std::string& time_zone) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(v1::Calendar calendar, SlaRepository::GetCalendar(*txn, calendar_id));
  return slamodel::CompileCalendar(calendar, time_zone);
}

// --- Calendars --------------------------------------------------------------------------------

grpc::ServerUnaryReactor* SlaGrpcService::CreateCalendar(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateCalendarRequest* request,
                                                         v1::CreateCalendarResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    v1::Calendar c = request->calendar();
    ITSM_RETURN_IF_ERROR(ValidateCalendar(c));
    const absl::Time now = clock_.Now();
    c.set_id(base::NewUuid());
    c.set_version(1);
    *c.mutable_create_time() = base::ToProtoTimestamp(now);
    *c.mutable_update_time() = c.create_time();
    c.set_updated_by(runtime::Actor(*ctx));
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadWrite));
    // The key first: a repeated call (or one that lost a race with it) writes nothing.
    ITSM_ASSIGN_OR_RETURN(records::IdempotencyClaim claim,
                          records::IdempotencyStore::Claim(
                              *txn, "itsm.sla.v1.SlaService/CreateCalendar",
                              request->idempotency_key(), FingerprintOf(*request), c.id(), now));
    if (!claim.first) {
      ITSM_ASSIGN_OR_RETURN(*response->mutable_calendar(),
                            SlaRepository::GetCalendar(*txn, claim.record_id));
      return absl::OkStatus();
    }
    ITSM_RETURN_IF_ERROR(SlaRepository::InsertCalendar(*txn, c));
    v1::CalendarCreated event;
    *event.mutable_calendar() = c;
    ITSM_RETURN_IF_ERROR(Publish(*txn, event, c.id(), now));
    ITSM_RETURN_IF_ERROR(Commit(*txn));
    *response->mutable_calendar() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetCalendar(grpc::CallbackServerContext* ctx,
                                                      const v1::GetCalendarRequest* request,
                                                      v1::GetCalendarResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    if (request->id().empty()) return base::FieldError("id", "required");
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(*response->mutable_calendar(),
                          SlaRepository::GetCalendar(*txn, request->id(), request->version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::ListCalendars(grpc::CallbackServerContext* ctx,
                                                        const v1::ListCalendarsRequest* request,
                                                        v1::ListCalendarsResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    const std::string scope = records::PageScope("itsm.sla.v1.SlaService/ListCalendars", *request);
    ITSM_ASSIGN_OR_RETURN(Page page, ParsePage(scope, request->page()));
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(auto calendars, SlaRepository::ListCalendars(*txn, page));
    const bool more = calendars.size() > static_cast<size_t>(page.size);
    if (more) calendars.resize(page.size);
    for (auto& c : calendars) *response->add_calendars() = std::move(c);
    if (more) {
      const auto& last = response->calendars(response->calendars_size() - 1);
      response->set_next_page_token(PageToken(scope, last.name(), last.id()));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::UpdateCalendar(grpc::CallbackServerContext* ctx,
                                                         const v1::UpdateCalendarRequest* request,
                                                         v1::UpdateCalendarResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    v1::Calendar c = request->calendar();
    if (c.id().empty()) return absl::InvalidArgumentError("calendar.id: required");
    if (c.version() <= 0) {
      return absl::InvalidArgumentError("calendar.version: required, the version that was read");
    }
    ITSM_RETURN_IF_ERROR(ValidateCalendar(c));
    const absl::Time now = clock_.Now();
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadWrite));
    ITSM_ASSIGN_OR_RETURN(v1::Calendar stored, SlaRepository::GetCalendar(*txn, c.id()));
    if (stored.id() != c.id())
      return absl::NotFoundError(absl::StrCat("calendar.id: no calendar \"", c.id(), "\""));
    const int64_t read_version = c.version();
    c.set_version(stored.version() + 1);
    *c.mutable_create_time() = stored.create_time();
    *c.mutable_update_time() = base::ToProtoTimestamp(now);
    c.set_updated_by(runtime::Actor(*ctx));
    if (read_version != stored.version()) {
      return absl::AbortedError(absl::StrCat("version: calendar ", c.id(), " is at version ",
                                             stored.version(), ", the update read ", read_version,
                                             "; read it again"));
    }
    ITSM_RETURN_IF_ERROR(SlaRepository::UpdateCalendar(*txn, c, read_version));
    v1::CalendarUpdated event;
    *event.mutable_calendar() = c;
    event.set_previous_version(read_version);
    ITSM_RETURN_IF_ERROR(Publish(*txn, event, c.id(), now));
    ITSM_RETURN_IF_ERROR(Commit(*txn));
    *response->mutable_calendar() = std::move(c);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::DeleteCalendar(grpc::CallbackServerContext* ctx,
                                                         const v1::DeleteCalendarRequest* request,
                                                         v1::DeleteCalendarResponse*) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    if (request->id().empty()) return base::FieldError("id", "required");
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadWrite));
    // Under the definitions lock: a definition created meanwhile cannot pick the calendar up.
    ITSM_RETURN_IF_ERROR(SlaRepository::LockDefinitions(*txn));
    ITSM_ASSIGN_OR_RETURN(v1::Calendar stored, SlaRepository::GetCalendar(*txn, request->id()));
    ITSM_ASSIGN_OR_RETURN(auto users, SlaRepository::DefinitionsUsingCalendar(*txn, stored.id()));
    if (!users.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("id: calendar \"", stored.name(), "\" is used by ", users.size(),
                       " SLA definition(s) that are not retired, e.g. ", users[0]));
    }
    ITSM_RETURN_IF_ERROR(SlaRepository::DeleteCalendar(*txn, stored.id()));
    v1::CalendarDeleted event;
    event.set_calendar_id(stored.id());
    event.set_last_version(stored.version());
    ITSM_RETURN_IF_ERROR(Publish(*txn, event, stored.id(), clock_.Now()));
    return Commit(*txn);
  });
}

// --- Definitions ------------------------------------------------------------------------------

grpc::ServerUnaryReactor* SlaGrpcService::CreateSlaDefinition(
    grpc::CallbackServerContext* ctx, const v1::CreateSlaDefinitionRequest* request,
    v1::CreateSlaDefinitionResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    v1::SlaDefinition d = request->definition();
    ITSM_RETURN_IF_ERROR(ValidateAndNormalise(d));
    const absl::Time now = clock_.Now();
    d.set_id(base::NewUuid());
    d.set_version(1);
    *d.mutable_create_time() = base::ToProtoTimestamp(now);
    *d.mutable_update_time() = d.create_time();
    d.set_updated_by(runtime::Actor(*ctx));
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadWrite));
    // The key first: a repeated call (or one that lost a race with it) writes nothing.
    ITSM_ASSIGN_OR_RETURN(records::IdempotencyClaim claim,
                          records::IdempotencyStore::Claim(
                              *txn, "itsm.sla.v1.SlaService/CreateSlaDefinition",
                              request->idempotency_key(), FingerprintOf(*request), d.id(), now));
    if (!claim.first) {
      ITSM_ASSIGN_OR_RETURN(*response->mutable_definition(),
                            SlaRepository::GetDefinition(*txn, claim.record_id));
      return absl::OkStatus();
    }
    ITSM_RETURN_IF_ERROR(SlaRepository::LockDefinitions(*txn));
    auto calendar = SlaRepository::GetCalendar(*txn, d.calendar_id());
    if (!calendar.ok()) {
      return absl::FailedPreconditionError(std::string(calendar.status().message()));
    }
    d.set_calendar_id(calendar->id());  // a name was given: keep the id
    ITSM_ASSIGN_OR_RETURN(auto others, SlaRepository::AllDefinitions(*txn, false));
    ITSM_RETURN_IF_ERROR(CheckNoOverlap(d, others));
    ITSM_RETURN_IF_ERROR(SlaRepository::InsertDefinition(*txn, d));
    v1::SlaDefinitionCreated event;
    *event.mutable_definition() = d;
    ITSM_RETURN_IF_ERROR(Publish(*txn, event, d.id(), now));
    ITSM_RETURN_IF_ERROR(Commit(*txn));
    *response->mutable_definition() = std::move(d);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetSlaDefinition(
    grpc::CallbackServerContext* ctx, const v1::GetSlaDefinitionRequest* request,
    v1::GetSlaDefinitionResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(*response->mutable_definition(),
                          SlaRepository::GetDefinition(*txn, request->id(), request->version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::ListSlaDefinitions(
    grpc::CallbackServerContext* ctx, const v1::ListSlaDefinitionsRequest* request,
    v1::ListSlaDefinitionsResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    const std::string scope =
        records::PageScope("itsm.sla.v1.SlaService/ListSlaDefinitions", *request);
    ITSM_ASSIGN_OR_RETURN(Page page, ParsePage(scope, request->page()));
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    // Definitions number in the hundreds: filter and page in memory, in (name, id) order.
    ITSM_ASSIGN_OR_RETURN(auto all,
                          SlaRepository::AllDefinitions(*txn, request->include_retired()));
    for (auto& d : all) {
      if (!page.after_name.empty() &&
          std::tie(d.name(), d.id()) <= std::tie(page.after_name, page.after_id)) {
        continue;
      }
      if (request->kind() != v1::AGREEMENT_KIND_UNSPECIFIED && d.kind() != request->kind())
        continue;
      if (!request->service().empty() &&
          std::find(d.coverage().services().begin(), d.coverage().services().end(),
                    request->service()) == d.coverage().services().end()) {
        continue;
      }
      if (response->definitions_size() == page.size) {
        const auto& last = response->definitions(page.size - 1);
        response->set_next_page_token(PageToken(scope, last.name(), last.id()));
        break;
      }
      *response->add_definitions() = std::move(d);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::UpdateSlaDefinition(
    grpc::CallbackServerContext* ctx, const v1::UpdateSlaDefinitionRequest* request,
    v1::UpdateSlaDefinitionResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    v1::SlaDefinition d = request->definition();
    if (d.id().empty()) return absl::InvalidArgumentError("definition.id: required");
    if (d.version() <= 0) {
      return absl::InvalidArgumentError("definition.version: required, the version that was read");
    }
    ITSM_RETURN_IF_ERROR(ValidateAndNormalise(d));
    const absl::Time now = clock_.Now();
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadWrite));
    ITSM_RETURN_IF_ERROR(SlaRepository::LockDefinitions(*txn));
    ITSM_ASSIGN_OR_RETURN(v1::SlaDefinition stored, SlaRepository::GetDefinition(*txn, d.id()));
    const int64_t read_version = d.version();
    if (read_version != stored.version()) {
      return absl::AbortedError(absl::StrCat("version: SLA definition ", d.id(), " is at version ",
                                             stored.version(), ", the update read ", read_version,
                                             "; read it again"));
    }
    auto calendar = SlaRepository::GetCalendar(*txn, d.calendar_id());
    if (!calendar.ok())
      return absl::FailedPreconditionError(std::string(calendar.status().message()));
    d.set_calendar_id(calendar->id());
    ITSM_ASSIGN_OR_RETURN(auto others, SlaRepository::AllDefinitions(*txn, false));
    ITSM_RETURN_IF_ERROR(CheckNoOverlap(d, others));
    d.set_version(stored.version() + 1);
    *d.mutable_create_time() = stored.create_time();
    *d.mutable_update_time() = base::ToProtoTimestamp(now);
    d.set_updated_by(runtime::Actor(*ctx));
    ITSM_RETURN_IF_ERROR(SlaRepository::UpdateDefinition(*txn, d, read_version));
    v1::SlaDefinitionUpdated event;
    *event.mutable_definition() = d;
    event.set_previous_version(read_version);
    ITSM_RETURN_IF_ERROR(Publish(*txn, event, d.id(), now));
    ITSM_RETURN_IF_ERROR(Commit(*txn));
    *response->mutable_definition() = std::move(d);
    return absl::OkStatus();
  });
}

// --- Applicability and due times --------------------------------------------------------------

absl::StatusOr<v1::ResolveApplicableSlaResponse> SlaGrpcService::Resolve(
    const v1::ResolveApplicableSlaRequest& r) {
  if (r.service().empty()) return absl::InvalidArgumentError("service: required");
  if (r.priority() < incident::v1::PRIORITY_P1 || r.priority() > incident::v1::PRIORITY_P5) {
    return absl::InvalidArgumentError("priority: required, P1..P5");
  }
  if (!v1::AgreementKind_IsValid(r.kind()))
    return absl::InvalidArgumentError("kind: unknown value");
  const absl::Time at = r.has_at() ? base::FromProtoTimestamp(r.at()) : clock_.Now();
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(auto all, SlaRepository::AllDefinitions(*txn, false));
  v1::ResolveApplicableSlaResponse out;
  // The overlap rule leaves at most one per kind; order by kind for a stable answer.
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.kind() < b.kind(); });
  for (auto& d : all) {
    if (!Applies(d, r, at)) continue;
    auto* applicable = out.add_applicable();
    *applicable->mutable_target() = *TargetFor(d, r.priority());
    *applicable->mutable_definition() = std::move(d);
  }
  return out;
}

absl::StatusOr<v1::GetDueTimeResponse> SlaGrpcService::DueTime(const v1::GetDueTimeRequest& r) {
  v1::GetDueTimeResponse out;
  const absl::Time start =
      r.has_start_time() ? base::FromProtoTimestamp(r.start_time()) : clock_.Now();
  *out.mutable_start_time() = base::ToProtoTimestamp(start);
  const v1::ClockKind kind =
      r.clock_kind() == v1::CLOCK_KIND_UNSPECIFIED ? v1::CLOCK_KIND_RESOLUTION : r.clock_kind();
  v1::SlaDefinition definition;
  absl::Duration target;
  std::string calendar_id;
  if (!r.definition_id().empty() || !r.service().empty()) {
    if (!r.definition_id().empty()) {
      ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
      ITSM_ASSIGN_OR_RETURN(definition, SlaRepository::GetDefinition(*txn, r.definition_id()));
    } else {
      v1::ResolveApplicableSlaRequest resolve;
      resolve.set_service(r.service());
      resolve.set_priority(r.priority());
      resolve.set_kind(r.kind() == v1::AGREEMENT_KIND_UNSPECIFIED ? v1::AGREEMENT_KIND_SLA
                                                                  : r.kind());
      *resolve.mutable_at() = out.start_time();
      ITSM_ASSIGN_OR_RETURN(auto applicable, Resolve(resolve));
      if (applicable.applicable().empty()) {
        return absl::NotFoundError(
            absl::StrCat("service: no active definition covers \"", r.service(), "\" at ",
                         slamodel::PriorityName(r.priority()), " on ", base::FormatRfc3339(start)));
      }
      definition = applicable.applicable(0).definition();
    }
    const v1::PriorityTarget* t = TargetFor(definition, r.priority());
    const bool has = t != nullptr && (kind == v1::CLOCK_KIND_RESPONSE ? t->has_response_target()
                                                                      : t->has_resolution_target());
    if (!has) {
      return absl::NotFoundError(absl::StrCat(
          "priority: definition \"", definition.name(), "\" has no ",
          kind == v1::CLOCK_KIND_RESPONSE ? "response" : "resolution", " target for ",
          slamodel::PriorityName(r.priority()).empty() ? "an unspecified priority"
                                                       : slamodel::PriorityName(r.priority())));
    }
    target =
        FromProto(kind == v1::CLOCK_KIND_RESPONSE ? t->response_target() : t->resolution_target());
    calendar_id = definition.calendar_id();
  } else if (!r.calendar_id().empty()) {
    if (!r.has_target() || FromProto(r.target()) <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("target: required and positive with calendar_id");
    }
    target = FromProto(r.target());
    calendar_id = r.calendar_id();
  } else {
    return absl::InvalidArgumentError("definition_id, service or calendar_id: one is required");
  }
  ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(v1::Calendar calendar, SlaRepository::GetCalendar(*txn, calendar_id));
  std::string ci_zone = r.ci_time_zone();
  if (ci_zone.empty() && !r.ci_id().empty() &&
      definition.time_zone_source() == v1::TIME_ZONE_SOURCE_CI_LOCATION) {
    if (!options_.ci_location_zone) {
      return absl::FailedPreconditionError(
          "ci_id: this SLA service has no configuration service to look CIs up in "
          "(set configuration_address), pass ci_time_zone instead");
    }
    ITSM_ASSIGN_OR_RETURN(ci_zone, options_.ci_location_zone(r.ci_id()));
  }
  const std::string zone = definition.id().empty() ? calendar.time_zone()
                                                   : slamodel::ResolveTimeZone(
                                                         definition, calendar, r.caller_time_zone(),
                                                         ci_zone, options_.default_time_zone);
  auto compiled = slamodel::CompileCalendar(calendar, zone);
  if (!compiled.ok()) {
    // Only a zone from the request can make a stored calendar invalid.
    return absl::InvalidArgumentError(
        absl::StrCat("time zone \"", zone, "\": ", compiled.status().message()));
  }
  ITSM_ASSIGN_OR_RETURN(absl::Time due,
                        businesstime::AddBusinessDuration(*compiled, start, target));
  *out.mutable_due_time() = base::ToProtoTimestamp(due);
  *out.mutable_target() = ToProto(target);
  out.set_calendar_id(calendar.id());
  out.set_time_zone(zone);
  if (!definition.id().empty()) {
    for (double p : definition.warning_thresholds()) {
      ITSM_ASSIGN_OR_RETURN(
          absl::Time at, businesstime::AddBusinessDuration(
                             *compiled, start,
                             absl::Seconds(std::llround(absl::ToDoubleSeconds(target) * p / 100))));
      auto* w = out.add_warnings();
      w->set_percent(p);
      *w->mutable_time() = base::ToProtoTimestamp(at);
    }
    *out.mutable_definition() = std::move(definition);
  }
  return out;
}

grpc::ServerUnaryReactor* SlaGrpcService::ResolveApplicableSla(
    grpc::CallbackServerContext* ctx, const v1::ResolveApplicableSlaRequest* request,
    v1::ResolveApplicableSlaResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, Resolve(*request));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetDueTime(grpc::CallbackServerContext* ctx,
                                                     const v1::GetDueTimeRequest* request,
                                                     v1::GetDueTimeResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, DueTime(*request));
    return absl::OkStatus();
  });
}

// --- Status and reports -----------------------------------------------------------------------

grpc::ServerUnaryReactor* SlaGrpcService::GetIncidentSlaStatus(
    grpc::CallbackServerContext* ctx, const v1::GetIncidentSlaStatusRequest* request,
    v1::GetIncidentSlaStatusResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    if (request->incident_id().empty()) return absl::InvalidArgumentError("incident_id: required");
    auto lookup = [this](const std::string& calendar_id, const std::string& zone) {
      return LoadCalendar(calendar_id, zone);
    };
    for (auto& s : projection_.IncidentStatus(request->incident_id(), clock_.Now(), lookup)) {
      *response->add_clocks() = std::move(s);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* SlaGrpcService::GetComplianceReport(
    grpc::CallbackServerContext* ctx, const v1::GetComplianceReportRequest* request,
    v1::GetComplianceReportResponse* response) {
  if (absl::Status bad = limits::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return runtime::RunOn(executor_, ctx, [=, this]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response, projection_.Report(*request));
    return absl::OkStatus();
  });
}

}  // namespace itsm::sla
