// Identifies a message's content in 16 hex digits: a create request's, so that reusing an
// idempotency key for a different request is refused rather than answered with the first record;
// a list filter's, bound into its page cursors; an answer's, as the gateway's ETag of a list.
#ifndef ITSM_BASE_MESSAGE_FINGERPRINT_H_
#define ITSM_BASE_MESSAGE_FINGERPRINT_H_

#include <string>

#include "google/protobuf/message.h"

namespace itsm::base {

// FNV-1a over the deterministic serialisation. Stored with idempotency keys and compared across
// gateway replicas, so it must stay stable across builds and releases; it only tells contents
// apart (not a security hash).
std::string MessageFingerprint(const google::protobuf::Message& message);

}  // namespace itsm::base

#endif  // ITSM_BASE_MESSAGE_FINGERPRINT_H_
