// Every RPC of the suite says who may call it: an undeclared one would be refused to everyone
// at run time, so it is caught here, at build time, with its name.
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"
#include "itsm/auth/event_access.h"

namespace itsm::auth {
namespace {

std::vector<const google::protobuf::ServiceDescriptor*> SuiteServices() {
  return LinkedServices("itsm.");
}

TEST(AccessDeclarations, EveryRpcOfTheSuiteDeclaresWhoMayCallIt) {
  std::vector<const google::protobuf::ServiceDescriptor*> services = SuiteServices();
  ASSERT_GE(services.size(), 4u) << "incident, configuration, sla, outbox admin at least";
  EXPECT_THAT(AccessPolicy::ForServices(services).Undeclared(), ::testing::IsEmpty());
}

TEST(AccessDeclarations, NoRpcOfTheSuiteIsAnonymous) {
  for (const auto* service : SuiteServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto& options = service->method(i)->options();
      EXPECT_FALSE(options.GetExtension(common::v1::access).anonymous())
          << service->method(i)->full_name();
    }
  }
}

// Who reads each topic's events (GET /v1/events), derived from the read RPCs' declarations: the
// requester (own records only) reads none, a viewer reads all, an agent not the suppliers'.
TEST(EventAccess, ReadersAreThoseWhoMayCallEveryReadRpcOfTheTopicsService) {
  const EventAccess access =
      EventAccess::ForTopics({"itsm.incident.v1", "itsm.change.v1", "itsm.config.v1", "itsm.sla.v1",
                              "itsm.supplier.v1", "itsm.nothing.v1"});
  for (const char* topic : {"itsm.incident.v1", "itsm.change.v1", "itsm.config.v1", "itsm.sla.v1",
                            "itsm.supplier.v1"}) {
    EXPECT_TRUE(access.Readers(topic).Has(common::v1::ROLE_VIEWER)) << topic;
    EXPECT_FALSE(access.Readers(topic).Has(common::v1::ROLE_REQUESTER)) << topic;
    EXPECT_TRUE(access.MayRead(topic, {.subject = "a", .roles = {common::v1::ROLE_ADMIN}}).ok());
  }
  EXPECT_TRUE(access.Readers("itsm.incident.v1").Has(common::v1::ROLE_AGENT));
  const absl::Status agent =
      access.MayRead("itsm.supplier.v1", {.subject = "agnes", .roles = {common::v1::ROLE_AGENT}});
  EXPECT_TRUE(absl::IsPermissionDenied(agent));
  EXPECT_THAT(std::string(agent.message()), ::testing::HasSubstr("itsm.supplier.v1"));
  EXPECT_THAT(std::string(agent.message()), ::testing::HasSubstr("agnes"));
  EXPECT_TRUE(access.Readers("itsm.nothing.v1").empty());
}

}  // namespace
}  // namespace itsm::auth
