#include "services/gateway/src/error_answer.h"

#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "itsm/base/error_detail.h"

namespace itsm::gateway {
namespace {

TEST(ErrorAnswer, MapsEveryCodeToItsHttpStatus) {
  using C = absl::StatusCode;
  const std::vector<std::pair<C, int>> expected = {{C::kOk, 200},
                                                   {C::kCancelled, 499},
                                                   {C::kUnknown, 500},
                                                   {C::kInvalidArgument, 400},
                                                   {C::kDeadlineExceeded, 504},
                                                   {C::kNotFound, 404},
                                                   {C::kAlreadyExists, 409},
                                                   {C::kPermissionDenied, 403},
                                                   {C::kResourceExhausted, 429},
                                                   {C::kFailedPrecondition, 400},
                                                   {C::kAborted, 409},
                                                   {C::kOutOfRange, 400},
                                                   {C::kUnimplemented, 501},
                                                   {C::kInternal, 500},
                                                   {C::kUnavailable, 503},
                                                   {C::kDataLoss, 500},
                                                   {C::kUnauthenticated, 401}};
  for (const auto& [code, http] : expected) {
    EXPECT_EQ(HttpStatusForCode(code), http) << absl::StatusCodeToString(code);
  }
}

google::rpc::Status Parse(const std::string& json) {
  google::rpc::Status status;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &status).ok()) << json;
  return status;
}

TEST(ErrorAnswer, GatewayFieldErrorsCarryAFieldViolationAndTheRequestId) {
  ErrorAnswer e = GatewayError(base::FieldError("page.page_size", "\"x\" is not a number"), "r-1");
  EXPECT_EQ(e.http_status, 400);
  google::rpc::Status status = Parse(e.json);
  EXPECT_EQ(status.code(), 3);
  ASSERT_EQ(status.details_size(), 2) << e.json;
  google::rpc::BadRequest bad;
  ASSERT_TRUE(status.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "page.page_size");
  EXPECT_EQ(bad.field_violations(0).description(), "\"x\" is not a number");
  google::rpc::RequestInfo info;
  ASSERT_TRUE(status.details(1).UnpackTo(&info));
  EXPECT_EQ(info.request_id(), "r-1");
  EXPECT_EQ(GatewayError(WithHttpStatus(absl::InvalidArgumentError("x"), 415), "r").http_status,
            415);
}

// The gateway's own stores fail as the services' do: the database's words stay in the log.
TEST(ErrorAnswer, APrivateErrorOfTheGatewaysOwnIsToldGenerically) {
  ErrorAnswer e = GatewayError(
      base::PrivateError(absl::StatusCode::kUnavailable, "begin: no connection to the server\n"),
      "r-9");
  EXPECT_EQ(e.http_status, 503);
  google::rpc::Status status = Parse(e.json);
  EXPECT_EQ(status.code(), 14);
  EXPECT_EQ(status.message(),
            "the service cannot reach what it depends on; retry later (request id r-9)");
  EXPECT_EQ(e.json.find("begin"), std::string::npos) << e.json;
  EXPECT_EQ(GatewayError(WithHttpStatus(absl::InternalError("undecodable"), 502), "r").http_status,
            502);
}

TEST(ErrorAnswer, UpstreamDetailsAreCarriedThroughAndIfMatchConflictsAre412) {
  google::rpc::Status rich;
  rich.set_code(3);
  rich.set_message("title: required");
  google::rpc::BadRequest bad;
  bad.add_field_violations()->set_field("title");
  rich.add_details()->PackFrom(bad);
  ErrorAnswer e = UpstreamError(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "title: required", rich.SerializeAsString()),
      "r-2", false);
  EXPECT_EQ(e.http_status, 400);
  google::rpc::Status status = Parse(e.json);
  ASSERT_EQ(status.details_size(), 2);
  ASSERT_TRUE(status.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "title");

  const grpc::Status stale(grpc::StatusCode::ABORTED, "stale version");
  EXPECT_EQ(UpstreamError(stale, "r", /*version_from_if_match=*/false).http_status, 409);
  // An answer the gateway's channel would not take is no rate limit: the call was made.
  ErrorAnswer too_large =
      UpstreamError(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "Received message larger than max (6076372 vs. 4194304)"),
                    "r", false);
  EXPECT_EQ(too_large.http_status, 502);
  EXPECT_NE(too_large.json.find("a write may have been made"), std::string::npos) << too_large.json;
  EXPECT_EQ(UpstreamError(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy"), "r", false)
                .http_status,
            429);
  EXPECT_EQ(UpstreamError(stale, "r", /*version_from_if_match=*/true).http_status, 412);
  EXPECT_EQ(UpstreamError(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "state"), "r", true)
                .http_status,
            400);
}

}  // namespace
}  // namespace itsm::gateway
