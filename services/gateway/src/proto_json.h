// Proto3 JSON of a message, written straight from reflection. Protobuf 3.21's MessageToJsonString
// serialises the message to binary, parses that again through a type resolver and, to print
// default values, builds a tree of every field first: a quarter of the gateway's CPU per GET
// (perf, bench scenario `gateway`). This writes the same JSON in one walk.
//
// Output as MessageToJsonString with always_print_primitive_fields: lowerCamel names; every
// scalar, repeated and map field printed (defaults included), a message or oneof member or
// proto3 `optional` field only when set; 64-bit integers as strings, enums by name (numbers when
// unknown), bytes in base64, NaN and infinities as strings; Timestamp, Duration and FieldMask in
// their JSON forms. Messages holding other well-known types (Any, Struct, wrappers...) go to
// MessageToJsonString, so every message prints correctly.
//
//   std::string json = ProtoJson(response);
#ifndef ITSM_SERVICES_GATEWAY_SRC_PROTO_JSON_H_
#define ITSM_SERVICES_GATEWAY_SRC_PROTO_JSON_H_

#include <string>

#include "google/protobuf/message.h"

namespace itsm::gateway {

std::string ProtoJson(const google::protobuf::Message& message);

// Whether ProtoJson writes `type` itself (else it hands the message to MessageToJsonString).
bool ProtoJsonWritesDirectly(const google::protobuf::Descriptor& type);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_PROTO_JSON_H_
