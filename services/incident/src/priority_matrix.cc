#include "services/incident/src/priority_matrix.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace itsm::incident {

PriorityMatrix PriorityMatrix::Default() {
  return PriorityMatrix({{1, 2, 3}, {2, 3, 4}, {3, 4, 5}});
}

absl::StatusOr<PriorityMatrix> PriorityMatrix::Parse(const std::string& text) {
  std::vector<std::vector<int>> rows;
  for (absl::string_view row : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    std::vector<int> entries;
    for (absl::string_view cell : absl::StrSplit(row, ',')) {
      int p = 0;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(cell), &p) || p < 1 || p > 5) {
        return absl::InvalidArgumentError(absl::StrCat("priority_matrix: impact row ",
                                                       rows.size() + 1, ": \"", cell,
                                                       "\" is not a priority 1..5"));
      }
      entries.push_back(p);
    }
    if (!rows.empty() && entries.size() != rows[0].size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("priority_matrix: impact row ", rows.size() + 1, " has ", entries.size(),
                       " urgency levels, row 1 has ", rows[0].size()));
    }
    rows.push_back(std::move(entries));
  }
  if (rows.empty()) return absl::InvalidArgumentError("priority_matrix: empty");
  return PriorityMatrix(std::move(rows));
}

v1::Priority PriorityMatrix::PriorityFor(int impact, int urgency) const {
  return static_cast<v1::Priority>(rows_[impact - 1][urgency - 1]);
}

}  // namespace itsm::incident
