#include "services/gateway/src/field_path.h"

#include "gtest/gtest.h"
#include "itsm/base/error_detail.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/sla/v1/sla.pb.h"

namespace itsm::gateway {
namespace {

TEST(FieldPath, SetsScalarsNestedFieldsAndRepeatedEnumsByName) {
  incident::v1::ListIncidentsRequest request;
  ASSERT_TRUE(SetFieldFromText(request, "page.page_size", "20").ok());
  ASSERT_TRUE(SetFieldFromText(request, "page.pageToken", "abc").ok());  // JSON name
  ASSERT_TRUE(SetFieldFromText(request, "states", "INCIDENT_STATE_NEW").ok());
  ASSERT_TRUE(SetFieldFromText(request, "states", "3").ok());  // by number
  ASSERT_TRUE(SetFieldFromText(request, "title_contains", "mail server").ok());
  ASSERT_TRUE(SetFieldFromText(request, "created_after", "2024-05-01T00:00:00Z").ok());
  EXPECT_EQ(request.page().page_size(), 20);
  EXPECT_EQ(request.page().page_token(), "abc");
  ASSERT_EQ(request.states_size(), 2);
  EXPECT_EQ(request.states(0), incident::v1::INCIDENT_STATE_NEW);
  EXPECT_EQ(request.states(1), incident::v1::INCIDENT_STATE_IN_PROGRESS);
  EXPECT_EQ(request.title_contains(), "mail server");
  EXPECT_EQ(request.created_after().seconds(), 1714521600);
}

TEST(FieldPath, SetsBoolsDurationsAndInt64s) {
  sla::v1::GetDueTimeRequest due;
  ASSERT_TRUE(SetFieldFromText(due, "target", "3600s").ok());
  EXPECT_EQ(due.target().seconds(), 3600);
  incident::v1::TransitionIncidentRequest transition;
  ASSERT_TRUE(SetFieldFromText(transition, "version", "9007199254740993").ok());
  EXPECT_EQ(transition.version(), 9007199254740993);
  incident::v1::ListProblemsRequest problems;
  ASSERT_TRUE(SetFieldFromText(problems, "known_errors_only", "true").ok());
  EXPECT_TRUE(problems.known_errors_only());
}

// Every refusal is a field error naming the field, so the client knows what to fix.
void ExpectFieldError(const absl::Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(base::ErrorField(status).value_or("<none>"), field) << status;
}

TEST(FieldPath, RefusesTextThatDoesNotFitTheFieldNamingIt) {
  incident::v1::ListIncidentsRequest request;
  ExpectFieldError(SetFieldFromText(request, "page.page_size", "many"), "page.page_size");
  ExpectFieldError(SetFieldFromText(request, "page.page_size", "99999999999"), "page.page_size");
  ExpectFieldError(SetFieldFromText(request, "states", "INCIDENT_STATE_BOGUS"), "states");
  ExpectFieldError(SetFieldFromText(request, "created_after", "yesterday"), "created_after");
  ExpectFieldError(SetFieldFromText(request, "title_contains", "\xff\xfe"), "title_contains");
  ExpectFieldError(SetFieldFromText(request, "nonsense", "1"), "nonsense");
  ExpectFieldError(SetFieldFromText(request, "page.nonsense", "1"), "page.nonsense");
  ExpectFieldError(SetFieldFromText(request, "page", "1"), "page");
  ExpectFieldError(SetFieldFromText(request, "title_contains.x", "1"), "title_contains");
  incident::v1::ListProblemsRequest problems;
  ExpectFieldError(SetFieldFromText(problems, "known_errors_only", "yes please"),
                   "known_errors_only");
}

TEST(FieldPath, ResolvesJsonAndProtoNamesToTheProtoPath) {
  auto field = ResolveFieldPath(*incident::v1::ListIncidentsRequest::descriptor(), "page.pageSize");
  ASSERT_TRUE(field.ok());
  EXPECT_EQ(field->proto_path, "page.page_size");
  EXPECT_EQ(field->parents.size(), 1u);
}

}  // namespace
}  // namespace itsm::gateway
