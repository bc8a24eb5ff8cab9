#include "itsm/base/time_util.h"

#include "itsm/base/error_detail.h"

namespace itsm::base {

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  // Floor division, so that instants before 1970 keep nanos in [0, 1e9) as the proto requires.
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rest * 1000));
  return ts;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t s = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(s);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& ts) {
  // google/protobuf/timestamp.proto: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
  constexpr int64_t kMinSeconds = -62'135'596'800;
  constexpr int64_t kMaxSeconds = 253'402'300'799;
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999'999'999) {
    return FieldError(field, "not a valid time (years 1 to 9999)");
  }
  return absl::OkStatus();
}

std::string FormatRfc3339(absl::Time t) {
  // absl::FormatTime interprets its format on every call, and a record's audit entry and events
  // format every timestamp the record holds: years 1 to 9999 are written here directly, the
  // others (and the infinite times) by absl, with the same text.
  const absl::TimeZone::CivilInfo civil = absl::UTCTimeZone().At(t);
  const absl::CivilSecond& at = civil.cs;
  if (at.year() < 1 || at.year() > 9999) {
    return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", t, absl::UTCTimeZone());
  }
  char text[] = "0000-00-00T00:00:00.000000Z";
  auto put = [&text](int position, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) text[position + i] = '0' + value % 10;
  };
  put(0, at.year(), 4);
  put(5, at.month(), 2);
  put(8, at.day(), 2);
  put(11, at.hour(), 2);
  put(14, at.minute(), 2);
  put(17, at.second(), 2);
  put(20, absl::ToInt64Microseconds(civil.subsecond), 6);
  return std::string(text, sizeof(text) - 1);
}

}  // namespace itsm::base
