// The change policy as data: the risk questionnaire and weights, the approval policies and the
// conflict rules. The service starts with DefaultChangePolicy() (version 0, nothing stored)
// until a change manager stores another with UpdateChangePolicy.
#ifndef ITSM_SERVICES_CHANGE_CHANGE_POLICY_H_
#define ITSM_SERVICES_CHANGE_CHANGE_POLICY_H_

#include "absl/status/status.h"
#include "itsm/change/v1/change.pb.h"

namespace itsm::change {

inline constexpr char kPolicyId[] = "policy";

// A questionnaire of four questions; the change manager alone for low and medium risk, then
// the CAB for high risk; the ECAB for emergencies; conflicts of high-risk and emergency changes
// need an override; dependencies followed 3 relationships deep.
v1::ChangePolicy DefaultChangePolicy();

// INVALID_ARGUMENT naming the first bad field ("policy.questions[2].answers[0].id: required").
absl::Status CheckChangePolicy(const v1::ChangePolicy& policy);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_CHANGE_POLICY_H_
