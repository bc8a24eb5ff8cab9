// Conversions between absl::Time / absl::Duration in code and google.protobuf.Timestamp /
// Duration on the wire. Storage keeps
// int64 microseconds since the Unix epoch: absl::ToUnixMicros / absl::FromUnixMicros.
#ifndef ITSM_BASE_TIME_UTIL_H_
#define ITSM_BASE_TIME_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace itsm::base {

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& ts);
google::protobuf::Duration ToProtoDuration(absl::Duration d);
absl::Duration FromProtoDuration(const google::protobuf::Duration& d);
// INVALID_ARGUMENT naming `field` for a Timestamp outside the protobuf range (0001-01-01 to
// 9999-12-31, nanos in [0, 1e9)): such a value cannot be written as JSON or RFC 3339.
absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& ts);
// RFC 3339 in UTC with microseconds, e.g. 2026-11-21T23:54:34.123456Z (the CloudEvents ce_time).
std::string FormatRfc3339(absl::Time t);

}  // namespace itsm::base

#endif  // ITSM_BASE_TIME_UTIL_H_
