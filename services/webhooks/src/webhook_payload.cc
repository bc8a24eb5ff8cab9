#include "services/webhooks/src/webhook_payload.h"

#include "itsm/events/event_json.h"

namespace itsm::webhooks {

absl::StatusOr<Payload> PayloadOf(const events::CloudEvent& event) {
  absl::StatusOr<events::RenderedEvent> rendered = events::RenderCloudEventJson(event);
  if (!rendered.ok()) return rendered.status();
  Payload p;
  p.event.id = event.id;
  p.event.type = event.type;
  p.event.source = event.source;
  p.event.subject = event.subject;
  p.event.time = event.time;
  p.event.body = std::move(rendered->json);
  p.facts = {event.type, event.subject, RecordKeysOf(*rendered->message)};
  return p;
}

}  // namespace itsm::webhooks
