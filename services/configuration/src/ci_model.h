// The rules of configuration items, with no SQL or gRPC: validating a CI against its class,
// applying an update mask or an import item to a CI, and the field-by-field difference between
// two versions (for the history, the events' changed_fields and baseline drift).
#ifndef ITSM_SERVICES_CONFIGURATION_CI_MODEL_H_
#define ITSM_SERVICES_CONFIGURATION_CI_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/config/v1/config.pb.h"
#include "services/configuration/src/class_catalog.h"

namespace itsm::config {

// Checks the CI's own fields (class, name, status, owner_group, criticality, description) and
// its attributes, and canonicalises the attributes in place. Errors name the field with
// `prefix` in front ("" for create requests, "configuration_item." for updates). `stored`: the
// CI as it is before an update or import (its references kept may name retired CIs).
absl::Status ValidateCi(const ClassCatalog& catalog, v1::ConfigurationItem& ci,
                        const CiResolver& resolver, const std::string& prefix = "",
                        const v1::ConfigurationItem* stored = nullptr);

// A candidate CI from a create request: status PLANNED when unspecified; RETIRED refused. No id,
// times or version yet.
absl::StatusOr<v1::ConfigurationItem> CiFromCreate(
    const ClassCatalog& catalog, const v1::CreateConfigurationItemRequest& request,
    const CiResolver& resolver);

// `current` with the update applied and validated (the caller sets times and version).
// INVALID_ARGUMENT for a bad mask or value; FAILED_PRECONDITION when `current` is retired.
absl::StatusOr<v1::ConfigurationItem> ApplyUpdate(const ClassCatalog& catalog,
                                                  const v1::ConfigurationItem& current,
                                                  const v1::UpdateConfigurationItemRequest& request,
                                                  const CiResolver& resolver);

// `current` (or a new CI when null) merged with an import item and validated.
absl::StatusOr<v1::ConfigurationItem> ApplyImport(const ClassCatalog& catalog,
                                                  const v1::ConfigurationItem* current,
                                                  const v1::ImportItem& item,
                                                  const CiResolver& resolver);

// Fields that differ: name, status, owner_group, business_criticality, description and
// attributes.<name>; values rendered as text (enums by their short lower-case name).
std::vector<common::v1::FieldChange> DiffCi(const v1::ConfigurationItem& before,
                                            const v1::ConfigurationItem& after);

// "live" for LIFECYCLE_STATUS_LIVE, "critical" for BUSINESS_CRITICALITY_CRITICAL, ...
std::string StatusName(v1::LifecycleStatus s);
std::string CriticalityName(v1::BusinessCriticality c);
std::string RelationshipTypeName(v1::RelationshipType t);

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_CI_MODEL_H_
