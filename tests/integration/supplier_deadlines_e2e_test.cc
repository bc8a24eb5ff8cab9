// Issue 15: contract deadlines fire exactly once across kill -9 and two replicas.
//
// Two itsm-supplier processes share one PostgreSQL database and the embedded broker, each
// polling its schedule every second. No clock is faked and nothing waits for a real notice
// period: the contracts are tacitly renewing monthly ones that began in 2016, so every term
// since has ended and each contract catches up one term per firing (a notice deadline passed
// and a renewal per month, about 260 deadlines per contract) — outcomes always fire, late if
// need be (decision 87). While the replicas work through that backlog, one of them is killed
// with SIGKILL and started again.
//
// Then every deadline event on itsm.supplier.v1 is read back: each deadline (record, kind, lead,
// instant) has exactly one event id, there is one per row the database marks fired, and each
// contract renewed once per month that ended, to the last day of the current month. The outbox
// relay publishes at least once (a kill between the broker's acknowledgement and the relay's
// "published" mark publishes that event again, with the same ce_id, which consumers drop), so
// copies of one event id are allowed and must be byte-identical; two event ids for one deadline
// would be a deadline fired twice.
#include <signal.h>

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/storage/database.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/supplier/v1/events.pb.h"
#include "itsm/supplier/v1/supplier.grpc.pb.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"

namespace itsm {
namespace {

namespace v1 = supplier::v1;

constexpr char kTopic[] = "itsm.supplier.v1";
constexpr int kContracts = 16;
const absl::CivilMonth kFirstTerm(2016, 1);

class SupplierDeadlinesEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    supervisor::KafkaBroker::Options kafka;
    kafka.dir = dir_.File("kafka");
    kafka.log_file = dir_.File("kafka.log");
    kafka.partitions = 2;
    auto broker = supervisor::KafkaBroker::Start(kafka);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    auto url = itsm::testing::NewDatabaseUrl(itsm::testing::Backend::kPostgres);
    ASSERT_TRUE(url.ok()) << url.status();
    database_url_ = *url;
    ASSERT_NO_FATAL_FAILURE(StartReplica(0));
    ASSERT_NO_FATAL_FAILURE(StartReplica(1));
    auto db = storage::OpenDatabase(database_url_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  void StartReplica(int k) {
    supervisor::SuiteService::Options options;
    options.name = "supplier";
    options.dir = dir_.File(absl::StrCat("replica-", k));
    options.log_file = dir_.File(absl::StrCat("replica-", k, "-", starts_++, ".log"));
    options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers()},
                   {"ITSM_DATABASE_URL", database_url_},
                   {"ITSM_DEADLINE_POLL_SECONDS", "1"},
                   {"ITSM_OUTBOX_POLL_INTERVAL_MS", "100"}};
    for (auto& setting : issuer_.ServiceEnv(dir_.path())) options.env.push_back(setting);
    auto service = supervisor::SuiteService::Start(options);
    ASSERT_TRUE(service.ok()) << service.status();
    replicas_[k] = std::move(*service);
    stubs_[k] = v1::SupplierService::NewStub(issuer_.Channel(
        replicas_[k]->grpc_address(),
        {.subject = "deadline-test", .roles = {common::v1::ROLE_SUPPLIER_MANAGER}}));
  }

  template <typename Req, typename Resp>
  grpc::Status Call(int k,
                    grpc::Status (v1::SupplierService::Stub::*method)(grpc::ClientContext*,
                                                                      const Req&, Resp*),
                    const Req& request, Resp* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return (stubs_[k].get()->*method)(&ctx, request, response);
  }

