#include "itsm/slamodel/coverage.h"

#include <algorithm>

namespace itsm::slamodel {
namespace {

bool Listed(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

}  // namespace

bool Covers(const sla::v1::SlaDefinition& definition, const CoverageFields& record) {
  if (definition.record_kind() != record.record_kind) return false;
  const auto& c = definition.coverage();
  if (!Listed(c.services(), record.service)) return false;
  if (c.ci_classes_size() > 0 && !Listed(c.ci_classes(), record.ci_class)) return false;
  if (c.categories_size() > 0 && !Listed(c.categories(), record.category)) return false;
  if (c.request_types_size() > 0 && !Listed(c.request_types(), record.request_type)) return false;
  return true;
}

}  // namespace itsm::slamodel
