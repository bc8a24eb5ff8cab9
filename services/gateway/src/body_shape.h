// Where a request body's JSON has the wrong shape for its request: an object, a list or a single
// value where the field holds another kind (an object as a map's string value, a list for a
// single message), or a number where text belongs. Read on the refusal path only, after
// protobuf's parser refused the body, whose words may name no field ("JSON transcoder produced
// invalid protobuf output"), a map's entry by its position (`labels[1].value`) or a list by its
// name alone: this names the field by its path in proto names, with list positions and map keys
// (`alerts[0].labels["team"]`).
//
//   if (std::optional<ShapeMismatch> m = FindShapeMismatch(body, *request.GetDescriptor())) {
//     return base::FieldError(m->field, m->description);
//   }
#ifndef ITSM_SERVICES_GATEWAY_SRC_BODY_SHAPE_H_
#define ITSM_SERVICES_GATEWAY_SRC_BODY_SHAPE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace itsm::gateway {

struct ShapeMismatch {
  std::string field;        // "alerts[0].labels[\"team\"]"
  std::string description;  // "an object where a string is expected"
};

// The first mismatch in `json` (an object) against `type`, keys taken in sorted order so that
// the answer does not depend on a map's order; nullopt when `json` is not a JSON object or its
// shape fits (what is wrong is then a value, which protobuf's parser names).
std::optional<ShapeMismatch> FindShapeMismatch(absl::string_view json,
                                               const google::protobuf::Descriptor& type);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_BODY_SHAPE_H_