  int64_t Count(const std::string& sql) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok()) << txn.status();
    if (!txn.ok()) return -1;
    auto rows = (*txn)->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->row(0)[0].AsInt() : -1;
  }
  // What a replica's itsm_supplier_deadlines_fired_total adds up to (every kind).
  static double FiredBy(supervisor::SuiteService& replica) {
    auto text = supervisor::ScrapeMetrics(replica.metrics_address());
    EXPECT_TRUE(text.ok()) << text.status();
    double sum = 0;
    for (absl::string_view line : absl::StrSplit(text.value_or(""), '\n')) {
      if (!absl::StartsWith(line, "itsm_supplier_deadlines_fired_total{")) continue;
      double value = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) sum += value;
    }
    return sum;
  }
  // Rows due now (or before) that no replica fired yet.
  int64_t DueUnfired() {
    return Count(absl::StrCat("SELECT COUNT(*) FROM deadlines WHERE fired = 0 AND due_us <= ",
                              absl::ToUnixMicros(absl::Now())));
  }

  itsm::testing::ScratchDir dir_;
  itsm::testing::TestIssuer issuer_;
  std::string database_url_;
  std::unique_ptr<supervisor::KafkaBroker> broker_;
  std::unique_ptr<supervisor::SuiteService> replicas_[2];
  std::unique_ptr<v1::SupplierService::Stub> stubs_[2];
  std::unique_ptr<storage::Database> db_;
  int starts_ = 0;
};

// The identity of a deadline as its event carries it.
std::string DeadlineKey(const v1::Deadline& d) {
  return absl::StrCat(d.record_id(), " ", v1::DeadlineKind_Name(d.kind()), " ", d.lead_days(), " ",
                      d.deadline_time().seconds());
}

// The deadline a supplier event carries, if it is a deadline's event.
std::optional<v1::Deadline> DeadlineOf(const std::string& type, const std::string& value) {
  auto parse = [&value](auto message) -> std::optional<v1::Deadline> {
    if (!message.ParseFromString(value) || !message.has_deadline()) return std::nullopt;
    return message.deadline();
  };
  const std::string prefix = "itsm.supplier.v1.";
  if (type == prefix + "ContractNoticeDeadlineApproaching")
    return parse(v1::ContractNoticeDeadlineApproaching());
  if (type == prefix + "ContractNoticeDeadlinePassed")
    return parse(v1::ContractNoticeDeadlinePassed());
  if (type == prefix + "ContractExpiring") return parse(v1::ContractExpiring());
  if (type == prefix + "ContractExpired") return parse(v1::ContractExpired());
  if (type == prefix + "ContractRenewed") return parse(v1::ContractRenewed());
  if (type == prefix + "SupplierReviewDue") return parse(v1::SupplierReviewDue());
  return std::nullopt;
}

