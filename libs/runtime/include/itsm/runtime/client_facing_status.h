// What a client is told of a failure: private errors (storage, itsm/base/error_detail.h) and
// INTERNAL/UNKNOWN/DATA_LOSS become a generic message with the request id, so that no SQL,
// database text or peer address is ever sent; the detail is logged under that request id. Used
// by the services' gRPC answers (ToGrpcStatus) and by the gateway's own.
#ifndef ITSM_RUNTIME_CLIENT_FACING_STATUS_H_
#define ITSM_RUNTIME_CLIENT_FACING_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace itsm::runtime {

// The status as a client is told it: the generic message of a private or internal error (its
// detail logged under `request_id`), any other as it is.
absl::Status ClientFacingStatus(const absl::Status& status, absl::string_view request_id);

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_CLIENT_FACING_STATUS_H_
