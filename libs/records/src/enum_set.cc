#include "itsm/records/enum_set.h"

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"

namespace itsm::records::internal {

absl::Status AddToEnumMask(absl::string_view field, const google::protobuf::EnumDescriptor& type,
                           int index, int value, EnumZero zero, int64_t& mask) {
  // Bit 63 would make the mask negative, and the statements test `$1 = 0` and shift it.
  const bool fits = value >= 0 && value < 63;
  const bool declared = type.FindValueByNumber(value) != nullptr;
  if (!fits || !declared || (value == 0 && zero == EnumZero::kRefused)) {
    return base::FieldError(absl::StrCat(field, "[", index, "]"),
                            absl::StrCat("unknown value ", value, " (", type.full_name(), ")"));
  }
  mask |= int64_t{1} << value;
  return absl::OkStatus();
}

}  // namespace itsm::records::internal
