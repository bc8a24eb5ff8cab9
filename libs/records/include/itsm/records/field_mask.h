// Update masks (google.protobuf.FieldMask): which fields an Update call may change, checked in one
// place, and applied by reflection so that a field added to a record needs one line in its
// UpdatableFields and nothing else.
//
//   const UpdatableFields kIncidentFields{
//       .paths = {"title", "description", "impact", ...},
//       .elsewhere = {{"state", "TransitionIncident"}, {"resolve_time", "TransitionIncident"}}};
//   ITSM_RETURN_IF_ERROR(CheckUpdateMask(request.update_mask(), kIncidentFields));
//   ApplyUpdateMask(request.update_mask(), request.incident(), after);
#ifndef ITSM_RECORDS_FIELD_MASK_H_
#define ITSM_RECORDS_FIELD_MASK_H_

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"

namespace itsm::records {

struct UpdatableFields {
  // Top-level fields an Update may change.
  std::set<std::string> paths;
  // Fields that change through another call: path → that call ("TransitionIncident").
  std::map<std::string, std::string> elsewhere = {};
};

// INVALID_ARGUMENT naming update_mask when the mask is empty, names a field twice, names a field
// that changes through another call ("\"state\" changes through TransitionIncident"), or one
// that is unknown or read-only.
absl::Status CheckUpdateMask(const google::protobuf::FieldMask& mask,
                             const UpdatableFields& fields);

// Copies the fields the mask names from `from` into `to`, replacing them whole (lists too); an
// unset field in `from` clears it in `to`. The mask is assumed checked.
void ApplyUpdateMask(const google::protobuf::FieldMask& mask, const google::protobuf::Message& from,
                     google::protobuf::Message& to);

// Whether the mask names `path`, for work an update needs only when a given field changes.
bool MaskNames(const google::protobuf::FieldMask& mask, std::string_view path);

}  // namespace itsm::records

#endif  // ITSM_RECORDS_FIELD_MASK_H_
