#include "services/configuration/src/class_catalog.h"

#include "gtest/gtest.h"

namespace itsm::config {
namespace {

v1::AttributeDefinition Def(const std::string& name, v1::AttributeType type,
                            bool required = false) {
  v1::AttributeDefinition a;
  a.set_name(name);
  a.set_type(type);
  a.set_required(required);
  return a;
}

// A class with one attribute of every type, on top of the shipped ones.
ClassCatalog TestCatalog() {
  auto classes = DefaultClasses();
  v1::CiClass probe;
  probe.set_name("probe");
  probe.set_parent("application");
  *probe.add_attributes() = Def("s", v1::ATTRIBUTE_TYPE_STRING);
  *probe.add_attributes() = Def("i", v1::ATTRIBUTE_TYPE_INT);
  *probe.add_attributes() = Def("b", v1::ATTRIBUTE_TYPE_BOOL);
  auto e = Def("e", v1::ATTRIBUTE_TYPE_ENUM);
  e.add_enum_values("red");
  e.add_enum_values("green");
  *probe.add_attributes() = e;
  *probe.add_attributes() = Def("d", v1::ATTRIBUTE_TYPE_DATE);
  auto r = Def("r", v1::ATTRIBUTE_TYPE_REFERENCE);
  r.set_reference_class("hardware");
  *probe.add_attributes() = r;
  *probe.add_attributes() = Def("must", v1::ATTRIBUTE_TYPE_STRING, /*required=*/true);
  classes.push_back(probe);
  auto catalog = ClassCatalog::Build(classes);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  return *catalog;
}

// References resolve against three CIs: a server, a retired server and a location.
CiResolver Resolver() {
  return [](const std::string& key) -> absl::StatusOr<std::optional<ResolvedCi>> {
    if (key == "srv-id" || key == "server/srv1")
      return ResolvedCi{"srv-id", "server", v1::LIFECYCLE_STATUS_LIVE};
    if (key == "old-id") return ResolvedCi{"old-id", "server", v1::LIFECYCLE_STATUS_RETIRED};
    if (key == "loc-id") return ResolvedCi{"loc-id", "location", v1::LIFECYCLE_STATUS_LIVE};
    return std::nullopt;
  };
}

absl::StatusOr<AttributeMap> Validate(AttributeMap values) {
  static const ClassCatalog catalog = TestCatalog();
  values.emplace("must", "x");
  return ValidateAttributes(catalog, *catalog.Find("probe"), values, Resolver());
}

std::string ErrorOf(AttributeMap values) {
  auto r = Validate(std::move(values));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(ClassCatalog, DefaultsInheritAttributes) {
  auto catalog = ClassCatalog::Build(DefaultClasses());
  ASSERT_TRUE(catalog.ok());
  for (const char* name : {"business_service", "application", "database", "server",
                           "virtual_machine", "network_device", "cluster", "location"}) {
    EXPECT_NE(catalog->Find(name), nullptr) << name;
  }
  const v1::CiClass* server = catalog->Find("server");
  std::vector<std::string> names;
  for (const auto& a : server->effective_attributes()) names.push_back(a.name());
  // Inherited first (hardware), then its own.
  EXPECT_EQ(names.front(), "serial_number");
  EXPECT_NE(std::find(names.begin(), names.end(), "location"), names.end());
  EXPECT_EQ(names.back(), "ip_address");
  EXPECT_TRUE(catalog->IsA("server", "hardware"));
  EXPECT_FALSE(catalog->IsA("hardware", "server"));
  EXPECT_TRUE(catalog->Find("hardware")->abstract());
  auto sub = catalog->WithSubclasses("hardware");
  EXPECT_EQ(sub, (std::vector<std::string>{"hardware", "network_device", "server"}));
}

TEST(ClassCatalog, EveryTypeAcceptsItsCanonicalForm) {
  auto r = Validate({{"s", "any text"},
                     {"i", "-42"},
                     {"b", "true"},
                     {"e", "green"},
                     {"d", "2024-02-29"},
                     {"r", "server/srv1"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->at("i"), "-42");
  EXPECT_EQ(r->at("r"), "srv-id");  // a class_name/name key is stored as the id
}

TEST(ClassCatalog, IntegersAreCanonicalised) {
  auto r = Validate({{"i", "+007"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->at("i"), "7");
}

TEST(ClassCatalog, EachTypeRejectsWrongValuesNamingTheAttribute) {
  EXPECT_EQ(ErrorOf({{"i", "four"}}), "attributes.i: not an integer: \"four\"");
  EXPECT_EQ(ErrorOf({{"i", " 4"}}).rfind("attributes.i:", 0), 0u);
  EXPECT_EQ(ErrorOf({{"i", "99999999999999999999"}}).rfind("attributes.i:", 0), 0u);
  EXPECT_EQ(ErrorOf({{"b", "yes"}}), "attributes.b: expected true or false, got \"yes\"");
  EXPECT_EQ(ErrorOf({{"e", "blue"}}), "attributes.e: \"blue\" is not one of red, green");
  EXPECT_EQ(ErrorOf({{"d", "2023-02-29"}}).rfind("attributes.d: expected a date", 0), 0u);
  EXPECT_EQ(ErrorOf({{"d", "2023-1-01"}}).rfind("attributes.d:", 0), 0u);
  EXPECT_EQ(ErrorOf({{"d", "2023-13-01"}}).rfind("attributes.d:", 0), 0u);
  EXPECT_EQ(ErrorOf({{"s", std::string(2001, 'x')}}), "attributes.s: at most 2000 characters");
  EXPECT_EQ(ErrorOf({{"r", "nope"}}), "attributes.r: no CI \"nope\"");
  EXPECT_EQ(ErrorOf({{"r", "old-id"}}), "attributes.r: CI \"old-id\" is retired");
  EXPECT_EQ(ErrorOf({{"r", "loc-id"}}),
            "attributes.r: CI \"loc-id\" is a location, not a hardware");
  EXPECT_EQ(ErrorOf({{"unknown", "1"}}), "attributes.unknown: class probe has no such attribute");
}

// A location's zone is where SLA definitions count business hours: a misspelt one is refused
// rather than counted in UTC.
TEST(ClassCatalog, ALocationsTimeZoneIsAnIanaZone) {
  static const ClassCatalog catalog = TestCatalog();
  const v1::CiClass& location = *catalog.Find("location");
  EXPECT_TRUE(
      ValidateAttributes(catalog, location, {{"time_zone", "Europe/Paris"}}, Resolver()).ok());
  for (const char* bad : {"Europe/Pariss", "localtime", "/etc/localtime"}) {
    auto r = ValidateAttributes(catalog, location, {{"time_zone", bad}}, Resolver());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message().rfind("attributes.time_zone:", 0), 0u) << r.status();
  }
}

TEST(ClassCatalog, RequiredAttributesMustHaveAValue) {
  static const ClassCatalog catalog = TestCatalog();
  auto r = ValidateAttributes(catalog, *catalog.Find("probe"), {}, Resolver());
  EXPECT_EQ(r.status().message(), "attributes.must: required by class probe");
  r = ValidateAttributes(catalog, *catalog.Find("probe"), {{"must", ""}}, Resolver());
  EXPECT_EQ(r.status().message(), "attributes.must: required by class probe");
}

TEST(ClassCatalog, NewClassesAreValidatedField) {
  auto catalog = ClassCatalog::Build(DefaultClasses());
  ASSERT_TRUE(catalog.ok());
  v1::CiClass c;
  c.set_name("Load Balancer");
  EXPECT_EQ(catalog->ValidateNewClass(c).message().substr(0, 15), "ci_class.name: ");
  c.set_name("storage_array");
  c.set_parent("nope");
  EXPECT_EQ(catalog->ValidateNewClass(c).message(), "ci_class.parent: no class \"nope\"");
  c.set_parent("hardware");
  *c.add_attributes() = Def("serial_number", v1::ATTRIBUTE_TYPE_STRING);
  EXPECT_EQ(catalog->ValidateNewClass(c).message().rfind("ci_class.attributes[0].name:", 0), 0u);
  c.mutable_attributes(0)->set_name("tier");
  c.mutable_attributes(0)->set_type(v1::ATTRIBUTE_TYPE_ENUM);
  EXPECT_EQ(catalog->ValidateNewClass(c).message().rfind("ci_class.attributes[0].enum_values:", 0),
            0u);
  c.mutable_attributes(0)->add_enum_values("fast");
  c.mutable_attributes(0)->set_reference_class("server");
  EXPECT_EQ(
      catalog->ValidateNewClass(c).message().rfind("ci_class.attributes[0].reference_class:", 0),
      0u);
  c.mutable_attributes(0)->clear_reference_class();
  *c.add_attributes() = Def("capacity_tb", v1::ATTRIBUTE_TYPE_UNSPECIFIED);
  EXPECT_EQ(catalog->ValidateNewClass(c).message().rfind("ci_class.attributes[1].type:", 0), 0u);
  c.mutable_attributes(1)->set_type(v1::ATTRIBUTE_TYPE_INT);
  EXPECT_TRUE(catalog->ValidateNewClass(c).ok());
  // Enum values are matched exactly: padded ones, or two differing only in case, are refused.
  for (const char* look_alike : {"gold ", "Fast"}) {
    v1::CiClass padded = c;
    padded.mutable_attributes(0)->add_enum_values(look_alike);
    EXPECT_EQ(
        catalog->ValidateNewClass(padded).message().rfind("ci_class.attributes[0].enum_values:", 0),
        0u)
        << look_alike;
  }
  c.set_name("server");
  EXPECT_EQ(catalog->ValidateNewClass(c).code(), absl::StatusCode::kAlreadyExists);
}

// A class may not inherit more attributes than a CI can hold values (200): no CI of it could be.
TEST(ClassCatalog, AClassHasAtMostTwoHundredAttributesWithItsInheritedOnes) {
  std::vector<v1::CiClass> classes = DefaultClasses();
  auto with = [](v1::CiClass c, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
      *c.add_attributes() = Def(prefix + std::to_string(i), v1::ATTRIBUTE_TYPE_STRING);
    }
    return c;
  };
  v1::CiClass wide1, wide2;
  wide1.set_name("wide1");
  wide2.set_name("wide2");
  wide2.set_parent("wide1");
  classes.push_back(with(wide1, "a", 100));
  classes.push_back(with(wide2, "b", 50));
  auto catalog = ClassCatalog::Build(classes);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  v1::CiClass wide3;
  wide3.set_name("wide3");
  wide3.set_parent("wide2");
  EXPECT_TRUE(catalog->ValidateNewClass(with(wide3, "c", 50)).ok());
  EXPECT_EQ(catalog->ValidateNewClass(with(wide3, "c", 51)).message(),
            "ci_class.attributes: with the inherited ones the class would have 201 attributes; at "
            "most 200");
}

TEST(ClassCatalog, InconsistentStoredClassesAreRefused) {
  v1::CiClass a, b;
  a.set_name("a");
  a.set_parent("b");
  b.set_name("b");
  b.set_parent("a");
  EXPECT_FALSE(ClassCatalog::Build({a, b}).ok());
  a.set_parent("missing");
  EXPECT_FALSE(ClassCatalog::Build({a}).ok());
}

}  // namespace
}  // namespace itsm::config
