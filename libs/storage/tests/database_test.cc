#include "itsm/storage/database.h"

#include <sys/stat.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/counter.h"
#include "itsm/storage/errors.h"
#include "itsm/storage/migrations.h"
#include "itsm/storage/savepoint.h"
#include "itsm/testing/test_env.h"

namespace itsm::storage {
namespace {

using ::itsm::testing::Backend;

const std::vector<Migration>& TestMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "create items",
       "CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL, r DOUBLE PRECISION,"
       " payload BLOB, note TEXT)",
       "CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL, r DOUBLE PRECISION,"
       " payload BYTEA, note TEXT)"},
      {2, "index n", "CREATE INDEX items_n ON items(n)", ""},
  };
  return kMigrations;
}

class DatabaseTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(ApplyMigrations(*db_, "test", TestMigrations()).ok());
  }

  int64_t CountItems() {
    auto txn = db_->Begin(TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    auto rows = (*txn)->Query("SELECT COUNT(*) FROM items");
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows->row(0)[0].AsInt();
  }

  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, ValuesRoundTripWithTheirTypes) {
  const std::string binary("\0\x01\xff\x7f'\"\\x", 9);
  {
    auto txn = db_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    auto n =
        (*txn)->Execute("INSERT INTO items(id, n, r, payload, note) VALUES ($1, $2, $3, $4, $5)",
                        {"a'; DROP TABLE items; --", int64_t{1} << 40, 2.5, Bytes{binary}, Null{}});
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, 1);
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto txn = db_->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  auto rows =
      (*txn)->Query("SELECT id, n, r, payload, note FROM items WHERE n = $1", {int64_t{1} << 40});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const auto& row = rows->row(0);
  EXPECT_EQ(row[0].AsString(), "a'; DROP TABLE items; --");
  EXPECT_EQ(row[1].AsInt(), int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(row[2].AsDouble(), 2.5);
  EXPECT_TRUE(row[3].is_bytes());
  EXPECT_EQ(row[3].AsString(), binary);
  EXPECT_TRUE(row[4].is_null());
  EXPECT_EQ(rows->columns()[1], "n");
  // A cell's text or bytes moved out leaves an empty string; a number stays as it was.
  EXPECT_EQ(rows->TakeString(0, 3), binary);
  EXPECT_EQ(row[3].AsString(), "");
  EXPECT_EQ(rows->TakeString(0, 0), "a'; DROP TABLE items; --");
  EXPECT_EQ(rows->TakeString(0, 1), "");
  EXPECT_EQ(row[1].AsInt(), int64_t{1} << 40);
}

TEST_P(DatabaseTest, ParametersMayAppearOutOfOrderAndRepeat) {
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n, note) VALUES ($2, $1, $2)", {7, "x"}).ok());
  auto rows = (*txn)->Query("SELECT id, n, note FROM items WHERE id = $1", {"x"});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->row(0)[1].AsInt(), 7);
  EXPECT_EQ(rows->row(0)[2].AsString(), "x");
}

TEST_P(DatabaseTest, DestroyingWithoutCommitRollsBack) {
  {
    auto txn = db_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, $2)", {"gone", 1}).ok());
  }
  EXPECT_EQ(CountItems(), 0);
}

TEST_P(DatabaseTest, DuplicateKeyIsAlreadyExists) {
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, $2)", {"k", 1}).ok());
  auto again = (*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, $2)", {"k", 2});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  // Typed, so that callers never search the message: the table is known on both backends.
  EXPECT_TRUE(IsUniqueViolation(again.status(), "items")) << again.status();
  EXPECT_FALSE(IsUniqueViolation(again.status(), "other"));
  EXPECT_TRUE(base::IsPrivate(again.status())) << "SQL text must never reach a client";
}

TEST_P(DatabaseTest, ANotNullViolationIsAnInternalPrivateErrorNotARefusal) {
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  // n is NOT NULL: the code bound nothing where the schema needs a value — a bug that every
  // piece of work would hit alike, so no consumer may skip an event on it (IsRefusal).
  auto bad = (*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, NULL)", {"k"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal) << bad.status();
  auto error = StorageErrorOf(bad.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, ErrorKind::kInternal);
  EXPECT_FALSE(IsRefusal(bad.status()));
  EXPECT_TRUE(base::IsPrivate(bad.status()));
  EXPECT_FALSE(StorageErrorOf(absl::InvalidArgumentError("title: required")).has_value());
}

