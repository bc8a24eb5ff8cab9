#include "services/incident/src/incident_grpc_service.h"

#include <algorithm>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/field_limits.h"
#include "itsm/records/fingerprint.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_cursor.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/logging.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/problem_repository.h"

namespace itsm::incident {
namespace {

namespace log = runtime::log;

constexpr int kMaxParentDepth = 100;
constexpr int kDefaultHistoryPage = 100;
constexpr int kMaxHistoryPage = 1000;

constexpr char kCreateIncident[] = "itsm.incident.v1.IncidentService/CreateIncident";
constexpr char kCreateServiceRequest[] = "itsm.incident.v1.IncidentService/CreateServiceRequest";
constexpr char kCreateProblem[] = "itsm.incident.v1.IncidentService/CreateProblem";

// Writes what an Outcome says — audit entry and events — for a record already saved.
template <typename Record>
absl::Status RecordChange(storage::Transaction& txn, const Outcome<Record>& out,
                          const std::string& actor, const std::string& request_id) {
  common::v1::AuditEntry entry;
  entry.set_version(out.after.version());
  entry.set_actor(actor);
  *entry.mutable_time() = out.after.update_time();
  entry.set_action(out.action);
  for (const auto& c : out.changes) *entry.add_changes() = c;
  entry.set_request_id(request_id);
  ITSM_RETURN_IF_ERROR(IncidentRepository::AppendAudit(txn, out.after.id(), entry));
  const absl::Time time = base::FromProtoTimestamp(out.after.update_time());
  for (const auto& event : out.events) {
    ITSM_RETURN_IF_ERROR(outbox::Outbox::Append(
        txn, {kIncidentTopic, out.after.id(),
              events::MakeCloudEvent(*event, kEventSource, out.after.id(), time)}));
  }
  return absl::OkStatus();
}

absl::Status SaveIncident(storage::Transaction& txn, const IncidentOutcome& out,
                          int64_t expected_version, const std::string& actor,
                          const std::string& request_id) {
  if (!out.changed()) return absl::OkStatus();
  ITSM_RETURN_IF_ERROR(IncidentRepository::Update(txn, out.after, expected_version));
  return RecordChange(txn, out, actor, request_id);
}

// Parent and problem links name existing records; stored as ids even when given as numbers.
// A parent may not be the incident itself or one of its descendants.
absl::Status ResolveLinks(storage::Transaction& txn, const v1::Incident& stored,
                          v1::UpdateIncidentRequest& request) {
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "parent_incident_id" && !request.incident().parent_incident_id().empty()) {
      auto parent = IncidentRepository::Get(txn, request.incident().parent_incident_id());
      if (absl::IsNotFound(parent.status())) {
        return absl::NotFoundError(absl::StrCat("incident.parent_incident_id: no incident \"",
                                                request.incident().parent_incident_id(), "\""));
      }
      ITSM_RETURN_IF_ERROR(parent.status());
      v1::Incident up = *parent;
      for (int depth = 0; depth < kMaxParentDepth; ++depth) {
        if (up.id() == stored.id()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "incident.parent_incident_id: ", parent->number(),
              " is this incident or one of its children (a parent cannot be its own descendant)"));
        }
        if (up.parent_incident_id().empty()) break;
        ITSM_ASSIGN_OR_RETURN(up, IncidentRepository::Get(txn, up.parent_incident_id()));
      }
      request.mutable_incident()->set_parent_incident_id(parent->id());
    }
    if (path == "problem_id" && !request.incident().problem_id().empty()) {
      ITSM_ASSIGN_OR_RETURN(
          v1::Problem problem,
          ProblemRepository::Get(txn, request.incident().problem_id(), "incident.problem_id"));
      request.mutable_incident()->set_problem_id(problem.id());
    }
  }
  return absl::OkStatus();
}

// The unit of work for a create with an optional idempotency key: the key is claimed first, so
// that a call repeating an earlier one (or losing a race with it) writes nothing and answers
// with the earlier record.
template <typename Record>
absl::Status CreateUnit(
    storage::Transaction& txn, const char* method, const std::string& key,
    const std::string& fingerprint, Record& record,
    const std::function<absl::Status(storage::Transaction&, Record&)>& insert,
    const std::function<absl::StatusOr<Record>(storage::Transaction&, const std::string&)>& get,
    const std::function<Outcome<Record>(const Record&)>& created, const std::string& actor,
    const std::string& request_id) {
  ITSM_ASSIGN_OR_RETURN(
      records::IdempotencyClaim claim,
      records::IdempotencyStore::Claim(txn, method, key, fingerprint, record.id(),
                                       base::FromProtoTimestamp(record.create_time())));
  if (!claim.first) {
    ITSM_ASSIGN_OR_RETURN(record, get(txn, claim.record_id));
    return absl::OkStatus();
  }
  ITSM_RETURN_IF_ERROR(insert(txn, record));
  return RecordChange(txn, created(record), actor, request_id);
}

