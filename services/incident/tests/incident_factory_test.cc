#include "services/incident/src/incident_factory.h"

#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/limits/field_limits.h"

namespace itsm::incident {
namespace {

// The limits declared in incident.proto.
constexpr size_t kMaxShortText = 200;
constexpr size_t kMaxCategory = 100;
constexpr size_t kMaxDescription = 20000;
constexpr int kMaxConfigurationItems = 100;

class IncidentFactoryTest : public ::testing::Test {
 protected:
  v1::CreateIncidentRequest Valid() {
    v1::CreateIncidentRequest r;
    r.set_title("Mail server down");
    r.set_impact(1);
    r.set_urgency(2);
    return r;
  }
  // As the service checks a request: its declared field limits, then the domain rules.
  absl::Status Validate(const v1::CreateIncidentRequest& r) {
    if (absl::Status bad = limits::CheckFieldLimits(r); !bad.ok()) return bad;
    return factory_.Validate(r);
  }

  PriorityMatrix matrix_ = PriorityMatrix::Default();
  base::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  IncidentFactory factory_{matrix_, clock_};
};

TEST_F(IncidentFactoryTest, AValidRequestPasses) { EXPECT_TRUE(Validate(Valid()).ok()); }

TEST_F(IncidentFactoryTest, EmptyOrBlankTitleIsRequired) {
  // No-break, em, ideographic and zero-width spaces show nothing either (found from outside).
  for (const char* title : {"", "   ", "\u00a0\u2003", "\u200b", "\u3000"}) {
    auto r = Valid();
    r.set_title(title);
    absl::Status s = Validate(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "title: required");
  }
}

// Every bounded text field, one past its limit, is refused with its own name.
TEST_F(IncidentFactoryTest, EveryOversizeFieldIsNamed) {
  using Setter = void (v1::CreateIncidentRequest::*)(const std::string&);
  const std::vector<std::tuple<std::string, Setter, size_t>> fields = {
      {"title", &v1::CreateIncidentRequest::set_title, kMaxShortText},
      {"description", &v1::CreateIncidentRequest::set_description, kMaxDescription},
      {"caller", &v1::CreateIncidentRequest::set_caller, kMaxShortText},
      {"service", &v1::CreateIncidentRequest::set_service, kMaxShortText},
      {"category", &v1::CreateIncidentRequest::set_category, kMaxCategory},
      {"assignment_group", &v1::CreateIncidentRequest::set_assignment_group, kMaxShortText},
      {"assignee", &v1::CreateIncidentRequest::set_assignee, kMaxShortText},
      {"idempotency_key", &v1::CreateIncidentRequest::set_idempotency_key, kMaxShortText},
  };
  for (const auto& [name, setter, max] : fields) {
    auto at_limit = Valid();
    (at_limit.*setter)(std::string(max, 'x'));
    EXPECT_TRUE(Validate(at_limit).ok()) << name;
    auto over = Valid();
    (over.*setter)(std::string(max + 1, 'x'));
    absl::Status s = Validate(over);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(s.message().substr(0, name.size() + 1), name + ":") << s;
  }
}

TEST_F(IncidentFactoryTest, LimitsCountCharactersNotBytes) {
  auto r = Valid();
  std::string title;
  for (size_t i = 0; i < kMaxShortText; ++i) title += "ç";  // 2 bytes each
  r.set_title(title);
  EXPECT_TRUE(Validate(r).ok());
}

TEST_F(IncidentFactoryTest, ImpactAndUrgencyMustBeOnTheScale) {
  for (int bad : {0, -1, 4}) {
    auto r = Valid();
    r.set_impact(bad);
    EXPECT_EQ(Validate(r).message(), "impact: must be 1..3, got " + std::to_string(bad));
    r = Valid();
    r.set_urgency(bad);
    EXPECT_EQ(Validate(r).message(), "urgency: must be 1..3, got " + std::to_string(bad));
  }
}

TEST_F(IncidentFactoryTest, ConfigurationItemsAreBounded) {
  auto r = Valid();
  r.add_configuration_item_ids("");
  EXPECT_EQ(Validate(r).message().substr(0, 25), "configuration_item_ids[0]");
  r = Valid();
  for (int i = 0; i <= kMaxConfigurationItems; ++i) r.add_configuration_item_ids("ci");
  EXPECT_EQ(Validate(r).message().substr(0, 23), "configuration_item_ids:");
}

TEST_F(IncidentFactoryTest, NewIncidentDerivesPriorityAndStamps) {
  auto r = Valid();
  r.set_title("  padded  ");
  v1::Incident incident = factory_.NewIncident(r, "alice");
  EXPECT_EQ(incident.title(), "padded");
  EXPECT_EQ(incident.priority(), v1::PRIORITY_P2);
  EXPECT_EQ(incident.state(), v1::INCIDENT_STATE_NEW);
  EXPECT_EQ(incident.caller(), "alice");
  EXPECT_EQ(incident.created_by(), "alice");
  EXPECT_EQ(incident.version(), 1);
  EXPECT_EQ(base::FromProtoTimestamp(incident.create_time()), clock_.Now());
  EXPECT_EQ(incident.id().size(), 36u);
  EXPECT_TRUE(incident.number().empty());
}

}  // namespace
}  // namespace itsm::incident
