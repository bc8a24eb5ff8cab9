// Checks of the record references a request carries (a record's id or number, lists of ids of
// CIs, changes, incidents...), the same wording in every service. Their number and length are the
// request's declared field limits, checked before any rule.
#ifndef ITSM_RECORDS_RECORD_IDS_H_
#define ITSM_RECORDS_RECORD_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace itsm::records {

// INVALID_ARGUMENT "<field>: required" for an empty record id or number.
absl::Status CheckId(const std::string& id, const char* field = "id");

// A list of record ids has no empty entry: INVALID_ARGUMENT "<field>[i]: empty".
absl::Status CheckIds(const char* field,
                      const google::protobuf::RepeatedPtrField<std::string>& ids);

}  // namespace itsm::records

#endif  // ITSM_RECORDS_RECORD_IDS_H_
