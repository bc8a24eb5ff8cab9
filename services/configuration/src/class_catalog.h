// CI classes and their schemas, with inheritance resolved; and the validation of attribute values
// against a class's effective schema. No SQL or gRPC here: the repository loads the classes, the
// service builds a catalog from them and swaps in a new one when a class is added.
//
//   ITSM_ASSIGN_OR_RETURN(ClassCatalog catalog, ClassCatalog::Build(classes));
//   const v1::CiClass* server = catalog.Find("server");  // effective_attributes filled
//   ITSM_ASSIGN_OR_RETURN(auto attrs, ValidateAttributes(catalog, *server, request.attributes(),
//                                                        resolver));
#ifndef ITSM_SERVICES_CONFIGURATION_CLASS_CATALOG_H_
#define ITSM_SERVICES_CONFIGURATION_CLASS_CATALOG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/config/v1/config.pb.h"

namespace itsm::config {

inline constexpr size_t kMaxIdentifier = 63;  // class and attribute names
inline constexpr size_t kMaxShortText = 200;  // CI names, groups, display names
inline constexpr size_t kMaxStringAttribute = 2000;
inline constexpr size_t kMaxDescription = 20000;
inline constexpr int kMaxAttributesPerClass = 100;
// With the inherited ones: as many values as a CI's attributes may hold.
inline constexpr size_t kMaxEffectiveAttributes = 200;
inline constexpr int kMaxEnumValues = 100;

// Attribute values are kept sorted by name, so that comparing two CIs is comparing two maps.
using AttributeMap = std::map<std::string, std::string>;

class ClassCatalog {
 public:
  ClassCatalog() = default;
  // Resolves parents and fills each class's effective_attributes. INTERNAL when the stored
  // classes are inconsistent (an unknown parent, a cycle): only validated classes are stored.
  static absl::StatusOr<ClassCatalog> Build(std::vector<v1::CiClass> classes);

  // nullptr when unknown.
  const v1::CiClass* Find(const std::string& name) const;
  // True when `name` is `ancestor` or inherits from it.
  bool IsA(const std::string& name, const std::string& ancestor) const;
  // `name` and every class inheriting from it.
  std::vector<std::string> WithSubclasses(const std::string& name) const;
  // Sorted by name.
  std::vector<v1::CiClass> All() const;
  // Up to `max` classes named after `after` ("" for the first), sorted by name.
  std::vector<v1::CiClass> After(const std::string& after, size_t max) const;

  // INVALID_ARGUMENT naming the field ("ci_class.attributes[2].enum_values") when `c` cannot be
  // added to this catalog; ALREADY_EXISTS when its name is taken.
  absl::Status ValidateNewClass(const v1::CiClass& c) const;

 private:
  std::map<std::string, v1::CiClass> classes_;
};

// The classes shipped with the service (created by a migration): business_service, application,
// database, hardware (abstract) > server and network_device, virtual_machine, cluster, location.
std::vector<v1::CiClass> DefaultClasses();

// What a reference attribute (or a relationship end) points to.
struct ResolvedCi {
  std::string id;
  std::string class_name;
  v1::LifecycleStatus status = v1::LIFECYCLE_STATUS_UNSPECIFIED;
};
// Looks a CI up by id or "class_name/name"; nullopt when there is none.
using CiResolver = std::function<absl::StatusOr<std::optional<ResolvedCi>>(const std::string&)>;

// True for lower_snake_case identifiers of 1..63 characters starting with a letter.
bool IsIdentifier(const std::string& s);
// Length in Unicode code points of UTF-8 text (limits are stated in characters, not bytes).
size_t Utf8Length(const std::string& s);

// Checks every value against the class's effective schema and returns them in canonical form
// (integers without leading zeros or '+', references as CI ids). INVALID_ARGUMENT names the
// attribute as "attributes.<name>": unknown attribute, wrong type, missing required value,
// reference to an unknown or retired CI or to a CI of the wrong class. `stored`, the values the
// CI holds now when it is updated: a reference kept as it is may name a CI retired since (a site
// retired before its servers must not freeze them).
absl::StatusOr<AttributeMap> ValidateAttributes(const ClassCatalog& catalog, const v1::CiClass& cls,
                                                const AttributeMap& values,
                                                const CiResolver& resolver,
                                                const AttributeMap* stored = nullptr);

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_CLASS_CATALOG_H_
