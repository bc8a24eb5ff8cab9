#include "itsm/records/record_ids.h"

#include "absl/strings/str_cat.h"

namespace itsm::records {

absl::Status CheckId(const std::string& id, const char* field) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  return absl::OkStatus();
}

absl::Status CheckIds(const char* field,
                      const google::protobuf::RepeatedPtrField<std::string>& ids) {
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: empty"));
  }
  return absl::OkStatus();
}

}  // namespace itsm::records
