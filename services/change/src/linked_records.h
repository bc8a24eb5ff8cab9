// The incidents and problems a change links to (`incident_ids`, `problem_ids`), checked with the
// incident service before the write's transaction, as the CMDB's CIs are (cmdb_facts.h): a value
// is an id or a number (INC0000007, PRB0000002), stored as the record's id. The calls carry the
// change service's own identity (role `service`) and a deadline.
//
//   GrpcLinkedRecords records(rt.ChannelTo(incident_address), absl::Seconds(2));
//   ITSM_ASSIGN_OR_RETURN(std::vector<std::string> ids,
//                         ResolveLinkedIds(&records, LinkedKind::kIncident, request.incident_ids(),
//                                          "incident_ids", {}));
#ifndef ITSM_SERVICES_CHANGE_LINKED_RECORDS_H_
#define ITSM_SERVICES_CHANGE_LINKED_RECORDS_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/grpcpp.h"
#include "itsm/incident/v1/incident.grpc.pb.h"

namespace itsm::change {

enum class LinkedKind { kIncident, kProblem };

class LinkedRecords {
 public:
  virtual ~LinkedRecords() = default;
  // The id of the record `id_or_number` names; nullopt when there is none. UNAVAILABLE: the
  // incident service cannot answer now.
  virtual absl::StatusOr<std::optional<std::string>> IdOf(LinkedKind kind,
                                                          const std::string& id_or_number) = 0;
};

class GrpcLinkedRecords final : public LinkedRecords {
 public:
  GrpcLinkedRecords(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);
  absl::StatusOr<std::optional<std::string>> IdOf(LinkedKind kind,
                                                  const std::string& id_or_number) override;

 private:
  std::unique_ptr<incident::v1::IncidentService::Stub> stub_;
  const absl::Duration deadline_;
};

// Records held in memory (tests).
class StaticLinkedRecords final : public LinkedRecords {
 public:
  void Add(LinkedKind kind, const std::string& id, const std::string& number);
  void SetUnavailable(bool unavailable) { unavailable_ = unavailable; }
  absl::StatusOr<std::optional<std::string>> IdOf(LinkedKind kind,
                                                  const std::string& id_or_number) override;

 private:
  std::map<std::pair<LinkedKind, std::string>, std::string> ids_ = {};
  bool unavailable_ = false;
};

// The ids to store for `values`: each resolved by `records`, but those in `held` (the stored
// record's: linked before, they stay) kept as they are. INVALID_ARGUMENT "<field>[i]: ..." for a
// record that does not exist or a second value naming the same record; UNAVAILABLE when the
// incident service cannot answer. Without `records` (no incident service configured), as given.
absl::StatusOr<std::vector<std::string>> ResolveLinkedIds(
    LinkedRecords* records, LinkedKind kind,
    const google::protobuf::RepeatedPtrField<std::string>& values, const std::string& field,
    const std::set<std::string>& held);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_LINKED_RECORDS_H_