TEST_P(DatabaseTest, SavepointUndoesOnlyItsPart) {
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, $2)", {"kept", 1}).ok());
  ASSERT_TRUE((*txn)->Savepoint("sp").ok());
  ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, $2)", {"undone", 2}).ok());
  // A failed statement inside the savepoint: PostgreSQL marks the transaction aborted until the
  // rollback to the savepoint, which must make it usable again.
  EXPECT_FALSE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, $2)", {"kept", 3}).ok());
  ASSERT_TRUE((*txn)->RollbackToSavepoint("sp").ok());
  ASSERT_TRUE((*txn)->ReleaseSavepoint("sp").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_EQ(CountItems(), 1);
}

// RunRefusable: a unit the database refuses is undone alone (what it wrote before the refused
// statement too) and the transaction goes on; the units before and after it are committed.
TEST_P(DatabaseTest, ARefusedUnitIsUndoneAloneAndTheTransactionGoesOn) {
  const itsm::testing::WriteFault fault{
      .name = "refuse_bad", .table = "items", .column = "id", .value = "bad"};
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, fault).ok());
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  auto insert = [&](const std::string& id) {
    return (*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, 1)", {id}).status();
  };
  absl::Status refused;
  ASSERT_TRUE(RunRefusable(
                  **txn, "unit", [&] { return insert("a"); }, &refused)
                  .ok());
  EXPECT_TRUE(refused.ok()) << refused;
  ASSERT_TRUE(RunRefusable(
                  **txn, "unit",
                  [&]() -> absl::Status {
                    if (absl::Status s = insert("written-before"); !s.ok()) return s;
                    return insert("bad");
                  },
                  &refused)
                  .ok());
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(IsTransient(refused)) << refused;
  EXPECT_NE(refused.message().find("refuse_bad"), std::string::npos) << refused;
  ASSERT_TRUE(RunRefusable(
                  **txn, "unit", [&] { return insert("b"); }, &refused)
                  .ok());
  EXPECT_TRUE(refused.ok()) << refused;
  ASSERT_TRUE((*txn)->Commit().ok());
  txn->reset();
  EXPECT_EQ(CountItems(), 2);
  ASSERT_TRUE(itsm::testing::RemoveWriteFault(*db_, fault).ok());
}

// A statement that is wrong (here: a column the table does not have) is no refusal of the
// unit's data: every unit would fail alike, so the transaction is given up (retried until
// repaired) rather than each unit skipped and lost. A unit's own verdict is its refusal.
TEST_P(DatabaseTest, AWrongStatementGivesUpTheTransactionAndAUnitsVerdictIsItsRefusal) {
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  absl::Status refused;
  ASSERT_TRUE(
      RunRefusable(
          **txn, "unit", [] { return absl::InvalidArgumentError("title: required"); }, &refused)
          .ok());
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  // A damaged row the unit read is no verdict on its input: every unit reading it would fail.
  const absl::Status damaged = RunRefusable(
      **txn, "unit", [] { return absl::DataLossError("stored roll-up does not parse"); }, &refused);
  EXPECT_EQ(damaged.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(refused.ok()) << refused;
  const absl::Status failed = RunRefusable(
      **txn, "unit",
      [&] {
        return (*txn)->Execute("INSERT INTO items(id, no_such_column) VALUES ('a', 1)").status();
      },
      &refused);
  EXPECT_FALSE(failed.ok());
  EXPECT_FALSE(IsRefusal(failed)) << failed;
  EXPECT_TRUE(refused.ok()) << refused;
}

// A transient failure is the database's, never the unit's: RunRefusable gives up the whole
// transaction with it (to be retried), and a refusal is not transient. SQLite: another connection
// holds the write lock; PostgreSQL: a write fails as a serialization failure does.
TEST_P(DatabaseTest, ATransientFailureGivesUpTheTransactionNotTheUnit) {
  EXPECT_TRUE(IsTransient(absl::UnavailableError("the service is shutting down")));
  EXPECT_FALSE(IsTransient(absl::InvalidArgumentError("title: required")));
  EXPECT_FALSE(IsTransient(absl::OkStatus()));
  auto url = itsm::testing::NewDatabaseUrl(GetParam());
  ASSERT_TRUE(url.ok()) << url.status();
  auto db = OpenDatabase(*url, {.busy_timeout_ms = 100});
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(ApplyMigrations(**db, "test", TestMigrations()).ok());
  if (GetParam() == Backend::kSqlite) {
    auto holder = OpenDatabase(*url);
    ASSERT_TRUE(holder.ok()) << holder.status();
    auto lock = (*holder)->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(lock.ok()) << lock.status();
    auto busy = (*db)->Begin(TransactionMode::kReadWrite);
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.status().code(), absl::StatusCode::kAborted) << busy.status();
    EXPECT_TRUE(IsTransient(busy.status()));
    return;
  }
  ASSERT_TRUE(itsm::testing::AddWriteFault(**db, {.name = "conflict_on_x",
                                                  .table = "items",
                                                  .column = "id",
                                                  .value = "x",
                                                  .sqlstate = "40001"})
                  .ok());
  auto txn = (*db)->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  absl::Status refused;
  const absl::Status failed = RunRefusable(
      **txn, "unit",
      [&] { return (*txn)->Execute("INSERT INTO items(id, n) VALUES ('x', 1)").status(); },
      &refused);
  EXPECT_EQ(failed.code(), absl::StatusCode::kAborted) << failed;
  EXPECT_TRUE(IsTransient(failed));
  EXPECT_TRUE(refused.ok()) << "a transient failure is never the unit's own";
}