absl::Status CheckId(const std::string& id, const char* field = "id") {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (id.size() > kMaxShortText) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not an id or number"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* IncidentGrpcService::Write(grpc::CallbackServerContext* ctx,
                                                     absl::Status check,
                                                     storage::GroupCommitter::Work unit) {
  auto* reactor = ctx->DefaultReactor();
  if (!check.ok()) {
    reactor->Finish(runtime::ToGrpcStatus(check, *ctx));
    return reactor;
  }
  committer_.Submit(std::move(unit), [ctx, reactor](absl::Status status) {
    reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
  });
  return reactor;
}

grpc::ServerUnaryReactor* IncidentGrpcService::Read(
    grpc::CallbackServerContext* ctx, std::function<absl::Status(storage::Transaction&)> read) {
  return runtime::RunOn(executor_, ctx, [this, read = std::move(read)]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    return read(*txn);
  });
}

// ---- Incidents ----

grpc::ServerUnaryReactor* IncidentGrpcService::CreateIncident(
    grpc::CallbackServerContext* ctx, const v1::CreateIncidentRequest* request,
    v1::CreateIncidentResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status invalid = rules_.factory.Validate(*request); !invalid.ok()) {
    reactor->Finish(runtime::ToGrpcStatus(invalid, *ctx));
    return reactor;
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  // Shared by the unit (run on the writer thread) and the completion; freed with the last user.
  auto incident = std::make_shared<v1::Incident>(rules_.factory.NewIncident(*request, actor));
  const std::string fingerprint =
      request->idempotency_key().empty() ? std::string() : records::RequestFingerprint(*request);
  using Get =
      std::function<absl::StatusOr<v1::Incident>(storage::Transaction&, const std::string&)>;
  const Get get = [](storage::Transaction& txn, const std::string& id) {
    return IncidentRepository::Get(txn, id);
  };
  committer_.Submit(
      [this, request, incident, fingerprint, actor, request_id, get](storage::Transaction& txn) {
        return CreateUnit<v1::Incident>(
            txn, kCreateIncident, request->idempotency_key(), fingerprint, *incident,
            IncidentRepository::Insert, get,
            [&](const v1::Incident& i) { return rules_.incidents.Created(i, actor); }, actor,
            request_id);
      },
      [ctx, reactor, response, incident, request_id](absl::Status status) {
        if (status.ok()) {
          *response->mutable_incident() = *incident;
          log::Debug("incident created", {{"request_id", request_id},
                                          {"incident_id", incident->id()},
                                          {"number", incident->number()}});
        }
        reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
      });
  return reactor;
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetIncident(grpc::CallbackServerContext* ctx,
                                                           const v1::GetIncidentRequest* request,
                                                           v1::GetIncidentResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  if (absl::Status bad = CheckId(request->id()); !bad.ok()) return Write(ctx, bad, nullptr);
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response->mutable_incident(),
                          IncidentRepository::Get(txn, request->id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListIncidents(
    grpc::CallbackServerContext* ctx, const v1::ListIncidentsRequest* request,
    v1::ListIncidentsResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  for (const auto& [field, value] :
       {std::pair{"title_contains", &request->title_contains()},
        std::pair{"configuration_item_id", &request->configuration_item_id()},
        std::pair{"parent_incident_id", &request->parent_incident_id()},
        std::pair{"problem_id", &request->problem_id()}}) {
    if (value->size() > kMaxShortText) {
      return Write(ctx,
                   absl::InvalidArgumentError(
                       absl::StrCat(field, ": at most ", kMaxShortText, " characters")),
                   nullptr);
    }
  }
  for (const auto& [field, ts] : {std::pair{"created_after", &request->created_after()},
                                  std::pair{"created_before", &request->created_before()},
                                  std::pair{"updated_after", &request->updated_after()},
                                  std::pair{"updated_before", &request->updated_before()}}) {
    if (absl::Status bad = base::CheckTimestamp(field, *ts); !bad.ok()) {
      return Write(ctx, bad, nullptr);
    }
  }
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(IncidentPage page, IncidentRepository::List(txn, *request));
    for (auto& incident : page.incidents) *response->add_incidents() = std::move(incident);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentGrpcService::UpdateIncident(
    grpc::CallbackServerContext* ctx, const v1::UpdateIncidentRequest* request,
    v1::UpdateIncidentResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  return Write(
      ctx, rules_.incidents.ValidateUpdate(*request),
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::Incident stored,
                              IncidentRepository::Get(txn, request->incident().id()));
        v1::UpdateIncidentRequest resolved = *request;
        ITSM_RETURN_IF_ERROR(ResolveLinks(txn, stored, resolved));
        ITSM_ASSIGN_OR_RETURN(IncidentOutcome out,
                              rules_.incidents.Update(stored, resolved, actor));
        ITSM_RETURN_IF_ERROR(SaveIncident(txn, out, stored.version(), actor, request_id));
        *response->mutable_incident() = out.after;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::AssignIncident(
    grpc::CallbackServerContext* ctx, const v1::AssignIncidentRequest* request,
    v1::AssignIncidentResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  return Write(
      ctx, rules_.incidents.ValidateAssign(*request),
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::Incident stored, IncidentRepository::Get(txn, request->id()));
        ITSM_ASSIGN_OR_RETURN(IncidentOutcome out,
                              rules_.incidents.Assign(stored, *request, actor));
        ITSM_RETURN_IF_ERROR(SaveIncident(txn, out, stored.version(), actor, request_id));
        *response->mutable_incident() = out.after;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::TransitionIncident(
    grpc::CallbackServerContext* ctx, const v1::TransitionIncidentRequest* request,
    v1::TransitionIncidentResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  return Write(
      ctx, rules_.incidents.ValidateTransition(*request),
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::Incident stored, IncidentRepository::Get(txn, request->id()));
        ITSM_ASSIGN_OR_RETURN(IncidentOutcome out,
                              rules_.incidents.Transition(stored, *request, actor));
        ITSM_RETURN_IF_ERROR(SaveIncident(txn, out, stored.version(), actor, request_id));
        *response->mutable_incident() = out.after;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::AddIncidentNote(
    grpc::CallbackServerContext* ctx, const v1::AddIncidentNoteRequest* request,
    v1::AddIncidentNoteResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  return Write(
      ctx, rules_.incidents.ValidateNote(*request),
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::Incident stored, IncidentRepository::Get(txn, request->id()));
        if (request->version() != 0) {
          ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), request->version()));
        }
        // Notes may be added in any state, closed included (a caller's follow-up).
        IncidentOutcome out = rules_.incidents.Note(stored, *request, actor);
        v1::IncidentNote note;
        note.set_id(base::NewUuid());
        note.set_incident_id(stored.id());
        note.set_author(actor);
        *note.mutable_create_time() = out.after.update_time();
        note.set_visibility(request->visibility());
        note.set_text(request->text());
        note.set_incident_version(out.after.version());
        ITSM_RETURN_IF_ERROR(SaveIncident(txn, out, stored.version(), actor, request_id));
        ITSM_RETURN_IF_ERROR(IncidentRepository::InsertNote(txn, note));
        *response->mutable_note() = note;
        *response->mutable_incident() = out.after;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListIncidentNotes(
    grpc::CallbackServerContext* ctx, const v1::ListIncidentNotesRequest* request,
    v1::ListIncidentNotesResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  absl::Status bad = CheckId(request->id());
  if (bad.ok() && !v1::NoteVisibility_IsValid(request->visibility())) {
    bad = absl::InvalidArgumentError(
        absl::StrCat("visibility: unknown value ", static_cast<int>(request->visibility())));
  }
  if (!bad.ok()) return Write(ctx, bad, nullptr);
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(v1::Incident incident, IncidentRepository::Get(txn, request->id()));
    ITSM_ASSIGN_OR_RETURN(auto notes,
                          IncidentRepository::ListNotes(txn, incident.id(), request->visibility()));
    for (auto& n : notes) *response->add_notes() = std::move(n);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetHistory(grpc::CallbackServerContext* ctx,
                                                          const v1::GetHistoryRequest* request,
                                                          v1::GetHistoryResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  absl::Status bad = CheckId(request->id());
  int page_size = request->page().page_size();
  if (bad.ok() && (page_size < 0 || page_size > kMaxHistoryPage)) {
    bad = absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be 0..", kMaxHistoryPage, ", got ", page_size));
  }
  if (page_size == 0) page_size = kDefaultHistoryPage;
  // A token holds the version of the last entry returned.
  const std::string scope =
      records::PageScope("itsm.incident.v1.IncidentService/GetHistory", *request);
  int64_t after_version = 0;
  if (bad.ok()) {
    auto after = records::DecodePageCursor(scope, request->page().page_token());
    if (!after.ok()) {
      bad = after.status();
    } else if (after->size() == 1) {
      auto version = records::CursorInt((*after)[0]);
      if (version.ok()) after_version = *version;
      bad = version.status();
    } else if (!after->empty()) {
      bad = base::FieldError("page.page_token", "not a token this service issued");
    }
  }
  if (!bad.ok()) return Write(ctx, bad, nullptr);
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    // Any record of the service, by id or number.
    // Only NOT_FOUND moves on to the next kind: a storage failure is that failure, not "no record".
    std::string record_id;
    auto incident = IncidentRepository::Get(txn, request->id());
    if (incident.ok()) record_id = incident->id();
    if (record_id.empty()) {
      if (!absl::IsNotFound(incident.status())) return incident.status();
      auto service_request = ServiceRequestRepository::Get(txn, request->id());
      if (service_request.ok())
        record_id = service_request->id();
      else if (!absl::IsNotFound(service_request.status()))
        return service_request.status();
    }
    if (record_id.empty()) {
      auto problem = ProblemRepository::Get(txn, request->id());
      if (problem.ok())
        record_id = problem->id();
      else if (!absl::IsNotFound(problem.status()))
        return problem.status();
    }
    if (record_id.empty()) {
      return absl::NotFoundError(
          absl::StrCat("id: no incident, service request or problem \"", request->id(), "\""));
    }
    ITSM_ASSIGN_OR_RETURN(
        auto entries, IncidentRepository::History(txn, record_id, after_version, page_size + 1));
    const size_t shown = std::min(entries.size(), static_cast<size_t>(page_size));
    for (size_t i = 0; i < shown; ++i) *response->add_entries() = std::move(entries[i]);
    if (entries.size() > shown) {
      response->set_next_page_token(records::EncodePageCursor(
          scope, {absl::StrCat(response->entries(static_cast<int>(shown) - 1).version())}));
    }
    return absl::OkStatus();
  });
}

// ---- Service requests ----

grpc::ServerUnaryReactor* IncidentGrpcService::CreateServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::CreateServiceRequestRequest* request,
    v1::CreateServiceRequestResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status invalid = rules_.requests.ValidateCreate(*request); !invalid.ok()) {
    reactor->Finish(runtime::ToGrpcStatus(invalid, *ctx));
    return reactor;
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  auto record =
      std::make_shared<v1::ServiceRequest>(rules_.requests.NewServiceRequest(*request, actor));
  const std::string& key = request->idempotency_key();
  const std::string fingerprint =
      key.empty() ? std::string() : records::RequestFingerprint(*request);
  using Get =
      std::function<absl::StatusOr<v1::ServiceRequest>(storage::Transaction&, const std::string&)>;
  const Get get = [](storage::Transaction& txn, const std::string& id) {
    return ServiceRequestRepository::Get(txn, id);
  };
  committer_.Submit(
      [this, record, key, fingerprint, actor, request_id, get](storage::Transaction& txn) {
        return CreateUnit<v1::ServiceRequest>(
            txn, kCreateServiceRequest, key, fingerprint, *record, ServiceRequestRepository::Insert,
            get, [&](const v1::ServiceRequest& r) { return rules_.requests.Created(r, actor); },
            actor, request_id);
      },
      [ctx, reactor, response, record](absl::Status status) {
        if (status.ok()) *response->mutable_service_request() = *record;
        reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
      });
  return reactor;
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::GetServiceRequestRequest* request,
    v1::GetServiceRequestResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  if (absl::Status bad = CheckId(request->id()); !bad.ok()) return Write(ctx, bad, nullptr);
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response->mutable_service_request(),
                          ServiceRequestRepository::Get(txn, request->id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListServiceRequests(
    grpc::CallbackServerContext* ctx, const v1::ListServiceRequestsRequest* request,
    v1::ListServiceRequestsResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto page, ServiceRequestRepository::List(txn, *request));
    for (auto& r : page.first) *response->add_service_requests() = std::move(r);
    response->set_next_page_token(page.second);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentGrpcService::UpdateServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::UpdateServiceRequestRequest* request,
    v1::UpdateServiceRequestResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  return Write(
      ctx, rules_.requests.ValidateUpdate(*request),
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::ServiceRequest stored,
                              ServiceRequestRepository::Get(txn, request->service_request().id()));
        ITSM_ASSIGN_OR_RETURN(auto out, rules_.requests.Update(stored, *request, actor));
        if (out.changed()) {
          ITSM_RETURN_IF_ERROR(ServiceRequestRepository::Update(txn, out.after, stored.version()));
          ITSM_RETURN_IF_ERROR(RecordChange(txn, out, actor, request_id));
        }
        *response->mutable_service_request() = out.after;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::TransitionServiceRequest(
    grpc::CallbackServerContext* ctx, const v1::TransitionServiceRequestRequest* request,
    v1::TransitionServiceRequestResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  return Write(
      ctx, rules_.requests.ValidateTransition(*request),
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::ServiceRequest stored,
                              ServiceRequestRepository::Get(txn, request->id()));
        ITSM_ASSIGN_OR_RETURN(auto out, rules_.requests.Transition(stored, *request, actor));
        ITSM_RETURN_IF_ERROR(ServiceRequestRepository::Update(txn, out.after, stored.version()));
        ITSM_RETURN_IF_ERROR(RecordChange(txn, out, actor, request_id));
        *response->mutable_service_request() = out.after;
        return absl::OkStatus();
      });
}

// ---- Problems ----

grpc::ServerUnaryReactor* IncidentGrpcService::CreateProblem(
    grpc::CallbackServerContext* ctx, const v1::CreateProblemRequest* request,
    v1::CreateProblemResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status invalid = rules_.problems.ValidateCreate(*request); !invalid.ok()) {
    reactor->Finish(runtime::ToGrpcStatus(invalid, *ctx));
    return reactor;
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  auto record = std::make_shared<v1::Problem>(rules_.problems.NewProblem(*request, actor));
  const std::string& key = request->idempotency_key();
  const std::string fingerprint =
      key.empty() ? std::string() : records::RequestFingerprint(*request);
  using Get = std::function<absl::StatusOr<v1::Problem>(storage::Transaction&, const std::string&)>;
  const Get get = [](storage::Transaction& txn, const std::string& id) {
    return ProblemRepository::Get(txn, id);
  };
  committer_.Submit(
      [this, record, key, fingerprint, actor, request_id, get](storage::Transaction& txn) {
        return CreateUnit<v1::Problem>(
            txn, kCreateProblem, key, fingerprint, *record, ProblemRepository::Insert, get,
            [&](const v1::Problem& p) { return rules_.problems.Created(p, actor); }, actor,
            request_id);
      },
      [ctx, reactor, response, record](absl::Status status) {
        if (status.ok()) *response->mutable_problem() = *record;
        reactor->Finish(runtime::ToGrpcStatus(status, *ctx));
      });
  return reactor;
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetProblem(grpc::CallbackServerContext* ctx,
                                                          const v1::GetProblemRequest* request,
                                                          v1::GetProblemResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  if (absl::Status bad = CheckId(request->id()); !bad.ok()) return Write(ctx, bad, nullptr);
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(*response->mutable_problem(), ProblemRepository::Get(txn, request->id()));
    ITSM_ASSIGN_OR_RETURN(auto linked,
                          IncidentRepository::ListByProblem(txn, response->problem().id()));
    for (const auto& i : linked) response->add_linked_incident_ids(i.id());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListProblems(grpc::CallbackServerContext* ctx,
                                                            const v1::ListProblemsRequest* request,
                                                            v1::ListProblemsResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  if (request->text().size() > kMaxShortText) {
    return Write(
        ctx,
        absl::InvalidArgumentError(absl::StrCat("text: at most ", kMaxShortText, " characters")),
        nullptr);
  }
  return Read(ctx, [=, this](storage::Transaction& txn) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto page, ProblemRepository::List(txn, *request));
    for (auto& p : page.first) *response->add_problems() = std::move(p);
    response->set_next_page_token(page.second);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IncidentGrpcService::UpdateProblem(
    grpc::CallbackServerContext* ctx, const v1::UpdateProblemRequest* request,
    v1::UpdateProblemResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  return Write(
      ctx, rules_.problems.ValidateUpdate(*request),
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::Problem stored,
                              ProblemRepository::Get(txn, request->problem().id()));
        ITSM_ASSIGN_OR_RETURN(auto out, rules_.problems.Update(stored, *request, actor));
        if (out.changed()) {
          ITSM_RETURN_IF_ERROR(ProblemRepository::Update(txn, out.after, stored.version()));
          ITSM_RETURN_IF_ERROR(RecordChange(txn, out, actor, request_id));
        }
        *response->mutable_problem() = out.after;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* IncidentGrpcService::TransitionProblem(
    grpc::CallbackServerContext* ctx, const v1::TransitionProblemRequest* request,
    v1::TransitionProblemResponse* response) {
  if (absl::Status bad = records::CheckFieldLimits(*request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  const std::string actor = runtime::Actor(*ctx);
  const std::string request_id = runtime::RequestId(*ctx);
  absl::Status check = rules_.problems.ValidateTransition(*request);
  if (check.ok() && request->resolve_linked_incidents() &&
      request->target_state() != v1::PROBLEM_STATE_RESOLVED) {
    check =
        absl::InvalidArgumentError("resolve_linked_incidents: only when target_state is RESOLVED");
  }
  return Write(
      ctx, check,
      [this, request, response, actor, request_id](storage::Transaction& txn) -> absl::Status {
        ITSM_ASSIGN_OR_RETURN(v1::Problem stored, ProblemRepository::Get(txn, request->id()));
        ITSM_ASSIGN_OR_RETURN(auto out, rules_.problems.Transition(stored, *request, actor));
        response->clear_resolved_incidents();
        if (request->resolve_linked_incidents()) {
          // Every open linked incident is resolved in this same transaction, each through the
          // incident state machine with its own audit entry and IncidentResolved event; if one
          // cannot be resolved, nothing is.
          ITSM_ASSIGN_OR_RETURN(auto linked, IncidentRepository::ListByProblem(txn, stored.id()));
          // The event lists every incident resolved with the problem, within its declared limit.
          constexpr size_t kMaxResolvedWithProblem = 1000;
          const size_t open = std::count_if(linked.begin(), linked.end(), [](const auto& i) {
            return i.state() != v1::INCIDENT_STATE_RESOLVED &&
                   i.state() != v1::INCIDENT_STATE_CLOSED &&
                   i.state() != v1::INCIDENT_STATE_CANCELLED;
          });
          if (open > kMaxResolvedWithProblem) {
            return absl::FailedPreconditionError(absl::StrCat(
                "resolve_linked_incidents: ", open, " open incidents are linked; at most ",
                kMaxResolvedWithProblem, " are resolved with a problem in one call"));
          }
          auto* resolved_event = out.events.empty() ? nullptr : out.events.back().get();
          for (const v1::Incident& incident : linked) {
            if (incident.state() == v1::INCIDENT_STATE_RESOLVED ||
                incident.state() == v1::INCIDENT_STATE_CLOSED ||
                incident.state() == v1::INCIDENT_STATE_CANCELLED) {
              continue;
            }
            v1::TransitionIncidentRequest resolve;
            resolve.set_id(incident.id());
            resolve.set_version(incident.version());
            resolve.set_target_state(v1::INCIDENT_STATE_RESOLVED);
            resolve.set_resolution_code(request->resolution_code());
            resolve.set_resolution_notes(absl::StrCat("Resolved with problem ", stored.number(),
                                                      ": ", request->resolution_notes()));
            auto incident_out = rules_.incidents.Transition(incident, resolve, actor);
            if (!incident_out.ok()) {
              return absl::FailedPreconditionError(
                  absl::StrCat("resolve_linked_incidents: ", incident.number(), ": ",
                               incident_out.status().message()));
            }
            ITSM_RETURN_IF_ERROR(
                SaveIncident(txn, *incident_out, incident.version(), actor, request_id));
            *response->add_resolved_incidents() = incident_out->after;
            if (auto* e = dynamic_cast<v1::ProblemResolved*>(resolved_event)) {
              e->add_resolved_incident_ids(incident.id());
            }
          }
        }
        ITSM_RETURN_IF_ERROR(ProblemRepository::Update(txn, out.after, stored.version()));
        ITSM_RETURN_IF_ERROR(RecordChange(txn, out, actor, request_id));
        *response->mutable_problem() = out.after;
        return absl::OkStatus();
      });
}

}  // namespace itsm::incident
