// The part of "which SLA definitions apply to a record" (docs/sla.md section 2) that depends on
// the record's coverage fields: its service, category, CI class and request type. Priority
// (a target for it), agreement kind, effective dates and retirement are judged apart: the SLA
// timer re-judges attached definitions with this when one of these fields changes, and leaves a
// missing priority target to ClockPolicy::Decide (priority_not_covered).
//
//   if (!Covers(pinned_definition, {.service = "vpn", .category = "network"})) { /* detach */ }
#ifndef ITSM_SLAMODEL_COVERAGE_H_
#define ITSM_SLAMODEL_COVERAGE_H_

#include <string>

#include "itsm/sla/v1/sla.pb.h"

namespace itsm::slamodel {

struct CoverageFields {
  std::string service = {};
  std::string category = {};
  // The class of the record's configuration item; "" when it has none (or it is unknown).
  std::string ci_class = {};
  // A service request's catalogue item; "" for an incident.
  std::string request_type = {};
  // RECORD_KIND_CHANGE for a change: only definitions of that record kind cover it, and only
  // changes are covered by them.
  sla::v1::RecordKind record_kind = sla::v1::RECORD_KIND_UNSPECIFIED;
  bool operator==(const CoverageFields&) const = default;
};

// The record kinds match, the service is listed, and every coverage list that is not empty
// lists the record's value.
bool Covers(const sla::v1::SlaDefinition& definition, const CoverageFields& record);

}  // namespace itsm::slamodel

#endif  // ITSM_SLAMODEL_COVERAGE_H_
