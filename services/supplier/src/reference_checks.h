// What the supplier service checks with other services before it stores a reference to their
// records: that configuration items exist (configuration service; stored as the CMDB's ids, as
// incidents and changes store them) and that underpinning-contract definitions are
// UNDERPINNING_CONTRACT definitions of the contract's supplier (SLA service).
// Called on the executor before the write's unit of work, never inside its transaction.
//
//   GrpcReferenceChecks refs(rt.ChannelTo(config_address), rt.ChannelTo(sla_address), {});
//   ITSM_RETURN_IF_ERROR(refs.ResolveConfigurationItems("contract.configuration_item_ids", ids,
//   {}));
#ifndef ITSM_SERVICES_SUPPLIER_REFERENCE_CHECKS_H_
#define ITSM_SERVICES_SUPPLIER_REFERENCE_CHECKS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "grpcpp/grpcpp.h"
#include "itsm/config/v1/config.grpc.pb.h"
#include "itsm/sla/v1/sla.grpc.pb.h"

namespace itsm::supplier {

using Ids = google::protobuf::RepeatedPtrField<std::string>;

class ReferenceChecks {
 public:
  virtual ~ReferenceChecks() = default;
  // INVALID_ARGUMENT "<field>[i]: ..." for an id the other service does not know or refuses,
  // or for a retired CI not among `kept` (the CIs the record already names, which it may keep
  // as incidents and changes keep theirs); UNAVAILABLE when it cannot answer now (retry). Each
  // CI given by id or "class_name/name" becomes the CMDB's id.
  virtual absl::Status ResolveConfigurationItems(const std::string& field, Ids& ids,
                                                 const Ids& kept) = 0;
  virtual absl::Status CheckUcDefinitions(const std::string& field, const Ids& ids,
                                          const std::string& supplier_id) = 0;
};

// Over gRPC; a null channel skips that check (the service was configured without the other
// service's address: a local run without it).
class GrpcReferenceChecks final : public ReferenceChecks {
 public:
  struct Options {
    absl::Duration deadline = absl::Seconds(5);
  };
  GrpcReferenceChecks(std::shared_ptr<grpc::Channel> configuration,
                      std::shared_ptr<grpc::Channel> sla, Options options);

  absl::Status ResolveConfigurationItems(const std::string& field, Ids& ids,
                                         const Ids& kept) override;
  absl::Status CheckUcDefinitions(const std::string& field, const Ids& ids,
                                  const std::string& supplier_id) override;

 private:
  std::unique_ptr<config::v1::ConfigurationService::Stub> configuration_;
  std::unique_ptr<sla::v1::SlaService::Stub> sla_;
  const Options options_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_REFERENCE_CHECKS_H_
