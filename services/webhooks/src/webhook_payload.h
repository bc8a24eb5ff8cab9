// What a delivery POSTs: the event in the CloudEvents 1.0 JSON format — its attributes (id,
// source, type, subject, time) and `data`, the event message in the proto3 JSON mapping, rendered
// by libs/events (event_json.h, shared with the gateway's event streams) — and the facts a
// subscription's filter looks at. Built once per event, when it is consumed, and
// stored: every attempt and replay sends the same bytes, so the same signature input.
//
//   {"specversion":"1.0","id":"…","source":"itsm/incident","type":"itsm.incident.v1.IncidentCreated",
//    "subject":"…","time":"2026-11-21T23:54:34.123456Z","datacontenttype":"application/json",
//    "data":{"incident":{…},"changedFields":[…],"actor":"…"}}
#ifndef ITSM_SERVICES_WEBHOOKS_WEBHOOK_PAYLOAD_H_
#define ITSM_SERVICES_WEBHOOKS_WEBHOOK_PAYLOAD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/events/cloud_event.h"
#include "services/webhooks/src/event_filter.h"
#include "services/webhooks/src/webhook_repository.h"

namespace itsm::webhooks {

struct Payload {
  StoredEvent event;  // with its JSON body
  EventFacts facts;
};

// INVALID_ARGUMENT for an event that can never be sent: no ce_id, a type this binary does not
// know, data that does not parse.
absl::StatusOr<Payload> PayloadOf(const events::CloudEvent& event);

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_WEBHOOK_PAYLOAD_H_
