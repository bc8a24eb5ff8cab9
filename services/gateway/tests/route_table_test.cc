#include "services/gateway/src/route_table.h"

#include <set>

#include "gtest/gtest.h"
#include "itsm/auth/access_policy.h"

namespace itsm::gateway {
namespace {

RouteTable SuiteRoutes() {
  auto routes = RouteTable::Build(auth::LinkedServices("itsm."));
  EXPECT_TRUE(routes.ok()) << routes.status();
  return *std::move(routes);
}

// Every RPC of the public services has a REST route: a new RPC without its annotation fails
// here. (The outbox admin API is served by every publishing service on its own port and is
// reached with itsmctl, not through the gateway: docs/decisions.md.)
TEST(RouteTable, EveryPublicRpcHasARoute) {
  RouteTable routes = SuiteRoutes();
  std::set<std::string> routed;
  for (const Route& r : routes.routes()) routed.insert(r.method->full_name());
  for (const auto* service : auth::LinkedServices("itsm.")) {
    if (service->full_name() == "itsm.outbox.v1.OutboxAdminService") continue;
    for (int i = 0; i < service->method_count(); ++i) {
      EXPECT_TRUE(routed.count(service->method(i)->full_name()) > 0)
          << service->method(i)->full_name() << " has no google.api.http annotation";
    }
  }
}

TEST(RouteTable, FindsTheRouteAndItsBindings) {
  RouteTable routes = SuiteRoutes();
  RouteLookup found = routes.Find("POST", "/v1/incidents/INC0000007:transition");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->method->name(), "TransitionIncident");
  ASSERT_EQ(found.bindings.size(), 1u);
  EXPECT_EQ(found.bindings[0].field_path, "id");
  EXPECT_EQ(found.bindings[0].value, "INC0000007");

  found = routes.Find("GET", "/v1/incidents/INC0000007/notes");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->method->name(), "ListIncidentNotes");

  found = routes.Find("PATCH", "/v1/incidents/abc");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->body, "incident");
  EXPECT_EQ(found.bindings[0].field_path, "incident.id");

  // An additional binding routes to the same RPC.
  found = routes.Find("GET", "/v1/problems/PRB1/history");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->method->name(), "GetHistory");
}

TEST(RouteTable, TellsTheMethodsAllowedOnAPathItDoesNotServeThatMethodOn) {
  RouteTable routes = SuiteRoutes();
  RouteLookup found = routes.Find("DELETE", "/v1/incidents/INC1");
  EXPECT_EQ(found.route, nullptr);
  EXPECT_EQ(found.allowed_methods, (std::vector<std::string>{"GET", "HEAD", "PATCH"}));
  found = routes.Find("GET", "/v2/nothing");
  EXPECT_EQ(found.route, nullptr);
  EXPECT_TRUE(found.allowed_methods.empty());
}

// Found from outside: a custom method's path is its route's, not an id ending in ":verb" of
// the record's routes (google.api.http: the verb is part of the template).
TEST(RouteTable, ACustomMethodsPathIsNotARecordId) {
  RouteTable routes = SuiteRoutes();
  RouteLookup found = routes.Find("GET", "/v1/incidents/INC1:transition");
  EXPECT_EQ(found.route, nullptr);
  EXPECT_EQ(found.allowed_methods, (std::vector<std::string>{"POST"}));
  found = routes.Find("DELETE", "/v1/incidents/INC1:transition");
  EXPECT_EQ(found.allowed_methods, (std::vector<std::string>{"POST"}));
  found = routes.Find("POST", "/v1/configurationItems/x:analyzeImpact");
  EXPECT_EQ(found.route, nullptr);
  EXPECT_EQ(found.allowed_methods, (std::vector<std::string>{"GET", "HEAD"}));
  found = routes.Find("GET", "/v1/apiKeys/x:rotate");
  EXPECT_EQ(found.route, nullptr);
  // The verb's route still takes its method, and a plain id its own.
  EXPECT_NE(routes.Find("POST", "/v1/incidents/INC1:transition").route, nullptr);
  found = routes.Find("GET", "/v1/incidents/INC1");
  ASSERT_NE(found.route, nullptr);
  EXPECT_EQ(found.route->method->name(), "GetIncident");
}

}  // namespace
}  // namespace itsm::gateway
