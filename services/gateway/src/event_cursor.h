// The position of an event stream (GET /v1/events), carried by each event's SSE `id` and sent
// back by a reconnecting client as Last-Event-ID. One event's offset says nothing about where
// the other partitions were, so the id holds the whole cursor — the next offset of every
// partition of every topic the gateway serves — and then the event's ce_id:
//
//   <cursor>.<ce_id>      after an event       (ce_id for the client's own de-duplication)
//   <cursor>              after skipped events (a heartbeat's id: filtered events need no rescan)
//
// <cursor> is base64url (no padding) of: version 2, the FNV-1a hash of the broker's cluster id
// (4 bytes), the topic count, per topic the FNV-1a hash of its name (4 bytes) with its partition
// count and next offsets (varints), and an FNV-1a checksum of all that (4 bytes). Five topics of
// four partitions take ~115 characters. Offsets mean nothing on another broker (one that lost its
// data and was filled again): the cluster id tells. Version 1, without it, is still read.
//
//   EventCursor c{.next = {{"itsm.incident.v1", {12, 40}}}};
//   std::string id = EventId(EncodeCursor(c), "3f2a…");
//   ITSM_ASSIGN_OR_RETURN(LastEventId back, ParseLastEventId(id, {"itsm.incident.v1"}));
#ifndef ITSM_SERVICES_GATEWAY_SRC_EVENT_CURSOR_H_
#define ITSM_SERVICES_GATEWAY_SRC_EVENT_CURSOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::gateway {

inline constexpr char kLastEventIdHeader[] = "Last-Event-ID";
// Limits of what a Last-Event-ID may hold.
inline constexpr size_t kMaxLastEventIdBytes = 4096;
inline constexpr size_t kMaxCursorTopics = 64;
inline constexpr size_t kMaxCursorPartitions = 4096;

struct EventCursor {
  // ClusterHash of the broker the offsets are of; 0: not known (an id of version 1).
  uint32_t cluster = 0;
  // Topic -> the next offset to deliver of each partition (index = partition number).
  std::map<std::string, std::vector<int64_t>> next = {};
  bool operator==(const EventCursor& other) const {
    return cluster == other.cluster && next == other.next;
  }
};

// The cursor's tag of a broker's cluster id (never 0).
uint32_t ClusterHash(absl::string_view cluster_id);

struct LastEventId {
  EventCursor cursor = {};
  std::string ce_id = {};  // "" for a heartbeat's id
};

std::string EncodeCursor(const EventCursor& cursor);
std::string EventId(absl::string_view encoded_cursor, absl::string_view ce_id);

// INVALID_ARGUMENT naming Last-Event-ID for anything this gateway did not write: malformed,
// checksum wrong, another version, a topic not in `topics` (another deployment's id), too large.
absl::StatusOr<LastEventId> ParseLastEventId(absl::string_view text,
                                             const std::vector<std::string>& topics);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_EVENT_CURSOR_H_
