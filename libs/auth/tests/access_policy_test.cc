#include "itsm/auth/access_policy.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/access_test.pb.h"

namespace itsm::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kForAgents[] = "/itsm.authtest.v1.AccessTestService/ForAgents";
constexpr char kOwn[] = "/itsm.authtest.v1.AccessTestService/ForRequestersOwnRecords";
constexpr char kAdminOnly[] = "/itsm.authtest.v1.AccessTestService/AdminOnly";
constexpr char kAnonymous[] = "/itsm.authtest.v1.AccessTestService/Anonymous";
constexpr char kUndeclared[] = "/itsm.authtest.v1.AccessTestService/Undeclared";

AccessPolicy Policy() {
  return AccessPolicy::ForServices(
      {authtest::v1::Request::descriptor()->file()->FindServiceByName("AccessTestService")});
}

Identity Caller(RoleSet roles) { return Identity{.subject = "alice@example.com", .roles = roles}; }

TEST(AccessPolicy, AllowsTheDeclaredRolesAndAdmin) {
  AccessPolicy policy = Policy();
  Identity agent = Caller({common::v1::ROLE_AGENT});
  Identity problem = Caller({common::v1::ROLE_VIEWER, common::v1::ROLE_PROBLEM_MANAGER});
  Identity admin = Caller({common::v1::ROLE_ADMIN});
  EXPECT_TRUE(policy.Authorise(kForAgents, &agent).ok());
  EXPECT_TRUE(policy.Authorise(kForAgents, &problem).ok());
  EXPECT_TRUE(policy.Authorise(kForAgents, &admin).ok());
  EXPECT_TRUE(policy.Authorise(kAdminOnly, &admin).ok());
}

TEST(AccessPolicy, RefusesOtherRolesNamingMethodSubjectAndAllowedRoles) {
  AccessPolicy policy = Policy();
  Identity viewer = Caller({common::v1::ROLE_VIEWER});
  absl::StatusOr<Decision> d = policy.Authorise(kForAgents, &viewer);
  ASSERT_EQ(d.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(d.status().message(), HasSubstr("ForAgents"));
  EXPECT_THAT(d.status().message(), HasSubstr("alice@example.com (roles: viewer)"));
  EXPECT_THAT(d.status().message(), HasSubstr("allowed: admin,agent,problem_manager"));
  Identity agent = Caller({common::v1::ROLE_AGENT});
  EXPECT_EQ(policy.Authorise(kAdminOnly, &agent).status().code(),
            absl::StatusCode::kPermissionDenied);
  Identity nobody = Caller({});
  EXPECT_THAT(policy.Authorise(kForAgents, &nobody).status().message(), HasSubstr("(roles: none)"));
}

TEST(AccessPolicy, ServiceIdentitiesGetOnlyWhatIsDeclaredForThem) {
  AccessPolicy policy = Policy();
  Identity service = Caller({common::v1::ROLE_SERVICE});
  EXPECT_EQ(policy.Authorise(kForAgents, &service).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AccessPolicy, OwnRecordsRolesAreAllowedButFlagged) {
  AccessPolicy policy = Policy();
  Identity requester = Caller({common::v1::ROLE_REQUESTER});
  absl::StatusOr<Decision> d = policy.Authorise(kOwn, &requester);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->own_records_only);
  Identity both = Caller({common::v1::ROLE_REQUESTER, common::v1::ROLE_AGENT});
  d = policy.Authorise(kOwn, &both);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->own_records_only) << "the wider role wins";
}

TEST(AccessPolicy, NoIdentityIsUnauthenticatedUnlessTheMethodIsAnonymous) {
  AccessPolicy policy = Policy();
  EXPECT_EQ(policy.Authorise(kForAgents, nullptr).status().code(),
            absl::StatusCode::kUnauthenticated);
  absl::StatusOr<Decision> d = policy.Authorise(kAnonymous, nullptr);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->anonymous);
  EXPECT_TRUE(policy.IsAnonymous(kAnonymous));
  EXPECT_FALSE(policy.IsAnonymous(kForAgents));
}

TEST(AccessPolicy, UndeclaredAndUnknownMethodsAreRefusedToEveryone) {
  AccessPolicy policy = Policy();
  Identity admin = Caller({common::v1::ROLE_ADMIN});
  absl::StatusOr<Decision> d = policy.Authorise(kUndeclared, &admin);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(d.status().message(), HasSubstr("no access is declared"));
  EXPECT_EQ(policy.Authorise("/itsm.authtest.v1.AccessTestService/Nope", &admin).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_THAT(policy.Undeclared(), ElementsAre(kUndeclared));
}

TEST(RoleNames, RoundTripEveryRole) {
  const auto* descriptor = common::v1::Role_descriptor();
  for (int i = 0; i < descriptor->value_count(); ++i) {
    auto role = static_cast<Role>(descriptor->value(i)->number());
    if (role == common::v1::ROLE_UNSPECIFIED) continue;
    EXPECT_EQ(RoleFromName(RoleName(role)), role) << RoleName(role);
  }
  EXPECT_EQ(RoleName(common::v1::ROLE_SLA_MANAGER), "sla_manager");
  EXPECT_EQ(RoleFromName("unspecified"), std::nullopt);
  EXPECT_EQ(RoleFromName("root"), std::nullopt);
  // Exactly as spelt: a provider's unmapped "Admin" is not the suite's admin.
  EXPECT_EQ(RoleFromName("ADMIN"), std::nullopt);
  EXPECT_EQ(RoleFromName("Agent"), std::nullopt);
  EXPECT_EQ(RoleFromName("sla_Manager"), std::nullopt);
}

}  // namespace
}  // namespace itsm::auth
