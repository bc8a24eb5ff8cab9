// What the incident service reads from the configuration service (the CMDB): the CI a value
// names (by id, "class_name/name", or a unique name) — for the CIs incidents and problems name,
// and for alert intake, which also maps "host:port" as "host" and reads the CIs upstream of it
// (storm causes) and the nearest business service downstream of it. Calls carry the incident
// service's own identity and a deadline, and are made before the write's transaction, never
// inside it (servicedb::CommitCallAfter).
#ifndef ITSM_SERVICES_INCIDENT_CMDB_LOOKUP_H_
#define ITSM_SERVICES_INCIDENT_CMDB_LOOKUP_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "itsm/config/v1/config.grpc.pb.h"

namespace itsm::incident {

struct UpstreamCi {
  std::string id = {};
  std::string name = {};
  int depth = 0;
};

struct CmdbCi {
  std::string id = {};
  std::string class_name = {};
  std::string name = {};
  bool retired = false;
  // CIs it depends on (upstream), with their distance in relationships.
  std::vector<UpstreamCi> upstream = {};
  // The nearest business service that depends on it ("" when none within the depth).
  std::string service = {};
};

class CmdbLookup {
 public:
  virtual ~CmdbLookup() = default;
  // The CI `value` names (by id, "class_name/name" or a unique name), without its neighbours;
  // nullopt when the CMDB has no such CI (or several of that name). UNAVAILABLE: cannot answer.
  virtual absl::StatusOr<std::optional<CmdbCi>> Resolve(const std::string& value) = 0;
  // The CI `label_value` names, with its upstream CIs and business service within `depth`;
  // nullopt when the CMDB has no such CI (or several of that name). UNAVAILABLE: cannot answer.
  virtual absl::StatusOr<std::optional<CmdbCi>> FindCi(const std::string& label_value,
                                                       int depth) = 0;
  // The name of the business service CI `name` names (by id, "business_service/<name>" or
  // name); nullopt when none.
  virtual absl::StatusOr<std::optional<std::string>> FindService(const std::string& name) = 0;
};

class GrpcCmdbLookup final : public CmdbLookup {
 public:
  GrpcCmdbLookup(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);
  absl::StatusOr<std::optional<CmdbCi>> Resolve(const std::string& value) override;
  absl::StatusOr<std::optional<CmdbCi>> FindCi(const std::string& label_value, int depth) override;
  absl::StatusOr<std::optional<std::string>> FindService(const std::string& name) override;

 private:
  // By id or "class/name", then by unique name (case-insensitive).
  absl::StatusOr<std::optional<config::v1::ConfigurationItem>> Lookup(const std::string& value);
  std::unique_ptr<grpc::ClientContext> Context() const;

  std::unique_ptr<config::v1::ConfigurationService::Stub> stub_ = {};
  const absl::Duration deadline_;
};

// CIs held in memory (tests): items by id, `depends_on` edges (from -> to, "from depends on to").
class StaticCmdbLookup final : public CmdbLookup {
 public:
  void AddCi(const std::string& id, const std::string& class_name, const std::string& name);
  void DependsOn(const std::string& from, const std::string& to);
  void Retire(const std::string& id);
  void SetUnavailable(bool unavailable) { unavailable_ = unavailable; }
  absl::StatusOr<std::optional<CmdbCi>> Resolve(const std::string& value) override;
  absl::StatusOr<std::optional<CmdbCi>> FindCi(const std::string& label_value, int depth) override;
  absl::StatusOr<std::optional<std::string>> FindService(const std::string& name) override;

 private:
  struct Item {
    std::string class_name;
    std::string name;
    bool retired = false;
  };
  // By id, "class_name/name" or name; "host:port" also as "host" when `host_too`.
  std::optional<std::string> IdOf(const std::string& value, bool host_too) const;
  std::map<std::string, Item> items_ = {};
  std::multimap<std::string, std::string> depends_on_ = {};
  bool unavailable_ = false;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_CMDB_LOOKUP_H_
