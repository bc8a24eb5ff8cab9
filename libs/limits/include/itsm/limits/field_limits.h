// The one validator of field limits: every request a service receives is checked against the
// limits declared in its .proto (itsm/common/v1/limits.proto) before any rule runs.
//
//   ITSM_RETURN_IF_ERROR(limits::CheckFieldLimits(*request));
//
// It refuses, with INVALID_ARGUMENT naming the field path ("incident.configuration_item_ids[3]"):
// strings longer than their limit (in characters), lists and maps with more entries than theirs,
// control characters (C0 other than newline, carriage return and tab in multi-line fields; DEL;
// C1), and Timestamps and Durations outside the protobuf range. Fields without a declaration get
// the defaults, so nothing is unbounded.
#ifndef ITSM_LIMITS_FIELD_LIMITS_H_
#define ITSM_LIMITS_FIELD_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace itsm::limits {

inline constexpr size_t kDefaultMaxLength = 200;
inline constexpr size_t kDefaultMaxItems = 100;

absl::Status CheckFieldLimits(const google::protobuf::Message& message);

// The largest encoding a message of this type can have when every field is within its limits
// (strings counted at 4 bytes a character). Bounds a record's event size before any is written.
size_t MaxEncodedSize(const google::protobuf::Descriptor* descriptor);

}  // namespace itsm::limits

#endif  // ITSM_LIMITS_FIELD_LIMITS_H_
