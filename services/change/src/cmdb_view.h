// What the change service reads from the configuration service (the CMDB): whether a CI exists
// (and its class and criticality), and what it reaches through relationships — downstream (who
// depends on it) and upstream (what it depends on) — with the path, by AnalyzeImpact. The calls
// carry the service's own identity (runtime::ServiceRuntime::ChannelTo) and a deadline; they
// are made before a write's transaction, never inside it (servicedb::CommitCallAfter).
#ifndef ITSM_SERVICES_CHANGE_CMDB_VIEW_H_
#define ITSM_SERVICES_CHANGE_CMDB_VIEW_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "itsm/config/v1/config.grpc.pb.h"

namespace itsm::change {

struct CiInfo {
  std::string id = {};
  std::string class_name = {};
  std::string name = {};
  int criticality = 0;  // config.v1.BusinessCriticality
  bool retired = false;
  // Its class and that class's ancestors, nearest first ("server", "hardware"): a window or
  // rule naming a class covers its subclasses, as the CMDB's own class filters do. Filled by
  // Describe; Reach leaves it empty.
  std::vector<std::string> lineage = {};
};

struct ReachedCi {
  CiInfo ci = {};
  // CI ids from the origin to this CI, both included.
  std::vector<std::string> path = {};
};

class CmdbView {
 public:
  virtual ~CmdbView() = default;
  // The CI `id` names: its id, "class_name/name", or a name one CI alone bears (as incidents
  // name CIs: configitems::LookUpItem). NOT_FOUND when there is no such CI (or several bear the
  // name); UNAVAILABLE when the CMDB cannot answer now. With the CI's class lineage.
  virtual absl::StatusOr<CiInfo> Describe(const std::string& id) = 0;
  // CIs reached from `id` within `depth` relationships, downstream or upstream, only of
  // `class_names` (and subclasses) when given.
  virtual absl::StatusOr<std::vector<ReachedCi>> Reach(
      const std::string& id, bool downstream, int depth,
      const std::vector<std::string>& class_names) = 0;
  // OK when the CMDB defines the CI class; NOT_FOUND when it does not; UNAVAILABLE when it
  // cannot answer now.
  virtual absl::Status CheckClass(const std::string& class_name) = 0;
};

class GrpcCmdbView final : public CmdbView {
 public:
  GrpcCmdbView(std::shared_ptr<grpc::Channel> channel, absl::Duration deadline);
  absl::StatusOr<CiInfo> Describe(const std::string& id) override;
  absl::StatusOr<std::vector<ReachedCi>> Reach(
      const std::string& id, bool downstream, int depth,
      const std::vector<std::string>& class_names) override;
  absl::Status CheckClass(const std::string& class_name) override;

 private:
  // The class and its ancestors. A class's parent never changes once it is defined, so each
  // class is asked for once per process.
  absl::StatusOr<std::vector<std::string>> LineageOf(const std::string& class_name);
  // "" for a root class; asked of the CMDB once per class. NOT_FOUND for a class it does not
  // define.
  absl::StatusOr<std::string> ParentOf(const std::string& class_name);
  void SetDeadline(grpc::ClientContext& ctx) const;

  std::unique_ptr<config::v1::ConfigurationService::Stub> stub_ = {};
  const absl::Duration deadline_;
  absl::Mutex parents_mu_;
  absl::flat_hash_map<std::string, std::string> parents_ ABSL_GUARDED_BY(parents_mu_);
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CMDB_VIEW_H_
