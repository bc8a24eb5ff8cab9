// The WAL of a SQLite database with synchronous=FULL is written through a VFS that gathers a
// commit's frame writes (src/sqlite_wal_gathering.h). These tests hold it to what SQLite's own
// writes guarantee: a commit is visible to every connection and survives the process, a
// transaction that did not commit leaves nothing, whether the process closes or is killed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"

namespace itsm::storage {
namespace {

const std::vector<Migration>& Items() {
  static const std::vector<Migration> kMigrations = {
      {1, "create items", "CREATE TABLE items (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)", ""},
  };
  return kMigrations;
}

std::unique_ptr<Database> Open(const std::string& path, bool synchronous_full = true,
                               int64_t mmap_bytes = DatabaseOptions().sqlite_mmap_bytes) {
  DatabaseOptions options;
  options.sqlite_synchronous_full = synchronous_full;
  options.sqlite_mmap_bytes = mmap_bytes;
  auto db = OpenDatabase("sqlite://" + path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return nullptr;
  EXPECT_TRUE(ApplyMigrations(**db, "test", Items()).ok());
  return std::move(*db);
}

// Inserts rows [from, to) in one transaction, committed when `commit`.
void Insert(Database& db, int from, int to, bool commit = true) {
  auto txn = db.Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok()) << txn.status();
  for (int i = from; i < to; ++i) {
    // 1 KB rows with distinct bytes: a frame written out of order would show as a wrong row.
    auto inserted =
        (*txn)->Execute("INSERT INTO items(id, payload) VALUES ($1, $2)",
                        {int64_t{i}, Bytes{std::string(1000, static_cast<char>('a' + i % 26))}});
    ASSERT_TRUE(inserted.ok()) << inserted.status();
  }
  if (commit) {
    const absl::Status committed = (*txn)->Commit();
    ASSERT_TRUE(committed.ok()) << committed;
  }
}

// Rows, the sum of their ids, and whether every row holds the bytes its id gave it.
struct Contents {
  int64_t rows = -1;
  int64_t id_sum = -1;
  bool payloads_match = false;
  std::string integrity;
};

Contents Read(Database& db) {
  Contents c;
  auto txn = db.Begin(TransactionMode::kReadOnly);
  EXPECT_TRUE(txn.ok()) << txn.status();
  if (!txn.ok()) return c;
  auto rows = (*txn)->Query(
      "SELECT COUNT(*), COALESCE(SUM(id), 0), COALESCE(SUM(payload <> CAST(replace("
      "hex(zeroblob(1000)), '00', char(97 + id % 26)) AS BLOB)), 0) FROM items");
  EXPECT_TRUE(rows.ok()) << rows.status();
  if (!rows.ok()) return c;
  c.rows = rows->row(0)[0].AsInt();
  c.id_sum = rows->row(0)[1].AsInt();
  c.payloads_match = rows->row(0)[2].AsInt() == 0;
  auto check = (*txn)->Query("PRAGMA integrity_check");
  EXPECT_TRUE(check.ok()) << check.status();
  if (check.ok()) c.integrity = check->row(0)[0].AsString();
  return c;
}

int64_t SumOfIds(int from, int to) { return int64_t{to - 1 + from} * (to - from) / 2; }

// The database holds `rows` intact rows whose ids sum to `id_sum`, and passes SQLite's check.
void ExpectHolds(Database& db, int64_t rows, int64_t id_sum) {
  const Contents c = Read(db);
  EXPECT_EQ(c.rows, rows);
  EXPECT_EQ(c.id_sum, id_sum);
  EXPECT_TRUE(c.payloads_match);
  EXPECT_EQ(c.integrity, "ok");
}

// `commits` commits of `rows` rows each through `writer`, each counted at once through `reader`
// (connections of its own, as another process's would be).
void ExpectEachCommitSeen(Database& writer, Database& reader, int commits, int rows) {
  for (int i = 0; i < commits; ++i) {
    Insert(writer, i * rows, (i + 1) * rows);
    auto read = reader.Begin(TransactionMode::kReadOnly);
    ASSERT_TRUE(read.ok());
    auto counted = (*read)->Query("SELECT COUNT(*) FROM items");
    ASSERT_TRUE(counted.ok());
    ASSERT_EQ(counted->row(0)[0].AsInt(), (i + 1) * rows);
  }
}

TEST(SqliteWal, ACommitIsSeenByOtherConnectionsAndAfterReopening) {
  itsm::testing::ScratchDir dir;
  const std::string path = dir.File("items.sqlite");
  {
    auto db = Open(path);
    ASSERT_NE(db, nullptr);
    auto other = Open(path);
    ASSERT_NE(other, nullptr);
    // Small commits, then one of about 3 MB: more than the VFS gathers at once, and past SQLite's
    // automatic checkpoint, which reads the log back.
    ExpectEachCommitSeen(*db, *other, 50, 10);
    Insert(*db, 500, 3500);
    ExpectHolds(*other, 3500, SumOfIds(0, 3500));
  }
  auto reopened = Open(path);
  ASSERT_NE(reopened, nullptr);
  ExpectHolds(*reopened, 3500, SumOfIds(0, 3500));
}

TEST(SqliteWal, ARolledBackTransactionLeavesNothing) {
  itsm::testing::ScratchDir dir;
  auto db = Open(dir.File("items.sqlite"));
  ASSERT_NE(db, nullptr);
  Insert(*db, 0, 100);
  Insert(*db, 100, 2000, /*commit=*/false);  // frames written, some still gathered, no commit
  Insert(*db, 2000, 2100);
  ExpectHolds(*db, 200, SumOfIds(0, 100) + SumOfIds(2000, 2100));
}

// A child process commits, then writes a transaction it never commits and is killed with
// SIGKILL while its frames are partly in the file and partly gathered in memory.
void CommitThenDieWithoutCommitting(const std::string& path, int committed_rows) {
  auto db = Open(path);
  if (db == nullptr) _exit(2);
  Insert(*db, 0, committed_rows);
  Insert(*db, committed_rows, committed_rows + 1500, /*commit=*/false);
  kill(getpid(), SIGKILL);
}

TEST(SqliteWal, AKilledProcessKeepsEveryCommitAndNothingElse) {
  itsm::testing::ScratchDir dir;
  const std::string path = dir.File("items.sqlite");
  // Created before the child, so that the child's writes go to an existing log.
  { ASSERT_NE(Open(path), nullptr); }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) CommitThenDieWithoutCommitting(path, 700);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

