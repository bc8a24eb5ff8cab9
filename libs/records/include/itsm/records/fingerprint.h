// Identifies a create request's content, so that reusing an idempotency key for a different
// request is refused rather than answered with the first record.
#ifndef ITSM_RECORDS_FINGERPRINT_H_
#define ITSM_RECORDS_FINGERPRINT_H_

#include <string>

#include "google/protobuf/message.h"

namespace itsm::records {

// 16 hex digits of FNV-1a over the deterministic serialisation. Stored with the key, so it must
// stay stable across builds and releases; it only tells requests apart (not a security hash).
std::string RequestFingerprint(const google::protobuf::Message& request);

}  // namespace itsm::records

#endif  // ITSM_RECORDS_FINGERPRINT_H_
