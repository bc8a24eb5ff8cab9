// The unit of work on both backends: a change, its audit entry and its events are stored together
// or not at all, a stale save changes nothing, and a repeated create answers the first record.
#include "itsm/records/unit_of_work.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/record_diff.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"

namespace itsm::records {
namespace {

using ::itsm::testing::Backend;
using Problem = incident::v1::Problem;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const EventStream kEvents{"itsm.test.v1", "itsm/test"};
const base::Caller kCaller{"alice", "req-1"};

// A minimal repository with the store interface the toolkit needs.
struct ProblemStore {
  static absl::StatusOr<Problem> Get(storage::Transaction& txn, const std::string& id) {
    ITSM_ASSIGN_OR_RETURN(auto rows, txn.Query("SELECT data FROM problems WHERE id = $1", {id}));
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("id: no problem \"", id, "\""));
    std::string bytes;
    Problem p;
    if (!absl::Base64Unescape(rows.row(0)[0].AsString(), &bytes) || !p.ParseFromString(bytes)) {
      return absl::DataLossError("undecodable problem");
    }
    return p;
  }
  static absl::Status Insert(storage::Transaction& txn, Problem& p) {
    p.set_number(absl::StrCat("PRB", p.id()));
    return txn
        .Execute("INSERT INTO problems(id, version, data) VALUES ($1, $2, $3)",
                 {p.id(), p.version(), absl::Base64Escape(p.SerializeAsString())})
        .status();
  }
  static absl::Status Update(storage::Transaction& txn, const Problem& p, int64_t expected) {
    ITSM_ASSIGN_OR_RETURN(
        int64_t n,
        txn.Execute("UPDATE problems SET version = $1, data = $2 WHERE id = $3 AND "
                    "version = $4",
                    {p.version(), absl::Base64Escape(p.SerializeAsString()), p.id(), expected}));
    if (n == 0) return ChangedConcurrently(absl::StrCat("problem ", p.id()));
    return absl::OkStatus();
  }
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& id,
                                  const common::v1::AuditEntry& entry) {
    return txn
        .Execute(
            "INSERT INTO audit(record_id, version, actor, request_id) VALUES "
            "($1, $2, $3, $4)",
            {id, entry.version(), entry.actor(), entry.request_id()})
        .status();
  }
};
static_assert(RecordStore<ProblemStore, Problem>);

using Work = UnitOfWork<Problem, ProblemStore>;

Change<Problem> Created(const Problem& p) {
  Change<Problem> c{p, "create", DiffFields(Problem(), p), {}};
  auto event = std::make_shared<incident::v1::ProblemCreated>();
  *event->mutable_problem() = p;
  c.events.push_back(event);
  return c;
}

// The domain operation of the tests: a new title at the next version.
absl::StatusOr<Change<Problem>> Retitle(const Problem& stored, const std::string& title) {
  Problem after = stored;
  after.set_title(title);
  after.set_version(stored.version() + 1);
  Change<Problem> c{after, "update", DiffFields(stored, after), {}};
  if (c.changed()) c.events.push_back(std::make_shared<incident::v1::ProblemUpdated>());
  return c;
}

class UnitOfWorkTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam(), {.pool_size = 4});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplyMigrations(*db_, "outbox", outbox::Outbox::Migrations()).ok());
    ASSERT_TRUE(
        storage::ApplyMigrations(*db_, IdempotencyStore::kComponent, IdempotencyStore::Migrations())
            .ok());
    ASSERT_TRUE(storage::ApplyMigrations(
                    *db_, "test",
                    {{1, "problems",
                      "CREATE TABLE problems (id TEXT PRIMARY KEY, version BIGINT, data TEXT)"},
                     {2, "audit",
                      "CREATE TABLE audit (record_id TEXT, version BIGINT, actor TEXT, "
                      "request_id TEXT)"}})
                    .ok());
  }

  // Runs `body` in one read-write transaction, committed only when it succeeds.
  template <typename Body>
  auto InTransaction(Body body) -> decltype(body(std::declval<Work&>())) {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    if (!txn.ok()) return txn.status();
    Work work(**txn, kCaller, kEvents);
    auto result = body(work);
    if (result.ok()) {
      if (absl::Status committed = (*txn)->Commit(); !committed.ok()) return committed;
    }
    return result;
  }

  absl::StatusOr<Problem> Create(const std::string& id, const std::string& key = "",
                                 const std::string& fingerprint = "") {
    Problem p;
    p.set_id(id);
    p.set_title("disk full");
    p.set_version(1);
    *p.mutable_create_time() = base::ToProtoTimestamp(kNow);
    *p.mutable_update_time() = base::ToProtoTimestamp(kNow);
    return InTransaction([&](Work& work) {
      return work.Create({"itsm.test.v1.Test/CreateProblem", key, fingerprint}, p, Created);
    });
  }

  int64_t Count(const std::string& table) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query("SELECT COUNT(*) FROM " + table)->row(0)[0].AsInt();
  }

  std::unique_ptr<storage::Database> db_;
};

TEST_P(UnitOfWorkTest, CreateStoresTheRecordItsAuditEntryAndItsEventTogether) {
  auto p = Create("p1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->number(), "PRBp1");
  EXPECT_EQ(Count("problems"), 1);
  EXPECT_EQ(Count("audit"), 1);
  EXPECT_EQ(Count("outbox"), 1);
  auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
  auto audit = (*txn)->Query("SELECT actor, request_id, version FROM audit");
  EXPECT_EQ(audit->row(0)[0].AsString(), "alice");
  EXPECT_EQ(audit->row(0)[1].AsString(), "req-1");
  EXPECT_EQ(audit->row(0)[2].AsInt(), 1);
}

TEST_P(UnitOfWorkTest, ModifySavesTheChangeWithItsAuditEntryAndEvent) {
  ASSERT_TRUE(Create("p1").ok());
  auto after = InTransaction([](Work& work) {
    return work.Modify("p1", [](const Problem& stored) { return Retitle(stored, "disk ok"); });
  });
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->title(), "disk ok");
  EXPECT_EQ(after->version(), 2);
  EXPECT_EQ(Count("audit"), 2);
  EXPECT_EQ(Count("outbox"), 2);
}

TEST_P(UnitOfWorkTest, AChangeThatChangesNothingWritesNothing) {
  ASSERT_TRUE(Create("p1").ok());
  auto after = InTransaction([](Work& work) {
    return work.Modify("p1", [](const Problem& stored) { return Retitle(stored, "disk full"); });
  });
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->version(), 1);
  EXPECT_EQ(Count("audit"), 1);
  EXPECT_EQ(Count("outbox"), 1);
}

TEST_P(UnitOfWorkTest, ARefusedOperationWritesNothing) {
  ASSERT_TRUE(Create("p1").ok());
  auto after = InTransaction([](Work& work) {
    return work.Modify("p1", [](const Problem&) -> absl::StatusOr<Change<Problem>> {
      return absl::FailedPreconditionError("state: CLOSED problems cannot be changed");
    });
  });
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count("audit"), 1);
  EXPECT_EQ(Count("outbox"), 1);
}

TEST_P(UnitOfWorkTest, AStaleSaveIsAbortedAndWritesNothing) {
  ASSERT_TRUE(Create("p1").ok());
  // Another writer saved version 2 between this unit's load and its save.
  ASSERT_TRUE(InTransaction([](Work& work) {
                return work.Modify("p1", [](const Problem& p) { return Retitle(p, "other"); });
              }).ok());
  auto stale = InTransaction([](Work& work) -> absl::StatusOr<Problem> {
    Problem loaded_earlier;
    loaded_earlier.set_id("p1");
    loaded_earlier.set_version(1);
    ITSM_ASSIGN_OR_RETURN(Change<Problem> change, Retitle(loaded_earlier, "mine"));
    ITSM_RETURN_IF_ERROR(work.Save(change, 1));
    return change.after;
  });
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Count("audit"), 2);
  EXPECT_EQ(Count("outbox"), 2);
}