TEST_F(SupplierDeadlinesEndToEnd, EachDeadlineFiresOnceAcrossKillDashNineAndTwoReplicas) {
  v1::CreateSupplierRequest new_supplier;
  new_supplier.mutable_supplier()->set_name("Netco");
  new_supplier.mutable_supplier()->set_status(v1::SUPPLIER_STATUS_ACTIVE);
  v1::CreateSupplierResponse supplier;
  grpc::Status s = Call(0, &v1::SupplierService::Stub::CreateSupplier, new_supplier, &supplier);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Contracts through both replicas; each one's backlog starts firing at the next poll.
  std::vector<std::string> contract_ids;
  for (int k = 0; k < kContracts; ++k) {
    v1::CreateContractRequest r;
    r.set_idempotency_key(absl::StrCat("deadline-test-", k));
    v1::Contract* c = r.mutable_contract();
    c->set_supplier_id(supplier.supplier().id());
    c->set_title(absl::StrCat("Line ", k));
    c->set_type(v1::CONTRACT_TYPE_SUPPORT);
    c->set_state(v1::CONTRACT_STATE_ACTIVE);
    c->set_start_date("2016-01-01");
    c->set_end_date("2016-01-31");
    c->set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
    c->mutable_renewal_term()->set_months(1);
    c->mutable_notice_period()->set_days(15);
    v1::CreateContractResponse out;
    s = Call(k % 2, &v1::SupplierService::Stub::CreateContract, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    contract_ids.push_back(out.contract().id());
  }

  // Mid-run: some deadlines fired, others due and not yet fired. Then the replica that has been
  // firing them (the first to poll claims a chain and keeps it) dies at once, and starts again.
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] { return Count("SELECT COUNT(*) FROM deadlines WHERE fired = 1") >= 200; },
                  absl::Seconds(60), "200 deadlines fired")
                  .ok());
  const int victim = FiredBy(*replicas_[0]) >= FiredBy(*replicas_[1]) ? 0 : 1;
  const int64_t due_at_kill = DueUnfired();
  const int64_t fired_at_kill = Count("SELECT COUNT(*) FROM deadlines WHERE fired = 1");
  const double victim_fired = FiredBy(*replicas_[victim]);
  replicas_[victim]->process().Kill();  // SIGKILL: no shutdown step runs
  EXPECT_GT(victim_fired, 0) << "neither replica had fired a deadline";
  EXPECT_GT(due_at_kill, 0) << "the backlog was gone before the kill: nothing was tested";
  ASSERT_NO_FATAL_FAILURE(StartReplica(victim));

  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    return DueUnfired() == 0 &&
                           Count("SELECT COUNT(*) FROM outbox WHERE published_at_us IS NULL") == 0;
                  },
                  absl::Seconds(240), "every due deadline fired and published")
                  .ok());
  const int64_t fired = Count("SELECT COUNT(*) FROM deadlines WHERE fired = 1");
  // Most of the backlog (one term per firing, ~260 per contract) was still ahead at the kill.
  EXPECT_GT(fired - fired_at_kill, fired / 2);

  // Every contract renewed once per month that ended: its term is now the current month.
  const absl::CivilMonth now_month(absl::ToCivilSecond(absl::Now(), absl::UTCTimeZone()));
  const int64_t renewals = now_month - kFirstTerm;
  const std::string last_day =
      absl::FormatCivilTime(absl::CivilDay(now_month + 1) - 1);  // YYYY-MM-DD
  for (const std::string& id : contract_ids) {
    v1::GetContractRequest r;
    r.set_id(id);
    v1::GetContractResponse out;
    s = Call(1, &v1::SupplierService::Stub::GetContract, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.contract().renewal_count(), renewals) << id;
    EXPECT_EQ(out.contract().end_date(), last_day) << id;
  }

  // Read back what was published: at least one record per fired row.
  auto records = itsm::testing::ReadTopic(broker_->bootstrap_servers(), kTopic,
                                          static_cast<size_t>(fired), absl::Seconds(60));
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, std::set<std::string>> ids_of_deadline;  // key -> ce_ids
  std::map<std::string, std::string> value_of_id;                // ce_id -> payload
  std::map<std::string, int> renewed;                            // contract -> ContractRenewed
  int copies = 0;
  for (const auto& record : *records) {
    const std::string type = record.Header("ce_type");
    const std::optional<v1::Deadline> deadline = DeadlineOf(type, record.value);
    if (!deadline) continue;
    const std::string ce_id = record.Header("ce_id");
    ASSERT_FALSE(ce_id.empty());
    auto [it, first] = value_of_id.emplace(ce_id, record.value);
    if (!first) {
      ++copies;
      EXPECT_EQ(it->second, record.value) << "two different events with ce_id " << ce_id;
      continue;
    }
    ids_of_deadline[DeadlineKey(*deadline)].insert(ce_id);
    if (type == "itsm.supplier.v1.ContractRenewed") ++renewed[deadline->record_id()];
  }
  for (const auto& [key, ids] : ids_of_deadline) {
    EXPECT_EQ(ids.size(), 1u) << "deadline fired " << ids.size() << " times: " << key;
  }
  EXPECT_EQ(static_cast<int64_t>(ids_of_deadline.size()), fired);
  for (const std::string& id : contract_ids) EXPECT_EQ(renewed[id], renewals) << id;
  // Said, not asserted: how many records were the relay's at-least-once copies.
  // Which replica fires a row is a race (whoever polls first claims it, SKIP LOCKED keeps the
  // other off it), so the split after the restart is said, not asserted.
  std::printf(
      "fired %lld deadlines (%lld before the kill, %.0f of them by the killed replica, %lld then"
      " due; after the restart %.0f by the restarted replica, %.0f by the other); %d republished"
      " copies\n",
      static_cast<long long>(fired), static_cast<long long>(fired_at_kill), victim_fired,
      static_cast<long long>(due_at_kill), FiredBy(*replicas_[victim]),
      FiredBy(*replicas_[1 - victim]), copies);

  EXPECT_EQ(replicas_[0]->Stop(), 0);
  EXPECT_EQ(replicas_[1]->Stop(), 0);
}

}  // namespace
}  // namespace itsm
