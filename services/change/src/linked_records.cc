#include "services/change/src/linked_records.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"

namespace itsm::change {
namespace {

const char* NameOf(LinkedKind kind) {
  return kind == LinkedKind::kIncident ? "incident" : "problem";
}

// NOT_FOUND, or INVALID_ARGUMENT (not an id nor a number): no such record. Anything else: the
// incident service cannot answer now.
absl::StatusOr<std::optional<std::string>> Answer(const grpc::Status& status,
                                                  const std::string& id) {
  if (status.ok()) return id;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return std::nullopt;
  }
  return absl::UnavailableError(
      absl::StrCat("the incident service did not answer (", status.error_code(), ")"));
}

}  // namespace

GrpcLinkedRecords::GrpcLinkedRecords(std::shared_ptr<grpc::Channel> channel,
                                     absl::Duration deadline)
    : stub_(incident::v1::IncidentService::NewStub(std::move(channel))), deadline_(deadline) {}

absl::StatusOr<std::optional<std::string>> GrpcLinkedRecords::IdOf(
    LinkedKind kind, const std::string& id_or_number) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline_));
  if (kind == LinkedKind::kIncident) {
    incident::v1::GetIncidentRequest request;
    request.set_id(id_or_number);
    incident::v1::GetIncidentResponse response;
    const grpc::Status status = stub_->GetIncident(&ctx, request, &response);
    return Answer(status, response.incident().id());
  }
  incident::v1::GetProblemRequest request;
  request.set_id(id_or_number);
  incident::v1::GetProblemResponse response;
  const grpc::Status status = stub_->GetProblem(&ctx, request, &response);
  return Answer(status, response.problem().id());
}

void StaticLinkedRecords::Add(LinkedKind kind, const std::string& id, const std::string& number) {
  ids_[{kind, id}] = id;
  ids_[{kind, number}] = id;
}

absl::StatusOr<std::optional<std::string>> StaticLinkedRecords::IdOf(
    LinkedKind kind, const std::string& id_or_number) {
  if (unavailable_) return absl::UnavailableError("the incident service did not answer");
  auto it = ids_.find({kind, id_or_number});
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<std::string>> ResolveLinkedIds(
    LinkedRecords* records, LinkedKind kind,
    const google::protobuf::RepeatedPtrField<std::string>& values, const std::string& field,
    const std::set<std::string>& held) {
  std::vector<std::string> out;
  std::map<std::string, int> first_index;
  for (int i = 0; i < values.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    std::string id = values[i];
    if (records != nullptr && !held.contains(values[i])) {
      absl::StatusOr<std::optional<std::string>> found = records->IdOf(kind, values[i]);
      if (!found.ok()) {
        return absl::UnavailableError(absl::StrCat(at, ": cannot check the ", NameOf(kind),
                                                   " now (", found.status().message(),
                                                   "); try again"));
      }
      if (!found->has_value()) {
        return base::FieldError(at, absl::StrCat("no ", NameOf(kind), " \"", values[i], "\""));
      }
      id = **found;
    }
    if (auto [it, inserted] = first_index.emplace(id, i); !inserted) {
      return base::FieldError(
          at, absl::StrCat("names the ", NameOf(kind), " ", field, "[", it->second, "] names"));
    }
    out.push_back(std::move(id));
  }
  return out;
}

}  // namespace itsm::change
