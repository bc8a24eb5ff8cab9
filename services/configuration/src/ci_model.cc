#include "services/configuration/src/ci_model.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/status_macros.h"
#include "itsm/common/v1/limits.pb.h"

namespace itsm::config {
namespace {

absl::Status Invalid(const std::string& field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

AttributeMap ToMap(const google::protobuf::Map<std::string, std::string>& m) {
  return AttributeMap(m.begin(), m.end());
}

void SetAttributes(v1::ConfigurationItem& ci, const AttributeMap& attrs) {
  ci.clear_attributes();
  for (const auto& [k, v] : attrs) (*ci.mutable_attributes())[k] = v;
}

// Whether an update may name `attributes.<key>`: the CI's class declares it, or the CI holds it
// (one its class no longer declares may still be removed). Anything else would be a mask that
// answers OK and changes nothing ("attributes.os.deep").
bool UpdatableAttribute(const ClassCatalog& catalog, const v1::ConfigurationItem& ci,
                        const std::string& key) {
  if (ci.attributes().contains(key)) return true;
  const v1::CiClass* cls = catalog.Find(ci.class_name());
  if (cls == nullptr) return false;
  for (const auto& a : cls->effective_attributes()) {
    if (a.name() == key) return true;
  }
  return false;
}

// Two spellings of one name: the same letters and digits, whatever their case and underscores.
bool SpelledAlike(const std::string& a, const std::string& b) {
  auto folded = [](const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c != '_') out += absl::ascii_tolower(c);
    }
    return out;
  };
  return a != b && folded(a) == folded(b);
}

}  // namespace

std::string StatusName(v1::LifecycleStatus s) {
  return absl::AsciiStrToLower(v1::LifecycleStatus_Name(s).substr(sizeof("LIFECYCLE_STATUS_") - 1));
}
std::string CriticalityName(v1::BusinessCriticality c) {
  return absl::AsciiStrToLower(
      v1::BusinessCriticality_Name(c).substr(sizeof("BUSINESS_CRITICALITY_") - 1));
}
std::string RelationshipTypeName(v1::RelationshipType t) {
  return absl::AsciiStrToLower(
      v1::RelationshipType_Name(t).substr(sizeof("RELATIONSHIP_TYPE_") - 1));
}

