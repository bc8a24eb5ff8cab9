// Page tokens for every List call of the suite: one format, opaque to clients, versioned, bound
// to the call and the filter that issued them, and integrity-checked. A token from another list,
// from the same list with another filter or order (AIP-158: the other fields must not change
// between pages), or edited by hand, is refused with INVALID_ARGUMENT on page.page_token instead
// of silently returning some other page.
//
//   const std::string scope = PageScope("itsm.incident.v1.IncidentService/ListIncidents", request);
//   ITSM_ASSIGN_OR_RETURN(std::vector<std::string> after, DecodePageCursor(scope, token));
//   ... rows after `after` (empty for the first page) ...
//   response.set_next_page_token(EncodePageCursor(scope, {last.key, last.seq}));
//
// The position is the sort key of the last row returned (keyset pagination): pages neither
// repeat nor skip rows while records are written.
#ifndef ITSM_RECORDS_PAGE_CURSOR_H_
#define ITSM_RECORDS_PAGE_CURSOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace itsm::records {

// The scope of a page token: the full method name and a fingerprint of the request without its
// `page` field (the filter and the order).
std::string PageScope(absl::string_view method, const google::protobuf::Message& request);

std::string EncodePageCursor(absl::string_view scope, const std::vector<std::string>& position);

// The position a token carries; an empty token is the first page (an empty position).
absl::StatusOr<std::vector<std::string>> DecodePageCursor(absl::string_view scope,
                                                          absl::string_view token);

// A position part written by EncodePageCursor from an integer, read back.
absl::StatusOr<int64_t> CursorInt(const std::string& part);

}  // namespace itsm::records

#endif  // ITSM_RECORDS_PAGE_CURSOR_H_
