#include "src/incident_grpc_service.h"

#include <memory>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/events/outbox.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/logging.h"
#include "src/incident_repository.h"

namespace itsm::incident {
namespace {

namespace log = runtime::log;

// Identifies a create request's content, so that reusing an idempotency key for a different
// request is refused rather than silently answered with the first incident. Stored, so it must
// be stable across builds: FNV-1a over the deterministic serialisation (not a security hash;
// it only tells requests apart).
std::string Fingerprint(const v1::CreateIncidentRequest& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&out);
  }
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return absl::StrCat(absl::Hex(hash, absl::kZeroPad16));
}

// The unit of work committed for one create: the incident, its idempotency key and its event,
// or — when the key was used before — nothing but a read of the earlier result.
absl::Status CreateUnit(storage::Transaction& txn, const v1::CreateIncidentRequest& request,
                        const std::string& fingerprint, v1::Incident& incident) {
  if (!request.idempotency_key().empty()) {
    ITSM_ASSIGN_OR_RETURN(auto earlier,
                          IncidentRepository::FindIdempotencyKey(txn, request.idempotency_key()));
    if (earlier) {
      if (earlier->request_fingerprint != fingerprint) {
        return absl::AlreadyExistsError(
            "idempotency_key: already used for a different request");
      }
      ITSM_ASSIGN_OR_RETURN(incident, IncidentRepository::Get(txn, earlier->incident_id));
      return absl::OkStatus();
    }
  }
  ITSM_RETURN_IF_ERROR(IncidentRepository::Insert(txn, incident));
  if (!request.idempotency_key().empty()) {
    ITSM_RETURN_IF_ERROR(IncidentRepository::SaveIdempotencyKey(txn, request.idempotency_key(),
                                                                incident.id(), fingerprint));
  }
  v1::IncidentCreated created;
  *created.mutable_incident() = incident;
  return events::Outbox::Append(
      txn, {kIncidentTopic, incident.id(),
            events::MakeCloudEvent(created, kEventSource, incident.id(),
                                   base::FromProtoTimestamp(incident.create_time()))});
}

}  // namespace

grpc::ServerUnaryReactor* IncidentGrpcService::CreateIncident(
    grpc::CallbackServerContext* ctx, const v1::CreateIncidentRequest* request,
    v1::CreateIncidentResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  if (absl::Status invalid = factory_.Validate(*request); !invalid.ok()) {
    reactor->Finish(runtime::ToGrpcStatus(invalid));
    return reactor;
  }
  // Shared by the unit (run on the writer thread) and the completion; freed with the last user.
  auto incident = std::make_shared<v1::Incident>(factory_.NewIncident(*request, runtime::Actor(*ctx)));
  auto fingerprint = std::make_shared<std::string>(
      request->idempotency_key().empty() ? std::string() : Fingerprint(*request));
  const std::string request_id = runtime::RequestId(*ctx);
  committer_.Submit(
      [request, incident, fingerprint](storage::Transaction& txn) {
        return CreateUnit(txn, *request, *fingerprint, *incident);
      },
      [this, reactor, response, incident, request, request_id](absl::Status status) {
        if (status.code() == absl::StatusCode::kAlreadyExists &&
            !request->idempotency_key().empty() &&
            status.message().find("idempotency_key") == absl::string_view::npos) {
          // Another replica stored the same key between our read and our write: answer with
          // what it created.
          auto txn = db_.Begin(storage::TransactionMode::kReadOnly);
          if (txn.ok()) {
            auto earlier = IncidentRepository::FindIdempotencyKey(**txn, request->idempotency_key());
            if (earlier.ok() && *earlier) {
              auto got = IncidentRepository::Get(**txn, (*earlier)->incident_id);
              status = got.status();
              if (got.ok()) *incident = *got;
            }
          }
        }
        if (status.ok()) {
          *response->mutable_incident() = *incident;
          log::Debug("incident created", {{"request_id", request_id},
                                          {"incident_id", incident->id()},
                                          {"number", incident->number()}});
        }
        reactor->Finish(runtime::ToGrpcStatus(status));
      });
  return reactor;
}

grpc::ServerUnaryReactor* IncidentGrpcService::GetIncident(grpc::CallbackServerContext* ctx,
                                                           const v1::GetIncidentRequest* request,
                                                           v1::GetIncidentResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  absl::Status status = [&]() -> absl::Status {
    if (request->id().empty()) return absl::InvalidArgumentError("id: required");
    if (request->id().size() > kMaxShortText) {
      return absl::InvalidArgumentError("id: not an incident id or number");
    }
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(*response->mutable_incident(), IncidentRepository::Get(*txn, request->id()));
    return absl::OkStatus();
  }();
  reactor->Finish(runtime::ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* IncidentGrpcService::ListIncidents(
    grpc::CallbackServerContext* ctx, const v1::ListIncidentsRequest* request,
    v1::ListIncidentsResponse* response) {
  auto* reactor = ctx->DefaultReactor();
  absl::Status status = [&]() -> absl::Status {
    if (request->title_contains().size() > kMaxShortText) {
      return absl::InvalidArgumentError(
          absl::StrCat("title_contains: at most ", kMaxShortText, " characters"));
    }
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(IncidentPage page, IncidentRepository::List(*txn, *request));
    for (auto& incident : page.incidents) *response->add_incidents() = std::move(incident);
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  }();
  reactor->Finish(runtime::ToGrpcStatus(status));
  return reactor;
}

}  // namespace itsm::incident