// A database that takes no writes (SQLite: SQLITE_READONLY, a file or folder made read-only, a
// file moved away; PostgreSQL: 25006, a standby after a failover) is the database's trouble, not
// the write's: transient, like an I/O error. Made so here by the connection's query_only switch
// (the one way a test run as root gets it) and by a read-only transaction.
TEST_P(DatabaseTest, ADatabaseThatTakesNoWritesIsUnavailable) {
  auto url = itsm::testing::NewDatabaseUrl(GetParam());
  ASSERT_TRUE(url.ok()) << url.status();
  auto db = OpenDatabase(*url, {.pool_size = 1});
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(ApplyMigrations(**db, "test", TestMigrations()).ok());
  absl::Status written = [&]() -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto txn, (*db)->Begin(TransactionMode::kReadWrite));
    ITSM_RETURN_IF_ERROR(txn->ExecuteScript(
        GetParam() == Backend::kSqlite ? "PRAGMA query_only = ON" : "SET TRANSACTION READ ONLY"));
    return txn->Execute("INSERT INTO items(id, n) VALUES ('a', 1)").status();
  }();
  EXPECT_EQ(written.code(), absl::StatusCode::kUnavailable) << written;
  EXPECT_TRUE(IsTransient(written));
}

TEST_P(DatabaseTest, TheFootprintGrowsWithWhatOnlyARollbackUndoes) {
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  const int64_t start = (*txn)->Footprint();
  ASSERT_TRUE((*txn)->Query("SELECT id FROM items WHERE n = $1", {1}).ok());
  ASSERT_TRUE((*txn)->Execute("UPDATE items SET n = 2 WHERE id = $1", {"none"}).ok());
  EXPECT_EQ((*txn)->Footprint(), start) << "reads and writes of no row leave nothing behind";
  ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, 1), ($2, 1)", {"a", "b"}).ok());
  const int64_t inserted = (*txn)->Footprint();
  EXPECT_EQ(inserted, start + 2);
  ASSERT_TRUE((*txn)->Query("INSERT INTO items(id, n) VALUES ($1, 3) RETURNING id", {"c"}).ok());
  EXPECT_EQ((*txn)->Footprint(), inserted + 1) << "a write that returns rows is still a write";
  const int64_t before_failure = (*txn)->Footprint();
  EXPECT_FALSE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, 1)", {"a"}).ok());
  EXPECT_GT((*txn)->Footprint(), before_failure) << "a failed statement counts (PostgreSQL aborts)";
}

TEST_P(DatabaseTest, MigrationsAreAppliedOnceAndRecorded) {
  // Applying again is a no-op (SetUp already applied them).
  ASSERT_TRUE(ApplyMigrations(*db_, "test", TestMigrations()).ok());
  auto txn = db_->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  auto rows = (*txn)->Query(
      "SELECT version, name FROM schema_migrations WHERE component = $1 ORDER BY version",
      {"test"});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->row(1)[1].AsString(), "index n");
}

