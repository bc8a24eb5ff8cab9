// What changed between two versions of a record, field by field, for the audit trail and for the
// changed_fields of events. Works on any record by reflection, so a field added
// to a record is audited without touching this code.
#ifndef ITSM_RECORDS_RECORD_DIFF_H_
#define ITSM_RECORDS_RECORD_DIFF_H_

#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "itsm/common/v1/common.pb.h"

namespace itsm::records {

// Fields whose values differ, in field-number order, with old and new values as text: enums by
// name, timestamps in RFC 3339, repeated fields as a JSON array, empty when unset. `version` and
// `update_time` change with every write and are left out.
std::vector<common::v1::FieldChange> DiffFields(const google::protobuf::Message& before,
                                                const google::protobuf::Message& after);

std::vector<std::string> FieldNames(const std::vector<common::v1::FieldChange>& changes);

}  // namespace itsm::records

#endif  // ITSM_RECORDS_RECORD_DIFF_H_