  auto db = Open(path);
  ASSERT_NE(db, nullptr);
  ExpectHolds(*db, 700, SumOfIds(0, 700));
  // And the recovered log takes new commits.
  Insert(*db, 5000, 5010);
  EXPECT_EQ(Read(*db).rows, 710);
}

TEST(SqliteWal, SynchronousNormalWritesTheLogAsSqliteDoes) {
  itsm::testing::ScratchDir dir;
  auto db = Open(dir.File("items.sqlite"), /*synchronous_full=*/false);
  ASSERT_NE(db, nullptr);
  auto other = Open(dir.File("items.sqlite"), /*synchronous_full=*/false);
  ASSERT_NE(other, nullptr);
  ExpectEachCommitSeen(*db, *other, 20, 50);
  ExpectHolds(*db, 1000, SumOfIds(0, 1000));
}

// The database file is read through a memory map of the configured size (decision 224), on every
// reading connection of the pool (the writing one reads by copy); a map smaller than the file
// reads the rest as before, and 0 maps nothing. Each size sees every commit, before and after the
// checkpoints move it into the file.
TEST(SqliteWal, ReadsThroughAMemoryMapOfTheConfiguredSize) {
  for (const int64_t mmap_bytes : {int64_t{0}, int64_t{64} << 10, int64_t{256} << 20}) {
    SCOPED_TRACE(mmap_bytes);
    itsm::testing::ScratchDir dir;
    auto db = Open(dir.File("items.sqlite"), /*synchronous_full=*/true, mmap_bytes);
    ASSERT_NE(db, nullptr);
    std::vector<std::unique_ptr<Transaction>> readers;  // held open: each on its own connection
    for (int i = 0; i < DatabaseOptions().pool_size; ++i) {
      auto txn = db->Begin(TransactionMode::kReadOnly);
      ASSERT_TRUE(txn.ok()) << txn.status();
      auto size = (*txn)->Query("PRAGMA mmap_size");
      ASSERT_TRUE(size.ok()) << size.status();
      EXPECT_EQ(size->row(0)[0].AsInt(), mmap_bytes);
      readers.push_back(*std::move(txn));
    }
    readers.clear();
    // Writes have a connection of their own, which reads by copy.
    {
      auto write = db->Begin(TransactionMode::kReadWrite);
      ASSERT_TRUE(write.ok()) << write.status();
      auto size = (*write)->Query("PRAGMA mmap_size");
      ASSERT_TRUE(size.ok()) << size.status();
      EXPECT_EQ(size->row(0)[0].AsInt(), 0);
    }
    // About 5 MB: past the small map, and past SQLite's automatic checkpoint.
    auto other = Open(dir.File("items.sqlite"), /*synchronous_full=*/true, mmap_bytes);
    ASSERT_NE(other, nullptr);
    ExpectEachCommitSeen(*db, *other, 10, 500);
    ExpectHolds(*other, 5000, SumOfIds(0, 5000));
  }
}

}  // namespace
}  // namespace itsm::storage
