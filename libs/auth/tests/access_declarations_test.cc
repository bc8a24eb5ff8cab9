// Every RPC of the suite says who may call it: an undeclared one would be refused to everyone
// at run time, so it is caught here, at build time, with its name.
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"

namespace itsm::auth {
namespace {

// The services of every .proto under itsm/ linked into this binary (itsm_proto links all).
std::vector<const google::protobuf::ServiceDescriptor*> SuiteServices() {
  std::vector<std::string> files;
  google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const std::string& name : files) {
    if (!absl::StartsWith(name, "itsm/")) continue;
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) services.push_back(file->service(i));
  }
  return services;
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
