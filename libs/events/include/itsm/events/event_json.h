// Events as clients outside Kafka see them: the CloudEvents 1.0 JSON format, `data` in the proto3
// JSON mapping. One renderer for every such client — webhook deliveries (services/webhooks) and
// the gateway's Server-Sent Events (GET /v1/events) send the same bytes for one event. Also the
// event-type patterns both accept ("itsm.incident.v1.IncidentCreated", "itsm.incident.v1.*", "*").
//
//   ITSM_ASSIGN_OR_RETURN(RenderedEvent r, RenderCloudEventJson(event));
//   // r.json == {"specversion":"1.0","id":"…","source":"itsm/incident",
//   //            "type":"itsm.incident.v1.IncidentCreated","subject":"…",
//   //            "time":"2026-11-21T23:54:34.123456Z","datacontenttype":"application/json",
//   //            "data":{"incident":{…},"actor":"…"}}
#ifndef ITSM_EVENTS_EVENT_JSON_H_
#define ITSM_EVENTS_EVENT_JSON_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "itsm/events/cloud_event.h"

namespace itsm::events {

struct RenderedEvent {
  // One line: no raw newline (JSON strings escape theirs), so it fits an SSE `data:` field.
  std::string json = {};
  // The event message, decoded (what a record filter or an authorisation rule looks at).
  std::unique_ptr<google::protobuf::Message> message = {};
};

// INVALID_ARGUMENT for an event that can never be rendered: no ce_id, a type this binary does
// not know (its messages are found by ce_type among the compiled types), data that does not parse.
absl::StatusOr<RenderedEvent> RenderCloudEventJson(const CloudEvent& event);

// FAILED_PRECONDITION naming the first topic whose event messages (itsm/<domain>/v1/events.proto
// for itsm.<domain>.v1) are not compiled into this binary: its events could not be rendered.
absl::Status CheckEventTypesLinked(const std::vector<std::string>& topics);

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

// INVALID_ARGUMENT naming `field` unless `pattern` is "*", a full name of letters, digits, '_'
// and '.', or such a name ending in ".*".
absl::Status CheckEventTypePattern(const std::string& field, const std::string& pattern);

// INVALID_ARGUMENT naming `field` unless `pattern` is well formed (CheckEventTypePattern) and
// matches at least one event type of `topics` (the messages of itsm/<domain>/v1/events.proto for
// itsm.<domain>.v1): a misspelt type ("IncidentCreatd") would otherwise never match, silently.
absl::Status CheckEventTypePatternOf(const std::string& field, const std::string& pattern,
                                     const std::vector<std::string>& topics);

// Whether `type` is `pattern`, or starts with its prefix before ".*" (the dot kept:
// "itsm.incident.v1.*" does not match "itsm.incident.v10.X"), or pattern is "*".
bool TypeMatches(const std::string& pattern, const std::string& type);

}  // namespace itsm::events

#endif  // ITSM_EVENTS_EVENT_JSON_H_