// Another writer saves the record between Modify's load and its save (PostgreSQL's commit writers
// run side by side): the operation runs again on the record as now stored. Without a version
// from the caller the write is applied; with one, the operation's own check refuses it.
TEST_P(UnitOfWorkTest, ModifyAppliesAgainOnARecordAnotherWriterSavedMeanwhile) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "one writer: none can save in between";
  ASSERT_TRUE(Create("p1").ok());
  auto other_writer = [this](const std::string& title) {
    ASSERT_TRUE(InTransaction([&](Work& work) {
                  return work.Modify("p1", [&](const Problem& p) { return Retitle(p, title); });
                }).ok());
  };
  int runs = 0;
  auto note = InTransaction([&](Work& work) {
    return work.Modify("p1", [&](const Problem& stored) {
      if (++runs == 1) other_writer("other");
      return Retitle(stored, "mine");
    });
  });
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(note->title(), "mine");
  EXPECT_EQ(note->version(), 3);
  EXPECT_EQ(Count("audit"), 3);

  runs = 0;
  auto versioned = InTransaction([&](Work& work) {
    return work.Modify("p1", [&](const Problem& stored) -> absl::StatusOr<Change<Problem>> {
      if (++runs == 1) other_writer("again");
      ITSM_RETURN_IF_ERROR(CheckVersion(stored.version(), 3));
      return Retitle(stored, "mine, at 3");
    });
  });
  EXPECT_EQ(versioned.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(versioned.status().message(),
            "version: expected 4, found 3 (the record changed since it was read)");
  EXPECT_EQ(Count("audit"), 4);
}

TEST_P(UnitOfWorkTest, ARepeatedCreateAnswersTheFirstRecordAndWritesNothing) {
  auto first = Create("p1", "key-1", "fp");
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = Create("p2", "key-1", "fp");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), "p1");
  EXPECT_EQ(Count("problems"), 1);
  EXPECT_EQ(Count("outbox"), 1);
  EXPECT_EQ(Create("p3", "key-1", "other").status().code(), absl::StatusCode::kAlreadyExists);
}

// The check against other records runs for the first call only: a repeat gets the first record
// although the check would now refuse it (here: "only one problem may exist").
TEST_P(UnitOfWorkTest, APreparedCreateChecksTheFirstCallAndAnswersRepeatsWithItsRecord) {
  auto create = [&](const std::string& id, const std::string& key) {
    Problem p;
    p.set_id(id);
    p.set_version(1);
    return InTransaction([&](Work& work) {
      return work.Create(
          {"itsm.test.v1.Test/CreateProblem", key, key.empty() ? "" : "fp"}, p,
          [&](Problem& record) -> absl::Status {
            ITSM_ASSIGN_OR_RETURN(auto rows, work.txn().Query("SELECT COUNT(*) FROM problems"));
            if (rows.row(0)[0].AsInt() > 0) {
              return absl::AlreadyExistsError("id: only one problem may exist");
            }
            record.set_title("checked");
            return absl::OkStatus();
          },
          Created);
    });
  };
  auto first = create("p1", "key-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->title(), "checked");
  auto again = create("p2", "key-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), "p1");
  // A refused check writes nothing, its key included: the key is free for a later call.
  EXPECT_EQ(create("p3", "key-2").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Count("problems"), 1);
  EXPECT_EQ(Count("audit"), 1);
  EXPECT_EQ(Count("idempotency_keys"), 1);
}

TEST_P(UnitOfWorkTest, AnEventTooLargeForTheBrokerRollsTheWholeUnitBack) {
  Problem p;
  p.set_id("big");
  p.set_version(1);
  p.set_description(std::string(outbox::Outbox::kMaxEventBytes + 1, 'x'));
  auto created = InTransaction([&](Work& work) {
    return work.Create({"itsm.test.v1.Test/CreateProblem", "", ""}, p, Created);
  });
  EXPECT_FALSE(created.ok());
  EXPECT_EQ(Count("problems"), 0);
  EXPECT_EQ(Count("audit"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, UnitOfWorkTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::records
