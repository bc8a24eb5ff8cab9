// Priority from impact and urgency, through a matrix an organisation may configure.
// The default is the ITIL 3x3 table:
//                urgency 1  2  3
//   impact 1          P1 P2 P3
//   impact 2          P2 P3 P4
//   impact 3          P3 P4 P5
#ifndef ITSM_SERVICES_INCIDENT_PRIORITY_MATRIX_H_
#define ITSM_SERVICES_INCIDENT_PRIORITY_MATRIX_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::incident {

class PriorityMatrix {
 public:
  static PriorityMatrix Default();
  // "1,2,3;2,3,4;3,4,5": one row per impact level, one entry per urgency level, each 1..5.
  // Rows must all have the same length. INVALID_ARGUMENT says what is wrong where.
  static absl::StatusOr<PriorityMatrix> Parse(const std::string& text);

  int impact_levels() const { return static_cast<int>(rows_.size()); }
  int urgency_levels() const { return rows_.empty() ? 0 : static_cast<int>(rows_[0].size()); }
  // Impact and urgency are 1-based and must be within the levels (validated by the caller).
  v1::Priority PriorityFor(int impact, int urgency) const;

 private:
  explicit PriorityMatrix(std::vector<std::vector<int>> rows) : rows_(std::move(rows)) {}
  std::vector<std::vector<int>> rows_;
};

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_PRIORITY_MATRIX_H_
