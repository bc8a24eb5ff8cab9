#include "itsm/records/field_mask.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/field_mask_util.h"

namespace itsm::records {

absl::Status CheckUpdateMask(const google::protobuf::FieldMask& mask,
                             const UpdatableFields& fields) {
  if (mask.paths().empty()) {
    return absl::InvalidArgumentError("update_mask: required (the fields to change)");
  }
  std::set<std::string> seen;
  for (const std::string& path : mask.paths()) {
    if (auto it = fields.elsewhere.find(path); it != fields.elsewhere.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: \"", path, "\" changes through ", it->second));
    }
    if (!fields.paths.contains(path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: unknown or read-only field \"", path, "\""));
    }
    if (!seen.insert(path).second) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" named twice"));
    }
  }
  return absl::OkStatus();
}

void ApplyUpdateMask(const google::protobuf::FieldMask& mask, const google::protobuf::Message& from,
                     google::protobuf::Message& to) {
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, options, &to);
}

bool MaskNames(const google::protobuf::FieldMask& mask, std::string_view path) {
  for (const std::string& named : mask.paths()) {
    if (named == path) return true;
  }
  return false;
}

}  // namespace itsm::records
