#include "services/configuration/src/class_catalog.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "itsm/base/blank_text.h"
#include "itsm/businesstime/time_zone_name.h"

namespace itsm::config {
namespace {

v1::AttributeDefinition Attr(const std::string& name, v1::AttributeType type,
                             const std::string& description, bool required = false) {
  v1::AttributeDefinition a;
  a.set_name(name);
  a.set_type(type);
  a.set_description(description);
  a.set_required(required);
  return a;
}

v1::AttributeDefinition Enum(const std::string& name, std::vector<std::string> values,
                             const std::string& description, bool required = false) {
  v1::AttributeDefinition a = Attr(name, v1::ATTRIBUTE_TYPE_ENUM, description, required);
  for (auto& v : values) a.add_enum_values(v);
  return a;
}

v1::AttributeDefinition Ref(const std::string& name, const std::string& reference_class,
                            const std::string& description) {
  v1::AttributeDefinition a = Attr(name, v1::ATTRIBUTE_TYPE_REFERENCE, description);
  a.set_reference_class(reference_class);
  return a;
}

v1::CiClass Class(const std::string& name, const std::string& display_name,
                  const std::string& parent, const std::string& description,
                  std::vector<v1::AttributeDefinition> attributes, bool abstract = false) {
  v1::CiClass c;
  c.set_name(name);
  c.set_display_name(display_name);
  c.set_parent(parent);
  c.set_description(description);
  for (auto& a : attributes) *c.add_attributes() = std::move(a);
  c.set_abstract(abstract);
  c.set_system(true);
  return c;
}

absl::Status Invalid(const std::string& field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

bool IsDate(const std::string& s) {
  // Exactly YYYY-MM-DD, and a day that exists (2023-02-29 does not).
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int y = 0, m = 0, d = 0;
  if (!absl::SimpleAtoi(s.substr(0, 4), &y) || !absl::SimpleAtoi(s.substr(5, 2), &m) ||
      !absl::SimpleAtoi(s.substr(8, 2), &d)) {
    return false;
  }
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const absl::CivilDay day(y, m, d);
  return day.year() == y && day.month() == m && day.day() == d;
}

}  // namespace

bool IsIdentifier(const std::string& s) {
  if (s.empty() || s.size() > kMaxIdentifier || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<v1::CiClass> DefaultClasses() {
  using T = v1::AttributeType;
  const T kString = v1::ATTRIBUTE_TYPE_STRING, kInt = v1::ATTRIBUTE_TYPE_INT,
          kBool = v1::ATTRIBUTE_TYPE_BOOL, kDate = v1::ATTRIBUTE_TYPE_DATE;
  return {
      Class("business_service", "Business service", "",
            "A service as the business sees it (e.g. online ordering); the usual end of an impact "
            "analysis.",
            {Enum("service_level", {"gold", "silver", "bronze"}, "Agreed service level tier."),
             Attr("service_owner", kString, "The person accountable for the service."),
             Attr("customer_facing", kBool, "Used directly by customers.")}),
      Class(
          "application", "Application", "", "Software that delivers (part of) a service.",
          {Attr("version", kString, "Deployed version."), Attr("vendor", kString, "Who makes it."),
           Attr("url", kString, "Where users reach it.")}),
      Class(
          "database", "Database", "", "A database instance or schema.",
          {Enum("engine", {"postgresql", "mysql", "oracle", "sqlserver", "mongodb", "other"},
                "Database engine."),
           Attr("version", kString, "Engine version."), Attr("port", kInt, "Listening TCP port.")}),
      Class("hardware", "Hardware", "", "A physical device (abstract: servers, network devices).",
            {Attr("serial_number", kString, "Manufacturer serial number."),
             Attr("manufacturer", kString, "Manufacturer."), Attr("model", kString, "Model."),
             Ref("location", "location", "Where the device stands."),
             Attr("purchase_date", kDate, "Date of purchase."),
             Attr("warranty_end", kDate, "Last day of the warranty.")},
            /*abstract=*/true),
      Class("server", "Server", "hardware", "A physical server.",
            {Attr("cpu_count", kInt, "Number of CPU cores."),
             Attr("memory_gb", kInt, "Installed memory in GiB."),
             Attr("os", kString, "Operating system."),
             Attr("ip_address", kString, "Primary IP address.")}),
      Class("network_device", "Network device", "hardware",
            "A switch, router, firewall or load balancer.",
            {Enum("device_type", {"switch", "router", "firewall", "load_balancer", "other"},
                  "Kind of device.", /*required=*/true),
             Attr("ip_address", kString, "Management IP address.")}),
      Class("virtual_machine", "Virtual machine", "",
            "A virtual machine (runs on a server or cluster).",
            {Attr("cpu_count", kInt, "Number of virtual CPUs."),
             Attr("memory_gb", kInt, "Memory in GiB."), Attr("os", kString, "Operating system."),
             Attr("ip_address", kString, "Primary IP address.")}),
      Class("cluster", "Cluster", "", "A group of CIs that provides one service together.",
            {Enum("cluster_type", {"failover", "load_balanced", "database", "compute", "other"},
                  "How the members share the work."),
             Attr("min_members", kInt, "Members needed for the cluster to serve.")}),
      Class("location", "Location", "", "A site, building or room.",
            {Attr("address", kString, "Postal address."), Attr("city", kString, "City."),
             Attr("country", kString, "ISO 3166 country code."),
             Attr("time_zone", kString,
                  "IANA time zone of the site, e.g. Europe/Istanbul: SLA definitions whose zone "
                  "comes from the CI location count business hours in it.")}),
  };
}

absl::StatusOr<ClassCatalog> ClassCatalog::Build(std::vector<v1::CiClass> classes) {
  ClassCatalog catalog;
  for (auto& c : classes) {
    c.clear_effective_attributes();
    std::string name = c.name();
    catalog.classes_.emplace(std::move(name), std::move(c));
  }
  for (auto& [name, c] : catalog.classes_) {
    // Collect the chain root-first; a chain longer than the catalog is a cycle.
    std::vector<const v1::CiClass*> chain;
    for (const v1::CiClass* at = &c; at != nullptr;) {
      chain.push_back(at);
      if (chain.size() > catalog.classes_.size()) {
        return absl::InternalError(absl::StrCat("class ", name, ": inheritance cycle"));
      }
      if (at->parent().empty()) break;
      auto parent = catalog.classes_.find(at->parent());
      if (parent == catalog.classes_.end()) {
        return absl::InternalError(absl::StrCat("class ", name, ": unknown parent ", at->parent()));
      }
      at = &parent->second;
    }
    google::protobuf::RepeatedPtrField<v1::AttributeDefinition> effective;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      for (const auto& a : (*it)->attributes()) *effective.Add() = a;
    }
    *c.mutable_effective_attributes() = std::move(effective);
  }
  return catalog;
}

const v1::CiClass* ClassCatalog::Find(const std::string& name) const {
  auto it = classes_.find(name);
  return it == classes_.end() ? nullptr : &it->second;
}

bool ClassCatalog::IsA(const std::string& name, const std::string& ancestor) const {
  std::string at = name;
  for (size_t hops = 0; hops <= classes_.size() && !at.empty(); ++hops) {
    if (at == ancestor) return true;
    const v1::CiClass* c = Find(at);
    if (c == nullptr) return false;
    at = c->parent();
  }
  return false;
}

std::vector<std::string> ClassCatalog::WithSubclasses(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [n, c] : classes_) {
    if (IsA(n, name)) out.push_back(n);
  }
  return out;
}

std::vector<v1::CiClass> ClassCatalog::All() const {
  std::vector<v1::CiClass> out;
  for (const auto& [n, c] : classes_) out.push_back(c);
  return out;
}

std::vector<v1::CiClass> ClassCatalog::After(const std::string& after, size_t max) const {
  std::vector<v1::CiClass> out;
  for (auto it = classes_.upper_bound(after); it != classes_.end() && out.size() < max; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::Status ClassCatalog::ValidateNewClass(const v1::CiClass& c) const {
  if (!IsIdentifier(c.name())) {
    return Invalid("ci_class.name",
                   absl::StrCat("must be lower_snake_case, 1..", kMaxIdentifier,
                                " characters, starting with a letter; got \"", c.name(), "\""));
  }
  if (Utf8Length(c.display_name()) > kMaxShortText) {
    return Invalid("ci_class.display_name", absl::StrCat("at most ", kMaxShortText, " characters"));
  }
  if (Utf8Length(c.description()) > kMaxDescription) {
    return Invalid("ci_class.description",
                   absl::StrCat("at most ", kMaxDescription, " characters"));
  }
  std::set<std::string> taken;
  if (!c.parent().empty()) {
    const v1::CiClass* parent = Find(c.parent());
    if (parent == nullptr) {
      return Invalid("ci_class.parent", absl::StrCat("no class \"", c.parent(), "\""));
    }
    for (const auto& a : parent->effective_attributes()) taken.insert(a.name());
  }
  if (c.attributes_size() > kMaxAttributesPerClass) {
    return Invalid("ci_class.attributes", absl::StrCat("at most ", kMaxAttributesPerClass));
  }
  for (int i = 0; i < c.attributes_size(); ++i) {
    const auto& a = c.attributes(i);
    const std::string field = absl::StrCat("ci_class.attributes[", i, "]");
    if (!IsIdentifier(a.name())) {
      return Invalid(field + ".name", absl::StrCat("must be lower_snake_case, 1..", kMaxIdentifier,
                                                   " characters; got \"", a.name(), "\""));
    }
    if (!taken.insert(a.name()).second) {
      return Invalid(
          field + ".name",
          absl::StrCat("\"", a.name(), "\" is already an attribute of the class or a parent"));
    }
    if (!v1::AttributeType_IsValid(a.type()) || a.type() == v1::ATTRIBUTE_TYPE_UNSPECIFIED) {
      return Invalid(field + ".type", "required (string, int, bool, enum, date or reference)");
    }
    if (a.type() == v1::ATTRIBUTE_TYPE_ENUM) {
      if (a.enum_values_size() == 0 || a.enum_values_size() > kMaxEnumValues) {
        return Invalid(field + ".enum_values",
                       absl::StrCat("an enum needs 1..", kMaxEnumValues, " values"));
      }
      // Values are matched exactly: one with blanks around it, or two that differ only in case,
      // would read as one value and match as two.
      std::set<std::string> values;
      for (const auto& v : a.enum_values()) {
        if (v.empty() || Utf8Length(v) > kMaxShortText || base::HasOuterBlank(v) ||
            !values.insert(absl::AsciiStrToLower(v)).second) {
          return Invalid(field + ".enum_values",
                         absl::StrCat("values must be distinct in any case, 1..", kMaxShortText,
                                      " characters without blanks around them"));
        }
      }
    } else if (a.enum_values_size() > 0) {
      return Invalid(field + ".enum_values", "only for enum attributes");
    }
    if (!a.reference_class().empty()) {
      if (a.type() != v1::ATTRIBUTE_TYPE_REFERENCE) {
        return Invalid(field + ".reference_class", "only for reference attributes");
      }
      if (Find(a.reference_class()) == nullptr && a.reference_class() != c.name()) {
        return Invalid(field + ".reference_class",
                       absl::StrCat("no class \"", a.reference_class(), "\""));
      }
    }
    if (Utf8Length(a.description()) > kMaxShortText * 10) {
      return Invalid(field + ".description",
                     absl::StrCat("at most ", kMaxShortText * 10, " characters"));
    }
  }
  // A CI holds at most kMaxEffectiveAttributes values: a class inheriting more could have no
  // CI (with required ones among them, not even one).
  if (taken.size() > kMaxEffectiveAttributes) {
    return Invalid("ci_class.attributes",
                   absl::StrCat("with the inherited ones the class would have ", taken.size(),
                                " attributes; at most ", kMaxEffectiveAttributes));
  }
  if (Find(c.name()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("ci_class.name: class \"", c.name(), "\" exists"));
  }
  return absl::OkStatus();
}

// The attribute SLA definitions read a CI's zone from (docs/sla.md, zone source CI_LOCATION).
constexpr char kTimeZoneAttribute[] = "time_zone";

absl::StatusOr<AttributeMap> ValidateAttributes(const ClassCatalog& catalog, const v1::CiClass& cls,
                                                const AttributeMap& values,
                                                const CiResolver& resolver,
                                                const AttributeMap* stored) {
  std::map<std::string, const v1::AttributeDefinition*> schema;
  for (const auto& a : cls.effective_attributes()) schema[a.name()] = &a;
  AttributeMap out;
  for (const auto& [name, value] : values) {
    const std::string field = absl::StrCat("attributes.", name);
    // An empty value is no value: imports and updates remove an attribute by sending "".
    if (value.empty() && schema.contains(name)) continue;
    auto def_it = schema.find(name);
    if (def_it == schema.end()) {
      return Invalid(field, absl::StrCat("class ", cls.name(), " has no such attribute"));
    }
    const v1::AttributeDefinition& def = *def_it->second;
    switch (def.type()) {
      case v1::ATTRIBUTE_TYPE_STRING:
        if (Utf8Length(value) > kMaxStringAttribute) {
          return Invalid(field, absl::StrCat("at most ", kMaxStringAttribute, " characters"));
        }
        // A location's zone is where SLA definitions count business hours: a misspelt one would
        // silently count them in UTC.
        if (name == kTimeZoneAttribute) {
          if (absl::Status zone = businesstime::LoadIanaTimeZone(value).status(); !zone.ok()) {
            return Invalid(field, std::string(zone.message()));
          }
        }
        out[name] = value;
        break;
      case v1::ATTRIBUTE_TYPE_INT: {
        int64_t v = 0;
        // SimpleAtoi accepts surrounding spaces; a stored value must be exactly a number.
        if (value.empty() || value.front() == ' ' || value.back() == ' ' ||
            !absl::SimpleAtoi(value, &v)) {
          return Invalid(field, absl::StrCat("not an integer: \"", value, "\""));
        }
        out[name] = absl::StrCat(v);
        break;
      }
      case v1::ATTRIBUTE_TYPE_BOOL:
        if (value != "true" && value != "false") {
          return Invalid(field, absl::StrCat("expected true or false, got \"", value, "\""));
        }
        out[name] = value;
        break;
      case v1::ATTRIBUTE_TYPE_ENUM: {
        bool known = false;
        for (const auto& v : def.enum_values()) known = known || v == value;
        if (!known) {
          return Invalid(field, absl::StrCat("\"", value, "\" is not one of ",
                                             absl::StrJoin(def.enum_values(), ", ")));
        }
        out[name] = value;
        break;
      }
      case v1::ATTRIBUTE_TYPE_DATE:
        if (!IsDate(value)) {
          return Invalid(field, absl::StrCat("expected a date YYYY-MM-DD, got \"", value, "\""));
        }
        out[name] = value;
        break;
      case v1::ATTRIBUTE_TYPE_REFERENCE: {
        if (value.empty() || Utf8Length(value) > 2 * kMaxShortText) {
          return Invalid(field, "expected a CI id or class_name/name");
        }
        auto target = resolver(value);
        if (!target.ok()) return target.status();
        if (!*target) return Invalid(field, absl::StrCat("no CI \"", value, "\""));
        const bool kept =
            stored != nullptr && stored->contains(name) && stored->at(name) == (*target)->id;
        if ((*target)->status == v1::LIFECYCLE_STATUS_RETIRED && !kept) {
          return Invalid(field, absl::StrCat("CI \"", value, "\" is retired"));
        }
        if (!def.reference_class().empty() &&
            !catalog.IsA((*target)->class_name, def.reference_class())) {
          return Invalid(field, absl::StrCat("CI \"", value, "\" is a ", (*target)->class_name,
                                             ", not a ", def.reference_class()));
        }
        out[name] = (*target)->id;
        break;
      }
      default:
        return absl::InternalError(absl::StrCat(field, ": stored schema has no type"));
    }
  }
  for (const auto& a : cls.effective_attributes()) {
    if (a.required() && !out.contains(a.name())) {
      return Invalid(absl::StrCat("attributes.", a.name()), "required by class " + cls.name());
    }
  }
  return out;
}

}  // namespace itsm::config
