// The set of enum values a list's filter asks for ("states", "priorities"), as the bit mask the
// lists' statements take, so that a statement's text never changes with the values asked for
// (0: any value). One reading of such a filter for every list:
//
//   ITSM_ASSIGN_OR_RETURN(const int64_t state_mask,
//                         EnumSetMask("states", *v1::IncidentState_descriptor(),
//                         request.states()));
//   ... WHERE ($1 = 0 OR (($1 >> state) & 1) = 1) ...
#ifndef ITSM_RECORDS_ENUM_SET_H_
#define ITSM_RECORDS_ENUM_SET_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "itsm/base/status_macros.h"

namespace itsm::records {

// Whether the enum's zero (its ..._UNSPECIFIED) may be asked for: only where a record can hold
// it and a caller may want exactly those records (configuration items nobody rated yet).
enum class EnumZero { kRefused, kAllowed };

namespace internal {
// Adds `value`, entry `index` of `field`, to `mask`. INVALID_ARGUMENT naming the entry
// ("states[2]") for a number `type` does not declare, its zero unless allowed, or a number a
// 64-bit mask cannot hold.
absl::Status AddToEnumMask(absl::string_view field, const google::protobuf::EnumDescriptor& type,
                           int index, int value, EnumZero zero, int64_t& mask);
}  // namespace internal

// `values`: any range of the enum's values or their numbers (a repeated enum field, a vector).
template <typename Values>
absl::StatusOr<int64_t> EnumSetMask(absl::string_view field,
                                    const google::protobuf::EnumDescriptor& type,
                                    const Values& values, EnumZero zero = EnumZero::kRefused) {
  int64_t mask = 0;
  int index = 0;
  for (const auto value : values) {
    ITSM_RETURN_IF_ERROR(
        internal::AddToEnumMask(field, type, index++, static_cast<int>(value), zero, mask));
  }
  return mask;
}

}  // namespace itsm::records

#endif  // ITSM_RECORDS_ENUM_SET_H_