absl::Status ValidateCi(const ClassCatalog& catalog, v1::ConfigurationItem& ci,
                        const CiResolver& resolver, const std::string& prefix,
                        const v1::ConfigurationItem* stored) {
  const v1::CiClass* cls = catalog.Find(ci.class_name());
  if (ci.class_name().empty()) return Invalid(prefix + "class_name", "required");
  if (cls == nullptr)
    return Invalid(prefix + "class_name", absl::StrCat("no class \"", ci.class_name(), "\""));
  if (cls->abstract()) {
    return Invalid(prefix + "class_name",
                   absl::StrCat("class ", cls->name(), " is abstract; use one of its subclasses"));
  }
  if (base::IsBlank(ci.name())) return Invalid(prefix + "name", "required");
  if (Utf8Length(ci.name()) > kMaxShortText) {
    return Invalid(prefix + "name", absl::StrCat("at most ", kMaxShortText, " characters"));
  }
  // '/' separates class and name in "class_name/name" keys; leading or trailing blanks (a
  // no-break or zero-width space as much as an ASCII one) are almost always a feed's formatting
  // slip that would create a look-alike duplicate.
  if (absl::StrContains(ci.name(), '/') || base::HasOuterBlank(ci.name())) {
    return Invalid(prefix + "name", "no '/' and no leading or trailing blanks");
  }
  if (!v1::LifecycleStatus_IsValid(ci.status()) ||
      ci.status() == v1::LIFECYCLE_STATUS_UNSPECIFIED) {
    return Invalid(prefix + "status", absl::StrCat("unknown status ", ci.status()));
  }
  if (Utf8Length(ci.owner_group()) > kMaxShortText) {
    return Invalid(prefix + "owner_group", absl::StrCat("at most ", kMaxShortText, " characters"));
  }
  // The owner-group filter matches exactly: a padded group would hide the CI from it.
  ITSM_RETURN_IF_ERROR(base::CheckMatchedName(prefix + "owner_group", ci.owner_group()));
  if (!v1::BusinessCriticality_IsValid(ci.business_criticality())) {
    return Invalid(prefix + "business_criticality",
                   absl::StrCat("unknown criticality ", ci.business_criticality()));
  }
  if (Utf8Length(ci.description()) > kMaxDescription) {
    return Invalid(prefix + "description",
                   absl::StrCat("at most ", kMaxDescription, " characters"));
  }
  const AttributeMap stored_attributes =
      stored != nullptr ? ToMap(stored->attributes()) : AttributeMap();
  auto attrs = ValidateAttributes(catalog, *cls, ToMap(ci.attributes()), resolver,
                                  stored != nullptr ? &stored_attributes : nullptr);
  if (!attrs.ok()) {
    if (attrs.status().code() != absl::StatusCode::kInvalidArgument || prefix.empty()) {
      return attrs.status();
    }
    return absl::InvalidArgumentError(absl::StrCat(prefix, attrs.status().message()));
  }
  SetAttributes(ci, *attrs);
  // The record's own bound (max_encoded_bytes), which requests carrying a whole CI are held to:
  // create and import give its fields one by one, so a CI over it was stored and could then not
  // be written back as read (found from outside). The margin leaves room for the id, times,
  // version and actor the service adds.
  constexpr size_t kAddedByTheService = 1024;
  const size_t cap =
      v1::ConfigurationItem::descriptor()->options().GetExtension(common::v1::max_encoded_bytes);
  if (const size_t size = ci.ByteSizeLong(); size + kAddedByTheService > cap) {
    return Invalid(
        prefix + "attributes",
        absl::StrCat("the CI would be ", size, " bytes encoded, at most ", cap - kAddedByTheService,
                     " with its description; shorten its longest values"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ConfigurationItem> CiFromCreate(
    const ClassCatalog& catalog, const v1::CreateConfigurationItemRequest& request,
    const CiResolver& resolver) {
  if (request.status() == v1::LIFECYCLE_STATUS_RETIRED) {
    return Invalid("status", "a new CI cannot be retired");
  }
  if (Utf8Length(request.idempotency_key()) > kMaxShortText) {
    return Invalid("idempotency_key", absl::StrCat("at most ", kMaxShortText, " characters"));
  }
  v1::ConfigurationItem ci;
  ci.set_class_name(request.class_name());
  ci.set_name(request.name());
  ci.set_status(request.status() == v1::LIFECYCLE_STATUS_UNSPECIFIED ? v1::LIFECYCLE_STATUS_PLANNED
                                                                     : request.status());
  ci.set_owner_group(request.owner_group());
  ci.set_business_criticality(request.business_criticality());
  ci.set_description(request.description());
  *ci.mutable_attributes() = request.attributes();
  ITSM_RETURN_IF_ERROR(ValidateCi(catalog, ci, resolver));
  return ci;
}

absl::StatusOr<v1::ConfigurationItem> ApplyUpdate(const ClassCatalog& catalog,
                                                  const v1::ConfigurationItem& current,
                                                  const v1::UpdateConfigurationItemRequest& request,
                                                  const CiResolver& resolver) {
  const v1::ConfigurationItem& in = request.configuration_item();
  if (request.update_mask().paths_size() == 0) return Invalid("update_mask", "required");
  if (current.status() == v1::LIFECYCLE_STATUS_RETIRED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "configuration_item.status: CI ", current.id(), " is retired and cannot change"));
  }
  v1::ConfigurationItem next = current;
  std::set<std::string> seen;
  for (const std::string& path : request.update_mask().paths()) {
    // As every other mask of the suite (records::CheckUpdateMask) says.
    if (!seen.insert(path).second) {
      return Invalid("update_mask", absl::StrCat("\"", path, "\" named twice"));
    }
    if (path == "name") {
      next.set_name(in.name());
    } else if (path == "status") {
      next.set_status(in.status());
    } else if (path == "owner_group") {
      next.set_owner_group(in.owner_group());
    } else if (path == "business_criticality") {
      next.set_business_criticality(in.business_criticality());
    } else if (path == "description") {
      next.set_description(in.description());
    } else if (path == "attributes") {
      *next.mutable_attributes() = in.attributes();
    } else if (absl::StartsWith(path, "attributes.") && path.size() > sizeof("attributes.") - 1) {
      const std::string key = path.substr(sizeof("attributes.") - 1);
      if (!UpdatableAttribute(catalog, current, key)) {
        return Invalid("update_mask",
                       absl::StrCat("cannot update \"", path, "\": class ", current.class_name(),
                                    " has no attribute \"", key, "\""));
      }
      auto it = in.attributes().find(key);
      if (it == in.attributes().end()) {
        // Without a value the attribute is removed: not when the body holds it under another
        // spelling ("OS" for os, "cpuCount" for cpu_count), which meant to set it. A mask
        // spelt in capitals reached the service folded to lower case (found from outside).
        for (const auto& [given, value] : in.attributes()) {
          if (SpelledAlike(given, key)) {
            return Invalid(
                absl::StrCat("configuration_item.attributes.", given),
                absl::StrCat("update_mask names \"", path, "\"; spell the key as the mask does"));
          }
        }
      }
      if (it == in.attributes().end() || it->second.empty()) {
        next.mutable_attributes()->erase(key);
      } else {
        (*next.mutable_attributes())[key] = it->second;
      }
    } else {
      return Invalid("update_mask",
                     absl::StrCat("cannot update \"", path,
                                  "\" (name, status, owner_group, business_criticality, "
                                  "description, attributes, attributes.<name>)"));
    }
  }
  ITSM_RETURN_IF_ERROR(ValidateCi(catalog, next, resolver, "configuration_item.", &current));
  return next;
}

absl::StatusOr<v1::ConfigurationItem> ApplyImport(const ClassCatalog& catalog,
                                                  const v1::ConfigurationItem* current,
                                                  const v1::ImportItem& item,
                                                  const CiResolver& resolver) {
  v1::ConfigurationItem next;
  if (current != nullptr) {
    next = *current;
    if (current->status() == v1::LIFECYCLE_STATUS_RETIRED) {
      return absl::FailedPreconditionError(
          absl::StrCat("status: CI ", current->id(), " is retired and cannot change"));
    }
  } else {
    // As CreateConfigurationItem: a CI is never born retired.
    if (item.status() == v1::LIFECYCLE_STATUS_RETIRED) {
      return Invalid("status", "a new CI cannot be retired");
    }
    next.set_class_name(item.class_name());
    next.set_name(item.name());
    next.set_status(v1::LIFECYCLE_STATUS_PLANNED);
  }
  if (item.status() != v1::LIFECYCLE_STATUS_UNSPECIFIED) next.set_status(item.status());
  if (!item.owner_group().empty()) next.set_owner_group(item.owner_group());
  if (item.business_criticality() != v1::BUSINESS_CRITICALITY_UNSPECIFIED) {
    next.set_business_criticality(item.business_criticality());
  }
  if (!item.description().empty()) next.set_description(item.description());
  for (const auto& [k, v] : item.attributes()) {
    if (v.empty()) {
      next.mutable_attributes()->erase(k);
    } else {
      (*next.mutable_attributes())[k] = v;
    }
  }
  ITSM_RETURN_IF_ERROR(ValidateCi(catalog, next, resolver, "", current));
  return next;
}

std::vector<common::v1::FieldChange> DiffCi(const v1::ConfigurationItem& before,
                                            const v1::ConfigurationItem& after) {
  std::vector<common::v1::FieldChange> out;
  auto add = [&out](const std::string& field, const std::string& old_value,
                    const std::string& new_value) {
    if (old_value == new_value) return;
    common::v1::FieldChange c;
    c.set_field(field);
    c.set_old_value(old_value);
    c.set_new_value(new_value);
    out.push_back(std::move(c));
  };
  add("class_name", before.class_name(), after.class_name());
  add("name", before.name(), after.name());
  if (before.status() != after.status()) {
    add("status", before.status() ? StatusName(before.status()) : "",
        after.status() ? StatusName(after.status()) : "");
  }
  add("owner_group", before.owner_group(), after.owner_group());
  if (before.business_criticality() != after.business_criticality()) {
    add("business_criticality",
        before.business_criticality() ? CriticalityName(before.business_criticality()) : "",
        after.business_criticality() ? CriticalityName(after.business_criticality()) : "");
  }
  add("description", before.description(), after.description());
  const AttributeMap a = ToMap(before.attributes()), b = ToMap(after.attributes());
  auto ia = a.begin();
  auto ib = b.begin();
  // Merge the two sorted maps so that changes come out sorted by attribute name.
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      add("attributes." + ia->first, ia->second, "");
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      add("attributes." + ib->first, "", ib->second);
      ++ib;
    } else {
      add("attributes." + ia->first, ia->second, ib->second);
      ++ia;
      ++ib;
    }
  }
  return out;
}

}  // namespace itsm::config
