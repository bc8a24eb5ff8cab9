// Every RPC of the suite says who may call it: an undeclared one would be refused to everyone
// at run time, so it is caught here, at build time, with its name.
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"

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

}  // namespace
}  // namespace itsm::auth
