// Which events a subscription wants: by ce_type (exact, a "prefix.*" wildcard, or "*") and,
// optionally, by record (the event's subject, or the id, number or service of the record the
// event carries). Pure: no I/O.
//
//   EventFilter f({"itsm.incident.v1.*"}, "mail");
//   f.Matches({.type = "itsm.incident.v1.IncidentCreated", .subject = id, .record_keys = keys});
#ifndef ITSM_SERVICES_WEBHOOKS_EVENT_FILTER_H_
#define ITSM_SERVICES_WEBHOOKS_EVENT_FILTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "itsm/events/event_json.h"

namespace itsm::webhooks {

// Patterns are libs/events' (shared with the gateway's event streams).
using events::CheckEventTypePattern;
using events::TypeMatches;

// What a filter looks at in an event.
struct EventFacts {
  std::string type;     // ce_type
  std::string subject;  // ce_subject: the record id
  // Ids, numbers and services of the records the event carries (RecordKeysOf).
  std::vector<std::string> record_keys;
};

class EventFilter {
 public:
  EventFilter(std::vector<std::string> type_patterns, std::string record_filter)
      : type_patterns_(std::move(type_patterns)), record_filter_(std::move(record_filter)) {}
  bool Matches(const EventFacts& event) const;

 private:
  std::vector<std::string> type_patterns_;
  std::string record_filter_;
};

// The values a record filter can name in an event message: for each record the event carries
// (a singular message field, e.g. `incident`), its `id`, `number` and `service` string fields and
// every entry of a repeated string field `services`. Found by reflection, so every topic's
// events work without a table per type.
std::vector<std::string> RecordKeysOf(const google::protobuf::Message& event);

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_EVENT_FILTER_H_
