// The one translation from absl::Status to the wire: what a client may and may not see.
#include "itsm/runtime/call_context.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "itsm/base/error_detail.h"

namespace itsm::runtime {
namespace {

google::rpc::Status Details(const grpc::Status& s) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(s.error_details()));
  return details;
}

TEST(ToGrpcStatus, DomainErrorsKeepTheirCodeAndMessage) {
  for (const absl::Status& domain :
       {absl::AbortedError("version: incident is at version 3, the update read 2"),
        absl::FailedPreconditionError("target_state: a closed incident cannot be reopened"),
        absl::AlreadyExistsError("idempotency_key: already used for a different request"),
        absl::NotFoundError("id: no incident \"INC9\"")}) {
    grpc::Status s = ToGrpcStatus(domain, "rid-1");
    EXPECT_EQ(static_cast<int>(s.error_code()), static_cast<int>(domain.code()));
    EXPECT_EQ(s.error_message(), domain.message());
  }
}

TEST(ToGrpcStatus, FieldErrorsCarryABadRequestFieldViolation) {
  for (const absl::Status& invalid :
       {base::FieldError("incident.title", "required"),
        absl::InvalidArgumentError("calendar.weekly_hours[2].start: after end")}) {
    grpc::Status s = ToGrpcStatus(invalid, "rid-2");
    ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    google::rpc::Status details = Details(s);
    EXPECT_EQ(details.code(), 3);
    EXPECT_EQ(details.message(), invalid.message());
    ASSERT_EQ(details.details_size(), 1);
    google::rpc::BadRequest bad_request;
    ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
    ASSERT_EQ(bad_request.field_violations_size(), 1);
    const std::string message(invalid.message());
    const auto& violation = bad_request.field_violations(0);
    EXPECT_EQ(absl::StrCat(violation.field(), ": ", violation.description()), message);
  }
  // A message that does not start with a field path names no field.
  grpc::Status plain = ToGrpcStatus(absl::InvalidArgumentError("Bad input here"), "rid-3");
  EXPECT_EQ(Details(plain).details_size(), 0);
}

TEST(ToGrpcStatus, PrivateAndInternalErrorsNeverShowTheirTextOnlyTheRequestId) {
  const std::string sql = "`INSERT INTO incidents(id) VALUES ($1)`: UNIQUE constraint failed";
  struct Case {
    absl::Status in;
    grpc::StatusCode out;
  };
  for (const Case& c : {
           Case{base::PrivateError(absl::StatusCode::kUnavailable, sql), grpc::UNAVAILABLE},
           Case{base::PrivateError(absl::StatusCode::kAborted, sql), grpc::ABORTED},
           // A unique violation no repository translated is a bug, not a duplicate.
           Case{base::PrivateError(absl::StatusCode::kAlreadyExists, sql), grpc::INTERNAL},
           Case{base::PrivateError(absl::StatusCode::kInvalidArgument, sql), grpc::INTERNAL},
           Case{absl::InternalError(sql), grpc::INTERNAL},
           Case{absl::UnknownError(sql), grpc::INTERNAL},
       }) {
    grpc::Status s = ToGrpcStatus(c.in, "rid-4");
    EXPECT_EQ(s.error_code(), c.out) << c.in;
    EXPECT_EQ(s.error_message().find("INSERT"), std::string::npos) << s.error_message();
    EXPECT_EQ(s.error_message().find("constraint"), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find("request id rid-4"), std::string::npos) << s.error_message();
    EXPECT_TRUE(s.error_details().empty());
  }
}

}  // namespace
}  // namespace itsm::runtime
