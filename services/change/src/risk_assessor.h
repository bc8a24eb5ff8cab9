// The risk of a change, computed from data only: the answers to the change policy's
// questionnaire (each answer has a weight), the business services the change reaches through
// the CMDB (how many, and how critical the most critical is) and the failure rate of recent
// changes on the same CIs. The level follows the policy's thresholds; every factor's
// contribution is kept, so the record explains its risk. No I/O: the application gathers the
// facts and stores the result.
//
//   RiskInputs in{.answers = change.risk_answers(), .business_services = reached,
//                 .recent_changes = 12, .recent_failures = 3};
//   ITSM_ASSIGN_OR_RETURN(v1::RiskAssessment risk, AssessRisk(policy, in, now));
#ifndef ITSM_SERVICES_CHANGE_RISK_ASSESSOR_H_
#define ITSM_SERVICES_CHANGE_RISK_ASSESSOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "itsm/change/v1/change.pb.h"

namespace itsm::change {

// A business service reached by impact analysis from the change's CIs (or named directly).
struct ReachedService {
  std::string id = {};
  std::string name = {};
  // config.v1.BusinessCriticality: 0 unspecified, 1 LOW .. 4 CRITICAL.
  int criticality = 0;
};

struct RiskInputs {
  google::protobuf::RepeatedPtrField<v1::RiskAnswer> answers = {};
  std::vector<ReachedService> business_services = {};
  // Changes on the same CIs that ended within the policy's lookback, and how many of them failed
  // or were backed out.
  int recent_changes = 0;
  int recent_failures = 0;
};

// INVALID_ARGUMENT "<field>[i].question_id: ..." for an answer to an unknown question, an
// unknown answer, or a question answered twice.
absl::Status CheckAnswers(const v1::ChangePolicy& policy,
                          const google::protobuf::RepeatedPtrField<v1::RiskAnswer>& answers,
                          const char* field);

// The assessment; answers must have passed CheckAnswers.
v1::RiskAssessment AssessRisk(const v1::ChangePolicy& policy, const RiskInputs& inputs,
                              absl::Time now);

// A standard change's risk: its template's, fixed.
v1::RiskAssessment TemplateRisk(const v1::ChangeTemplate& tmpl, int64_t policy_version,
                                absl::Time now);

// The level a score reaches under the policy's thresholds.
v1::RiskLevel LevelOf(const v1::RiskWeights& weights, double score);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_RISK_ASSESSOR_H_
