#include "services/gateway/src/path_template.h"

#include "gtest/gtest.h"

namespace itsm::gateway {
namespace {

std::vector<std::pair<std::string, std::string>> Bound(const PathTemplate& t,
                                                       absl::string_view path) {
  std::vector<std::pair<std::string, std::string>> out;
  auto bound = t.Match(path);
  if (!bound) return {{"<no match>", ""}};
  for (const auto& b : *bound) out.emplace_back(b.field_path, b.value);
  return out;
}

using Bindings = std::vector<std::pair<std::string, std::string>>;

TEST(PathTemplate, MatchesLiteralsAndSingleVariables) {
  auto t = PathTemplate::Parse("/v1/incidents/{id}");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Bound(*t, "/v1/incidents/INC0000001"), (Bindings{{"id", "INC0000001"}}));
  EXPECT_FALSE(t->Match("/v1/incidents"));
  EXPECT_FALSE(t->Match("/v1/incidents/"));
  EXPECT_FALSE(t->Match("/v1/incidents/a/b"));
  EXPECT_FALSE(t->Match("/v1/problems/a"));
  EXPECT_FALSE(t->Match("/v1/incidentsX/a"));
  EXPECT_FALSE(t->Match("v1/incidents/a"));
  EXPECT_FALSE(t->Match(""));
}

TEST(PathTemplate, SingleSegmentVariableIsFullyPercentDecoded) {
  auto t = PathTemplate::Parse("/v1/configurationItems/{id}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Bound(*t, "/v1/configurationItems/server%2Fdb-01"), (Bindings{{"id", "server/db-01"}}));
  EXPECT_EQ(Bound(*t, "/v1/configurationItems/caf%C3%A9"), (Bindings{{"id", "café"}}));
  EXPECT_FALSE(t->Match("/v1/configurationItems/bad%zz"));
}

TEST(PathTemplate, CustomVerbs) {
  auto t = PathTemplate::Parse("/v1/incidents/{id}:transition");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Bound(*t, "/v1/incidents/INC1:transition"), (Bindings{{"id", "INC1"}}));
  EXPECT_FALSE(t->Match("/v1/incidents/INC1"));
  EXPECT_FALSE(t->Match("/v1/incidents/INC1:assign"));
  EXPECT_FALSE(t->Match("/v1/incidents/:transition"));
  auto collection = PathTemplate::Parse("/v1/configurationItems:import");
  ASSERT_TRUE(collection.ok());
  EXPECT_TRUE(collection->Match("/v1/configurationItems:import"));
  EXPECT_FALSE(collection->Match("/v1/configurationItems"));
  EXPECT_FALSE(collection->Match("/v1/configurationItemsX:import"));
  EXPECT_FALSE(collection->Match("/v1/configurationItems/x:import"));
}

TEST(PathTemplate, NestedFieldAndMultiSegmentVariables) {
  auto t = PathTemplate::Parse("/v1/{incident.id}/x");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Bound(*t, "/v1/abc/x"), (Bindings{{"incident.id", "abc"}}));

  auto pattern = PathTemplate::Parse("/v1/{name=classes/*/items/*}:get");
  ASSERT_TRUE(pattern.ok()) << pattern.status();
  EXPECT_EQ(Bound(*pattern, "/v1/classes/server/items/db-01:get"),
            (Bindings{{"name", "classes/server/items/db-01"}}));
  EXPECT_FALSE(pattern->Match("/v1/classes/server/parts/db-01:get"));
  EXPECT_FALSE(pattern->Match("/v1/class/server/items/db-01:get"));
  EXPECT_FALSE(pattern->Match("/v1:get"));

  auto rest = PathTemplate::Parse("/v1/files/{path=**}");
  ASSERT_TRUE(rest.ok());
  // A multi-segment variable keeps %2F encoded (so that its segments stay apart).
  EXPECT_EQ(Bound(*rest, "/v1/files/a/b%2Fc/d"), (Bindings{{"path", "a/b%2Fc/d"}}));
  EXPECT_FALSE(rest->Match("/v1/files"));
}

TEST(PathTemplate, OpenApiPathAndSpecificity) {
  auto t = PathTemplate::Parse("/v1/{name=classes/*}/items/{id}:diff");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->OpenApiPath(), "/v1/{name}/items/{id}:diff");
  EXPECT_EQ(t->VariableFieldPaths(), (std::vector<std::string>{"name", "id"}));
  // v1, classes, items and the verb.
  EXPECT_EQ(t->specificity(), 4);
}

TEST(PathTemplate, RefusesTextOutsideTheGrammar) {
  for (const char* bad : {"v1/x", "/v1/{id", "/v1/{9id}", "/v1/x/", "/v1/a{id}",
                          "/v1/x:", "/v1/{a=**}/{b=**}", "/v1/sp ace"}) {
    EXPECT_FALSE(PathTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(PercentDecode, DecodesAndRefusesMalformedEscapes) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(PercentDecode("a%2Fc", /*keep_slash=*/true), "a%2Fc");
  EXPECT_FALSE(PercentDecode("%4"));
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("%g0"));
}

}  // namespace
}  // namespace itsm::gateway
