#include "itsm/records/page_cursor.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/records/page_start.h"

namespace itsm::records {
namespace {

constexpr char kList[] = "itsm.incident.v1.IncidentService/ListIncidents";

// A page shows up to its size, and fewer rows once their records pass kMaxPageBytes; the first
// row always shows, however large.
TEST(PageBytes, APageEndsBeforeItsRecordsPassTheLimit) {
  auto rows_of = [](std::vector<size_t> sizes) {
    std::vector<std::vector<storage::Value>> rows;
    for (size_t n : sizes)
      rows.push_back({storage::Value(int64_t{1}), storage::Value(std::string(n, 'x'))});
    return storage::ResultSet({"seq", "data"}, std::move(rows));
  };
  const size_t mib = size_t{1} << 20;
  EXPECT_EQ(RowsOnPage(rows_of({10, 10, 10}), 1, 2), 2u);
  EXPECT_EQ(RowsOnPage(rows_of({10, 10}), 1, 50), 2u);
  EXPECT_EQ(RowsOnPage(rows_of({}), 1, 50), 0u);
  EXPECT_EQ(RowsOnPage(rows_of({mib, mib, mib, 1}), 1, 50), 3u);  // exactly 3 MiB: fits
  EXPECT_EQ(RowsOnPage(rows_of({mib, mib, mib, 1, 1}), 1, 50), 3u);
  EXPECT_EQ(RowsOnPage(rows_of({mib, 2 * mib + 1}), 1, 50), 1u);
  EXPECT_EQ(RowsOnPage(rows_of({8 * mib, 1}), 1, 50), 1u) << "the first row always shows";
}

TEST(PageCursor, RoundTripsAnyPositionIncludingBinaryParts) {
  incident::v1::ListIncidentsRequest r;
  const std::string scope = PageScope(kList, r);
  const std::vector<std::string> position = {"P1", std::string("a\0b", 3), "", "42"};
  auto back = DecodePageCursor(scope, EncodePageCursor(scope, position));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, position);
  EXPECT_EQ(*CursorInt((*back)[3]), 42);
  EXPECT_TRUE(DecodePageCursor(scope, "")->empty());
}

TEST(PageCursor, ThePageItselfIsNotPartOfTheScope) {
  incident::v1::ListIncidentsRequest first;
  first.mutable_page()->set_page_size(10);
  incident::v1::ListIncidentsRequest next = first;
  next.mutable_page()->set_page_token("anything");
  next.mutable_page()->set_page_size(20);
  EXPECT_EQ(PageScope(kList, first), PageScope(kList, next));
}

TEST(PageCursor, ATokenOfAnotherFilterOrderOrListIsRefused) {
  incident::v1::ListIncidentsRequest r;
  r.set_assignment_group("network");
  const std::string token = EncodePageCursor(PageScope(kList, r), {"7"});
  incident::v1::ListIncidentsRequest other = r;
  other.set_order_by(incident::v1::INCIDENT_ORDER_PRIORITY);
  auto refused = DecodePageCursor(PageScope(kList, other), token);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message().rfind("page.page_token: not issued for this list", 0), 0u);
  EXPECT_FALSE(DecodePageCursor(PageScope("other/List", r), token).ok());
}

TEST(PageCursor, EditedTruncatedOrForeignTokensAreRefused) {
  incident::v1::ListIncidentsRequest r;
  const std::string scope = PageScope(kList, r);
  std::string token = EncodePageCursor(scope, {"1000"});
  for (const std::string& bad :
       {std::string("garbage"), token.substr(0, token.size() - 2), std::string("AAAA"),
        token.substr(0, 4) + (token[4] == 'A' ? "B" : "A") + token.substr(5)}) {
    auto decoded = DecodePageCursor(scope, bad);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(decoded.status().message().rfind("page.page_token: ", 0), 0u);
  }
}

}  // namespace
}  // namespace itsm::records
