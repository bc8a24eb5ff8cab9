#include "gtest/gtest.h"
#include "itsm/storage/migrations.h"
#include "src/postgres_database.h"
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

TEST(RedactPassword, HidesPasswordsInBothConnectionStringForms) {
  EXPECT_EQ(RedactPassword("postgresql://itsm:s3cret@db:5432/incident?sslmode=require"),
            "postgresql://itsm:***@db:5432/incident?sslmode=require");
  EXPECT_EQ(RedactPassword("host=db user=itsm password=s3cret dbname=x"),
            "host=db user=itsm password=*** dbname=x");
  EXPECT_EQ(RedactPassword("postgresql://db/x?user=u&password=p&sslmode=disable"),
            "postgresql://db/x?user=u&password=***&sslmode=disable");
  EXPECT_EQ(RedactPassword("postgresql://itsm@db/x"), "postgresql://itsm@db/x");
  // libpq's keyword form allows blanks around "=" and quoted values with escapes.
  EXPECT_EQ(RedactPassword("host=db password = 'my \\' secret' dbname=x"),
            "host=db password = *** dbname=x");
  EXPECT_EQ(RedactPassword("host=db password='unterminated"), "host=db password=***");
  EXPECT_EQ(RedactPassword("postgresql://itsm:pw@[db.internal/x"),
            "postgresql://itsm:***@[db.internal/x");
  // An "@" in the password, not percent-encoded: up to the last one.
  EXPECT_EQ(RedactPassword("postgresql://itsm:Secr@tPart2@db.internal/x?sslmode=require"),
            "postgresql://itsm:***@db.internal/x?sslmode=require");
  EXPECT_EQ(RedactPassword("postgresql://itsm@db:5432/x"), "postgresql://itsm@db:5432/x");
}

// libpq takes what follows an unencoded "@" in a password for the host, and names it.
TEST(RedactConnectionError, LeavesNoPieceOfThePassword) {
  EXPECT_EQ(RedactConnectionError("could not translate host name \"tPart2@db.internal\" to address",
                                  "postgresql://itsm:Secr@tPart2@db.internal/x"),
            "could not translate host name \"***@db.internal\" to address");
  EXPECT_EQ(RedactConnectionError("bad URI: \"postgresql://itsm:s3cret@[db/x\"",
                                  "postgresql://itsm:s3cret@[db/x"),
            "bad URI: \"postgresql://itsm:***@[db/x\"");
}

TEST(PostgresDialectOf, TranslatesTheTypesThatDifferAndNothingElse) {
  EXPECT_EQ(PostgresDialectOf("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                              " payload BLOB NOT NULL, blob_size BIGINT, BLOBS TEXT)"),
            "CREATE TABLE t (id BIGSERIAL PRIMARY KEY,"
            " payload BYTEA NOT NULL, blob_size BIGINT, BLOBS TEXT)");
}

}  // namespace
}  // namespace itsm::storage::internal
