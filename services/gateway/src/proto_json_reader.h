// Proto3 JSON read straight into a message by reflection, for the request bodies of the API.
// Protobuf 3.21's JsonStringToMessage converts the JSON to binary through a type resolver and
// parses that binary again: 14 % of the gateway's CPU a POST (perf, bench scenario `gateway`).
//
// This reader takes the forms clients send — objects, lists, strings, booleans, integers and
// decimals in JSON's own grammar, enums by name, Timestamp ("2026-12-04T10:00:00.5Z") and
// Duration ("1.5s") — and declines everything else, leaving it to protobuf's parser: null, map
// fields, bytes, quoted floats or enum numbers, other well-known types, a field given twice in
// one object, a key no field has, objects nested more than 33 deep, malformed JSON, invalid
// UTF-8, values out of range. What it reads, it reads to the message protobuf's parser makes of
// the same text (a differential test holds the two against each other on random API messages
// and mutations of their JSON); what it declines, protobuf's parser reads or refuses with its
// own error, as before.
//
//   if (!ReadProtoJson(body, request)) {
//     request.Clear();
//     status = google::protobuf::util::JsonStringToMessage(body, &request, options);
//   }
#ifndef ITSM_SERVICES_GATEWAY_SRC_PROTO_JSON_READER_H_
#define ITSM_SERVICES_GATEWAY_SRC_PROTO_JSON_READER_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace itsm::gateway {

// True when `json` was read whole into `message` (an object at its root, nothing after it but
// whitespace). False when it holds anything the reader declines: `message` may then be partly
// written, and must be cleared before another parser reads the text.
bool ReadProtoJson(absl::string_view json, google::protobuf::Message& message);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_PROTO_JSON_READER_H_
