#include "services/incident/src/record_number.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace itsm::incident {
namespace {

// The seq a number names: the prefix, then digits only. Anything else (an id, a typo, a number
// past int64) is looked up as an id, which finds nothing unless it is one.
std::optional<int64_t> SeqOf(const NumberedTable& kind, absl::string_view text) {
  if (!absl::StartsWith(text, kind.prefix)) return std::nullopt;
  absl::string_view digits = text.substr(absl::string_view(kind.prefix).size());
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int64_t seq = 0;
  if (!absl::SimpleAtoi(digits, &seq)) return std::nullopt;
  return seq;
}

}  // namespace

std::string RecordNumber(const NumberedTable& kind, int64_t seq) {
  return absl::StrFormat("%s%07d", kind.prefix, seq);
}

absl::StatusOr<storage::ResultSet> SelectRecordData(storage::Transaction& txn,
                                                    const NumberedTable& kind,
                                                    const std::string& id_or_number,
                                                    absl::string_view columns) {
  // The number is compared too: "INC01" names seq 1, whose number is "INC0000001".
  if (std::optional<int64_t> seq = SeqOf(kind, id_or_number)) {
    return txn.Query(
        absl::StrCat("SELECT ", columns, " FROM ", kind.table, " WHERE seq = $1 AND number = $2"),
        {*seq, id_or_number});
  }
  return txn.Query(absl::StrCat("SELECT ", columns, " FROM ", kind.table, " WHERE id = $1"),
                   {id_or_number});
}

}  // namespace itsm::incident
