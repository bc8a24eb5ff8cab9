// Where a List call's page starts: its size (0 → the list's default; out of range →
// INVALID_ARGUMENT naming page.page_size) and the position its token carries (the shared page
// cursor, scoped to the method and the request without its page; a token of another shape →
// INVALID_ARGUMENT naming page.page_token). One reading of a PageRequest for every list.
//
//   ITSM_ASSIGN_OR_RETURN(PageStart start, StartPage(kListContracts, request, request.page(),
//                                                    {.default_size = 50, .max_size = 500,
//                                                     .position_parts = 1}));
//   ... rows after start.after, start.size + 1 of them ...
//   token = EncodePageCursor(start.scope, {last.seq});
#ifndef ITSM_RECORDS_PAGE_START_H_
#define ITSM_RECORDS_PAGE_START_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/records/page_cursor.h"
#include "itsm/storage/database.h"

namespace itsm::records {

// The records' bytes one page may carry: a page of large records ends early, with a next page
// token, below the 4 MiB that gRPC clients receive at most unless they raise the limit.
inline constexpr size_t kMaxPageBytes = 3 << 20;

// How many of a page's `rows` (read with one more than the page's size) it shows: at most
// `size`, and fewer once the stored records in `column` would carry more than kMaxPageBytes (the
// first row always shows). A next page follows when rows.size() is larger than the result.
inline size_t RowsOnPage(const storage::ResultSet& rows, size_t column, int size) {
  const size_t most = std::min(rows.size(), static_cast<size_t>(std::max(size, 0)));
  size_t bytes = 0;
  for (size_t i = 0; i < most; ++i) {
    bytes += rows.row(i)[column].AsString().size();
    if (i > 0 && bytes > kMaxPageBytes) return i;
  }
  return most;
}

struct PageShape {
  int default_size = 50;
  int max_size = 500;
  // How many parts a token of this list carries.
  size_t position_parts = 1;
};

struct PageStart {
  int size = 0;
  std::string scope;               // for EncodePageCursor
  std::vector<std::string> after;  // empty: the first page
};

inline absl::StatusOr<PageStart> StartPage(absl::string_view method,
                                           const google::protobuf::Message& request,
                                           const common::v1::PageRequest& page, PageShape shape) {
  PageStart start;
  start.size = page.page_size();
  if (start.size < 0 || start.size > shape.max_size) {
    return base::FieldError("page.page_size",
                            absl::StrCat("must be 0..", shape.max_size, ", got ", start.size));
  }
  if (start.size == 0) start.size = shape.default_size;
  start.scope = PageScope(method, request);
  ITSM_ASSIGN_OR_RETURN(start.after, DecodePageCursor(start.scope, page.page_token()));
  if (!start.after.empty() && start.after.size() != shape.position_parts) {
    return base::FieldError("page.page_token", "not a token this service issued");
  }
  return start;
}

}  // namespace itsm::records

#endif  // ITSM_RECORDS_PAGE_START_H_
