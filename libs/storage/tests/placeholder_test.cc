#include "gtest/gtest.h"
#include "src/sqlite_database.h"

namespace itsm::storage::internal {
namespace {

TEST(RewritePlaceholdersForSqlite, NumbersBecomeNumberedQuestionMarks) {
  EXPECT_EQ(RewritePlaceholdersForSqlite("SELECT $2, $10 FROM t WHERE a = $1"),
            "SELECT ?2, ?10 FROM t WHERE a = ?1");
}

TEST(RewritePlaceholdersForSqlite, QuotedTextIsLeftAlone) {
  EXPECT_EQ(RewritePlaceholdersForSqlite("SELECT '$1', \"$2\" WHERE x = $3"),
            "SELECT '$1', \"$2\" WHERE x = ?3");
}

}  // namespace
}  // namespace itsm::storage::internal