TEST_P(DatabaseTest, OlderBinaryIsRefused) {
  std::vector<Migration> older(TestMigrations().begin(), TestMigrations().begin() + 1);
  absl::Status status = ApplyMigrations(*db_, "test", older);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST_P(DatabaseTest, FailedMigrationLeavesNoTrace) {
  std::vector<Migration> broken = TestMigrations();
  broken.push_back({3, "broken", "CREATE TABLE half (x INT); SELECT * FROM no_such_table", ""});
  EXPECT_FALSE(ApplyMigrations(*db_, "test", broken).ok());
  auto txn = db_->Begin(TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  EXPECT_FALSE((*txn)->Query("SELECT COUNT(*) FROM half").ok());
}

TEST_P(DatabaseTest, BadSqlIsInternalNotACrash) {
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  auto rows = (*txn)->Query("SELEKT nonsense");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(base::IsPrivate(rows.status()));
}

// A session lock is held by one session at a time, with no transaction open, until its session
// ends: then another takes it. A session whose connection the server ended says so.
TEST_P(DatabaseTest, LockSessionHoldsTheLockUntilItsConnectionEnds) {
  if (GetParam() == Backend::kSqlite) {
    EXPECT_EQ(db_->OpenLockSession(absl::ZeroDuration()).status().code(),
              absl::StatusCode::kUnimplemented);
    return;
  }
  constexpr int64_t kKey = 42;
  auto first = db_->OpenLockSession(absl::ZeroDuration());
  auto second = db_->OpenLockSession(absl::ZeroDuration());
  ASSERT_TRUE(first.ok() && second.ok()) << first.status() << second.status();
  EXPECT_TRUE(*(*first)->TryLock(kKey));
  EXPECT_FALSE(*(*second)->TryLock(kKey));
  EXPECT_TRUE((*first)->Check().ok());
  {
    // No transaction stays open to hold it.
    auto txn = db_->Begin(TransactionMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    auto open = (*txn)->Query(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL");
    ASSERT_TRUE(open.ok()) << open.status();
    EXPECT_EQ(open->row(0)[0].AsInt(), 0);
  }
  first->reset();  // released before it returns
  EXPECT_TRUE(*(*second)->TryLock(kKey));

  // The server ends the holder's session (as when its process dies): the lock is free again, and
  // the holder learns it lost it.
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)
                  ->Query("SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype ="
                          " 'advisory' AND objid = $1 AND granted AND database ="
                          " (SELECT oid FROM pg_database WHERE datname = current_database())",
                          {kKey})
                  .ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_EQ((*second)->Check().code(), absl::StatusCode::kUnavailable);
  auto third = db_->OpenLockSession(absl::ZeroDuration());
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(*(*third)->TryLock(kKey));
}

// Found from outside: a relay leader frozen with SIGSTOP kept its lock, its connection open, for
// as long as it was stopped. A session with an idle limit that sends nothing for longer loses it.
TEST_P(DatabaseTest, ALockSessionSilentBeyondItsIdleLimitLosesItsLocks) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "no lock sessions";
  constexpr int64_t kKey = 43;
  auto silent = db_->OpenLockSession(absl::Seconds(1));
  auto other = db_->OpenLockSession(absl::ZeroDuration());
  ASSERT_TRUE(silent.ok() && other.ok()) << silent.status() << other.status();
  EXPECT_TRUE(*(*silent)->TryLock(kKey));
  // Touched within the limit, it keeps the lock.
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_TRUE((*silent)->Check().ok());
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_FALSE(*(*other)->TryLock(kKey));
  // Silent for longer: the server ended the session, and the lock is the other's to take.
  absl::SleepFor(absl::Milliseconds(2000));
  EXPECT_TRUE(*(*other)->TryLock(kKey));
  EXPECT_EQ((*silent)->Check().code(), absl::StatusCode::kUnavailable);
}

// The server ends every pooled connection (a restart, a failover): each is found dead at its next
// BEGIN, reset and begun again; no caller sees the connections the server forgot.
TEST_P(DatabaseTest, PooledConnectionsTheServerClosedAreReopenedNotFailed) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "no server to close them";
  auto url = itsm::testing::NewDatabaseUrl(GetParam());
  ASSERT_TRUE(url.ok()) << url.status();
  auto db = OpenDatabase(*url, {.pool_size = 3});
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(ApplyMigrations(**db, "test", TestMigrations()).ok());
  std::string name;
  {
    auto txn = (*db)->Begin(TransactionMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    auto rows = (*txn)->Query("SELECT current_database()");
    ASSERT_TRUE(rows.ok()) << rows.status();
    name = rows->row(0)[0].AsString();
  }
  {
    auto killer = db_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(killer.ok());
    auto killed = (*killer)->Query(
        "SELECT COUNT(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity WHERE datname = $1"
        " AND pid <> pg_backend_pid()",
        {name});
    ASSERT_TRUE(killed.ok()) << killed.status();
    EXPECT_GE(killed->row(0)[0].AsInt(), 3);
    ASSERT_TRUE((*killer)->Commit().ok());
  }
  for (int i = 0; i < 6; ++i) {
    auto txn = (*db)->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << i << ": " << txn.status();
    ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n) VALUES ($1, 1)", {absl::StrCat(i)}).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
}

// The read for gRPC threads: on SQLite it sees committed data and never waits for a connection
// (null while every one is taken, one again once one is free); PostgreSQL never offers one.
TEST_P(DatabaseTest, AReadWithoutWaitingNeverWaits) {
  auto db = itsm::testing::NewDatabase(GetParam(), {.pool_size = 1});
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(ApplyMigrations(**db, "test", TestMigrations()).ok());
  if (GetParam() == Backend::kPostgres) {
    EXPECT_EQ((*db)->BeginReadWithoutWaiting(nullptr), nullptr);
    return;
  }
  {
    auto txn = (*db)->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Execute("INSERT INTO items(id, n) VALUES ('a', 7)").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  {
    auto held = (*db)->Begin(TransactionMode::kReadOnly);
    ASSERT_TRUE(held.ok());
    const absl::Time start = absl::Now();
    EXPECT_EQ((*db)->BeginReadWithoutWaiting(nullptr), nullptr);
    EXPECT_LT(absl::Now() - start, absl::Seconds(1));  // the busy timeout is 5 s
  }
  std::unique_ptr<Transaction> read = (*db)->BeginReadWithoutWaiting(nullptr);
  ASSERT_NE(read, nullptr);
  auto rows = read->Query("SELECT n FROM items WHERE id = 'a'");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->row(0)[0].AsInt(), 7);
}

// A budgeted read stops once its budget is spent, says so, and leaves its connection as it
// found it: the next transaction on it runs the same statement to the end.
TEST_P(DatabaseTest, ABudgetedReadStopsWhenItsBudgetIsSpent) {
  auto db = itsm::testing::NewDatabase(GetParam(), {.pool_size = 1});
  ASSERT_TRUE(db.ok()) << db.status();
  if (GetParam() == Backend::kPostgres) {  // never offers a read without waiting, budget or not
    ReadBudget budget(absl::Hours(1));
    EXPECT_EQ((*db)->BeginReadWithoutWaiting(&budget), nullptr);
    return;
  }
  // A million steps of SQLite's machine, far more than any budget below allows.
  constexpr absl::string_view kLongWalk =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
      "SELECT count(*) FROM n";
  {
    ReadBudget spent(absl::ZeroDuration());
    std::unique_ptr<Transaction> read = (*db)->BeginReadWithoutWaiting(&spent);
    ASSERT_NE(read, nullptr);
    EXPECT_FALSE(read->Query(kLongWalk).ok());
    EXPECT_TRUE(spent.exceeded());
  }
  {
    ReadBudget ample(absl::Hours(1));
    std::unique_ptr<Transaction> read = (*db)->BeginReadWithoutWaiting(&ample);
    ASSERT_NE(read, nullptr);
    auto rows = read->Query(kLongWalk);
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ(rows->row(0)[0].AsInt(), 200000);
    EXPECT_FALSE(ample.exceeded());
  }
  auto txn = (*db)->Begin(TransactionMode::kReadOnly);  // the same, only connection
  ASSERT_TRUE(txn.ok()) << txn.status();
  auto rows = (*txn)->Query(kLongWalk);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->row(0)[0].AsInt(), 200000);
}

// A counter moves only with the transaction that took it: a rolled-back take leaves it where it
// was, so the next take gets the same value; a missing row is an error, not a zero.
TEST_P(DatabaseTest, ACounterCountsWithItsTransaction) {
  {
    auto txn = db_->Begin(TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)
                    ->ExecuteScript("CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT"
                                    " NOT NULL); INSERT INTO counters VALUES ('a', 41), ('b', 7)")
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto take = [&](bool commit) -> absl::StatusOr<int64_t> {
    auto txn = db_->Begin(TransactionMode::kReadWrite);
    if (!txn.ok()) return txn.status();
    absl::StatusOr<int64_t> first = IncrementCounter(**txn, "counters", "value", "a");
    if (!first.ok()) return first.status();
    absl::StatusOr<int64_t> second = IncrementCounter(**txn, "counters", "value", "a");
    if (!second.ok()) return second.status();
    EXPECT_EQ(*second, *first + 1);
    if (commit) {
      absl::Status committed = (*txn)->Commit();
      if (!committed.ok()) return committed;
    }
    return *second;
  };
  EXPECT_EQ(*take(/*commit=*/false), 43);
  EXPECT_EQ(*take(/*commit=*/true), 43);
  EXPECT_EQ(*take(/*commit=*/true), 45);
  auto txn = db_->Begin(TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  absl::StatusOr<int64_t> missing = IncrementCounter(**txn, "counters", "value", "c");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInternal) << missing.status();
  EXPECT_NE(missing.status().message().find("\"c\""), std::string::npos) << missing.status();
  auto b = (*txn)->Query("SELECT value FROM counters WHERE name = 'b'");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->row(0)[0].AsInt(), 7);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

TEST(OpenDatabase, UnknownSchemeNamesTheUrl) {
  auto db = OpenDatabase("mysql://x");
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(db.status().message().find("mysql://x"), std::string::npos);
}

// Found from outside: the password reached the log in a misspelt scheme's error and in libpq's
// own message about a URI it could not parse, which quoted it whole.
TEST(OpenDatabase, NoErrorAboutItsUrlRepeatsAPassword) {
  for (const std::string url :
       {"postgresq://itsm:Pw0rdXyz@127.0.0.1:5999/itsm",
        "host=db.internal user=itsm password=Pw0rdXyz dbname=itsm", "Pw0rdXyz"}) {
    auto db = OpenDatabase(url, {});
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.status().message().find("Pw0rdXyz"), std::string::npos) << db.status();
  }
  // An "@" in the password, not percent-encoded: libpq takes what follows it for the host.
  for (const std::string url :
       {"postgresql://itsm:Pw0r@dXyz@[db.internal/itsm",
        "postgresql://itsm:Pw0r@dXyz@db.invalid:5999/itsm?connect_timeout=2"}) {
    auto db = OpenDatabase(url, {});
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.status().message().find("Pw0r"), std::string::npos) << db.status();
    EXPECT_EQ(db.status().message().find("dXyz"), std::string::npos) << db.status();
  }
  auto db = OpenDatabase("postgresql://itsm:Pw0rdXyz@[db.internal/itsm", {});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().message().find("Pw0rdXyz"), std::string::npos) << db.status();
  EXPECT_NE(db.status().message().find("itsm:***@[db.internal"), std::string::npos) << db.status();
}

// Found from outside: the webhooks service's database (signing secrets, receivers' URLs with
// their credentials) was 0644, readable by every user of the machine.
TEST(OpenDatabase, SqliteFilesAreTheOwnersAlone) {
  itsm::testing::ScratchDir dir;
  const mode_t umask_before = ::umask(022);
  {
    auto db = OpenDatabase("sqlite://" + dir.File("new.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(ApplyMigrations(**db, "test", TestMigrations()).ok());
    for (const std::string file : {"new.db", "new.db-wal", "new.db-shm"}) {
      struct stat st;
      ASSERT_EQ(::stat(dir.File(file).c_str(), &st), 0) << file;
      EXPECT_EQ(st.st_mode & 0777, 0600) << file;
    }
  }
  // A file an earlier version left readable by others is tightened when opened.
  ASSERT_EQ(::chmod(dir.File("new.db").c_str(), 0644), 0);
  {
    auto db = OpenDatabase("sqlite://" + dir.File("new.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    struct stat st;
    ASSERT_EQ(::stat(dir.File("new.db").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
  }
  ::umask(umask_before);
}

TEST(OpenDatabase, UnreachablePostgresIsUnavailable) {
  auto db = OpenDatabase("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
}

}  // namespace
}  // namespace itsm::storage
