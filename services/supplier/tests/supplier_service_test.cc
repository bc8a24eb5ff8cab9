// The supplier service through a real gRPC channel on loopback, on both storage backends, with
// the real group committer: suppliers and contracts (versions, idempotency, bad input), and
// deadlines fired by a scheduler driven by a manual clock — exactly once, across a restart.
#include <map>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/records/idempotency.h"
#include "itsm/storage/migrations.h"
#include "itsm/supplier/v1/events.pb.h"
#include "itsm/testing/grpc_server.h"
#include "itsm/testing/test_env.h"
#include "services/supplier/src/supplier_grpc_service.h"
#include "services/supplier/src/supplier_repository.h"
#include "services/supplier/tests/test_database.h"

namespace itsm::supplier {
namespace {

using ::itsm::testing::Backend;

// References as a test wants them: CIs starting with "ci-" exist, "uc-<supplier>" definitions
// are underpinning contracts of that supplier.
class FakeReferences final : public ReferenceChecks {
 public:
  absl::Status ResolveConfigurationItems(const std::string& field, Ids& ids, const Ids&) override {
    for (int i = 0; i < ids.size(); ++i) {
      if (ids[i].rfind("ci-", 0) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: no configuration item"));
      }
    }
    return absl::OkStatus();
  }
  absl::Status CheckUcDefinitions(const std::string& field, const Ids& ids,
                                  const std::string& supplier_id) override {
    for (int i = 0; i < ids.size(); ++i) {
      if (ids[i] != "uc-" + supplier_id) {
        return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: not a UC of it"));
      }
    }
    return absl::OkStatus();
  }
};

class SupplierServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = testing::NewSupplierDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    committer_ =
        std::make_unique<storage::GroupCommitter>(*db_, storage::GroupCommitter::Options{});
    service_ = std::make_unique<SupplierGrpcService>(
        *db_, *committer_, executor_, Applications{suppliers_, contracts_, scorecards_, costs_});
    server_ = std::make_unique<itsm::testing::GrpcTestServer>(
        std::vector<grpc::Service*>{service_.get()});
    stub_ = v1::SupplierService::NewStub(server_->Channel());
  }
  void TearDown() override {
    server_->Shutdown();
    committer_->Stop();
  }

  template <typename Req, typename Resp>
  using Method = grpc::Status (v1::SupplierService::Stub::*)(grpc::ClientContext*, const Req&,
                                                             Resp*);
  template <typename Req, typename Resp>
  grpc::Status Call(Method<Req, Resp> method, const Req& request, Resp* response) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-itsm-actor", "alice");
    return (stub_.get()->*method)(&ctx, request, response);
  }
  v1::Supplier NewSupplier(const std::string& name) {
    v1::CreateSupplierRequest r;
    r.mutable_supplier()->set_name(name);
    r.mutable_supplier()->add_assignment_groups(name + "-desk");
    v1::CreateSupplierResponse out;
    grpc::Status s = Call(&v1::SupplierService::Stub::CreateSupplier, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.supplier();
  }
  v1::CreateContractRequest ContractRequest(const v1::Supplier& s) {
    v1::CreateContractRequest r;
    auto* c = r.mutable_contract();
    c->set_supplier_id(s.number());
    c->set_title("Mail support");
    c->set_type(v1::CONTRACT_TYPE_SUPPORT);
    c->set_state(v1::CONTRACT_STATE_ACTIVE);
    c->set_start_date("2024-01-01");
    c->set_end_date("2024-12-31");
    c->set_renewal_kind(v1::RENEWAL_KIND_AUTOMATIC);
    c->mutable_renewal_term()->set_months(12);
    c->mutable_notice_period()->set_months(3);
    c->mutable_value()->set_currency("EUR");
    c->mutable_value()->set_minor_units(1'200'000);
    c->add_services("mail");
    return r;
  }
  grpc::Status CreateContract(const v1::CreateContractRequest& r, v1::Contract* out) {
    v1::CreateContractResponse response;
    grpc::Status s = Call(&v1::SupplierService::Stub::CreateContract, r, &response);
    *out = response.contract();
    return s;
  }
  int64_t Count(const std::string& sql) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query(sql)->row(0)[0].AsInt();
  }
  // ce_types in the outbox, in order.
  std::vector<std::string> OutboxTypes() {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    auto rows = (*txn)->Query("SELECT event_type FROM outbox ORDER BY id");
    std::vector<std::string> out;
    if (!rows.ok()) return {"<" + rows.status().ToString() + ">"};
    for (const auto& row : rows->rows()) out.push_back(row[0].AsString());
    return out;
  }
  // The outbox's events of type `Event`, in order.
  template <typename Event>
  std::vector<Event> Published() {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    auto rows = (*txn)->Query(absl::StrCat("SELECT payload FROM outbox WHERE event_type = '",
                                           Event().GetTypeName(), "' ORDER BY id"));
    std::vector<Event> out;
    if (!rows.ok()) return out;
    for (const auto& row : rows->rows()) {
      out.emplace_back();
      if (!out.back().ParseFromString(row[0].AsString())) out.pop_back();
    }
    return out;
  }
  int CountType(const std::string& type) {
    int n = 0;
    for (const auto& t : OutboxTypes()) n += t == "itsm.supplier.v1." + type;
    return n;
  }
  void SetNow(absl::CivilDay day) {
    clock_.Set(absl::FromCivil(absl::CivilSecond(day), absl::UTCTimeZone()));
  }

  base::ManualClock clock_{absl::FromCivil(absl::CivilDay(2024, 1, 10), absl::UTCTimeZone())};
  SupplierRules supplier_rules_{clock_};
  ContractRules contract_rules_{clock_};
  DeadlineSchedule schedule_{DeadlinePolicy{}, clock_};
  FakeReferences references_;
  SupplierManagement suppliers_{supplier_rules_, schedule_, references_};
  ContractManagement contracts_{contract_rules_, schedule_, references_};
  Scorecards scorecards_{clock_};
  ServiceCosts costs_{clock_};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  runtime::Executor executor_{"test", 4, 1000};
  std::unique_ptr<SupplierGrpcService> service_;
  std::unique_ptr<itsm::testing::GrpcTestServer> server_;
  std::unique_ptr<v1::SupplierService::Stub> stub_;
};

TEST_P(SupplierServiceTest, SuppliersAreVersionedAudited) {
  v1::Supplier s = NewSupplier("Acme");
  EXPECT_EQ(s.number(), "SUP0000001");
  EXPECT_EQ(s.status(), v1::SUPPLIER_STATUS_PROSPECTIVE);
  EXPECT_EQ(s.created_by(), "alice");
  v1::UpdateSupplierRequest update;
  *update.mutable_supplier() = s;
  update.mutable_supplier()->set_risk_rating(v1::RISK_RATING_HIGH);
  update.mutable_update_mask()->add_paths("risk_rating");
  v1::UpdateSupplierResponse updated;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::UpdateSupplier, update, &updated).ok());
  EXPECT_EQ(updated.supplier().version(), 2);
  // The same stale version again: ABORTED.
  EXPECT_EQ(Call(&v1::SupplierService::Stub::UpdateSupplier, update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  v1::TransitionSupplierRequest activate;
  activate.set_id(s.number());
  activate.set_version(2);
  activate.set_target_status(v1::SUPPLIER_STATUS_TERMINATED);
  activate.set_reason("Missed three SLAs in a row");
  v1::TransitionSupplierResponse transitioned;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::TransitionSupplier, activate, &transitioned).ok());
  activate.set_version(3);
  activate.set_target_status(v1::SUPPLIER_STATUS_ACTIVE);
  EXPECT_EQ(
      Call(&v1::SupplierService::Stub::TransitionSupplier, activate, &transitioned).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  v1::GetHistoryRequest history;
  history.set_id(s.id());
  v1::GetHistoryResponse entries;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::GetHistory, history, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 3);
  EXPECT_EQ(entries.entries(1).changes(0).field(), "risk_rating");
  // Why it was terminated is in the history, beside the status.
  const auto& terminated = entries.entries(2);
  ASSERT_GE(terminated.changes_size(), 2);
  EXPECT_EQ(terminated.changes(terminated.changes_size() - 1).field(), "reason");
  EXPECT_EQ(terminated.changes(terminated.changes_size() - 1).new_value(),
            "Missed three SLAs in a row");
  EXPECT_EQ(CountType("SupplierCreated"), 1);
  EXPECT_EQ(CountType("SupplierUpdated"), 1);
  EXPECT_EQ(CountType("SupplierStatusChanged"), 1);
}

TEST_P(SupplierServiceTest, BadInputNamesTheFieldAndStoresNothing) {
  v1::Supplier s = NewSupplier("Acme");
  const int64_t events = Count("SELECT COUNT(*) FROM outbox");
  v1::CreateContractRequest r = ContractRequest(s);
  r.mutable_contract()->set_end_date("2024-13-01");
  v1::Contract c;
  grpc::Status bad = CreateContract(r, &c);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("contract.end_date"), std::string::npos);
  r = ContractRequest(s);
  r.mutable_contract()->add_configuration_item_ids("printer-9");
  bad = CreateContract(r, &c);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("contract.configuration_item_ids[0]"), std::string::npos);
  r = ContractRequest(s);
  r.mutable_contract()->add_uc_definition_ids("uc-someone-else");
  EXPECT_EQ(CreateContract(r, &c).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r = ContractRequest(s);
  r.mutable_contract()->set_supplier_id("SUP9999999");
  EXPECT_EQ(CreateContract(r, &c).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  r = ContractRequest(s);
  r.mutable_contract()->set_title(std::string(201, 'x'));
  EXPECT_EQ(CreateContract(r, &c).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM contracts"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox"), events);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deadlines WHERE record_id <> '" + s.id() + "'"), 0);
}

TEST_P(SupplierServiceTest, ContractsAreIdempotentAndListed) {
  v1::Supplier s = NewSupplier("Acme");
  v1::CreateContractRequest r = ContractRequest(s);
  r.set_idempotency_key("k1");
  r.mutable_contract()->add_configuration_item_ids("ci-mail-01");
  r.mutable_contract()->add_uc_definition_ids("uc-" + s.id());
  v1::Contract first, again;
  ASSERT_TRUE(CreateContract(r, &first).ok());
  ASSERT_TRUE(CreateContract(r, &again).ok());
  EXPECT_EQ(first.id(), again.id());
  EXPECT_EQ(first.supplier_id(), s.id());
  EXPECT_EQ(first.number(), "CON0000001");
  r.mutable_contract()->set_title("Other");
  EXPECT_EQ(CreateContract(r, &again).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  v1::ListContractsRequest list;
  list.set_supplier_id(s.number());
  list.set_service("mail");
  v1::ListContractsResponse listed;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::ListContracts, list, &listed).ok());
  ASSERT_EQ(listed.contracts_size(), 1);
  list.set_service("web");
  listed.Clear();
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::ListContracts, list, &listed).ok());
  EXPECT_EQ(listed.contracts_size(), 0);
}

// Found from outside: agents, refused the cost report, read the contract values it is made of.
TEST_P(SupplierServiceTest, AContractsValueIsReadByThoseWhoMayReadCostsOnly) {
  v1::Contract c;
  ASSERT_TRUE(CreateContract(ContractRequest(NewSupplier("Acme")), &c).ok());
  v1::UpdateContractRequest update;
  update.mutable_contract()->set_id(c.id());
  update.mutable_contract()->set_version(c.version());
  update.mutable_contract()->mutable_value()->set_currency("EUR");
  update.mutable_contract()->mutable_value()->set_minor_units(1'500'000);
  update.mutable_update_mask()->add_paths("value");
  v1::UpdateContractResponse updated;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::UpdateContract, update, &updated).ok());

  auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  // Whether the value shows, in the contract, the list and the trail, for `roles`.
  auto shows_value = [&](std::vector<std::string> roles) {
    const base::Caller caller{.actor = "someone", .roles = roles};
    v1::GetContractRequest get;
    get.set_id(c.number());
    v1::Contract got;
    EXPECT_TRUE(contracts_.Get(**txn, caller, get, got).ok());
    v1::ListContractsResponse listed;
    EXPECT_TRUE(contracts_.List(**txn, caller, {}, listed).ok());
    EXPECT_EQ(listed.contracts_size(), 1);
    v1::GetHistoryRequest history;
    history.set_id(c.id());
    v1::GetHistoryResponse trail;
    EXPECT_TRUE(suppliers_.History(**txn, caller, history, trail).ok());
    EXPECT_EQ(trail.entries_size(), 2);
    int value_changes = 0;
    for (const auto& entry : trail.entries()) {
      for (const auto& change : entry.changes()) {
        value_changes += absl::StartsWith(change.field(), "value") ? 1 : 0;
      }
    }
    const bool shown = got.has_value();
    EXPECT_EQ(listed.contracts(0).has_value(), shown);
    EXPECT_EQ(value_changes > 0, shown) << value_changes;
    EXPECT_EQ(got.title(), "Mail support");  // the rest of the contract stays
    return shown;
  };
  for (const char* role :
       {"agent", "problem_manager", "change_manager", "cab_member", "cmdb_manager"}) {
    EXPECT_FALSE(shows_value({role})) << role;
  }
  for (const char* role : {"viewer", "sla_manager", "supplier_manager", "admin"}) {
    EXPECT_TRUE(shows_value({role})) << role;
  }
}

// A deadline that cannot fire (here: its rows refuse the write) is passed over; the others due
// with it, before and after it, fire; it fires once it can.
TEST_P(SupplierServiceTest, ADeadlineThatCannotFireHoldsUpNoOther) {
  v1::Supplier s = NewSupplier("Acme");
  std::vector<v1::Contract> contracts(3);
  for (size_t i = 0; i < contracts.size(); ++i) {
    v1::CreateContractRequest r = ContractRequest(s);
    r.mutable_contract()->set_title(absl::StrCat("Mail support ", i));
    ASSERT_TRUE(CreateContract(r, &contracts[i]).ok());
  }
  const itsm::testing::WriteFault fault{.name = "refuse_deadline",
                                        .table = "deadlines",
                                        .column = "record_id",
                                        .value = contracts[1].id()};
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, fault).ok());
  DeadlineScheduler scheduler(*committer_, contract_rules_, schedule_, clock_, {.batch = 2});
  SetNow(absl::CivilDay(2024, 7, 3));  // each contract's first notice warning
  absl::StatusOr<int> fired = scheduler.FireDue();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 2);
  EXPECT_EQ(CountType("ContractNoticeDeadlineApproaching"), 2);
  ASSERT_TRUE(itsm::testing::RemoveWriteFault(*db_, fault).ok());
  fired = scheduler.FireDue();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 1);
  EXPECT_EQ(CountType("ContractNoticeDeadlineApproaching"), 3);
}

TEST_P(SupplierServiceTest, TacitRenewalFiresEachDeadlineOnceAcrossRestarts) {
  v1::Supplier s = NewSupplier("Acme");
  v1::Contract c;
  ASSERT_TRUE(CreateContract(ContractRequest(s), &c).ok());
  // Notice deadline: 2024-10-01 00:00 UTC; warnings at 90, 60, 30 days before; renewal 2025-01-01.
  v1::ListDeadlinesRequest list;
  v1::ListDeadlinesResponse pending;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::ListDeadlines, list, &pending).ok());
  ASSERT_EQ(pending.deadlines_size(), 5);
  // A supplier filter that names nothing is a bad argument naming it, as ListContracts says.
  v1::ListDeadlinesRequest unknown;
  unknown.set_supplier_id("zz-unknown");
  grpc::Status refused = Call(&v1::SupplierService::Stub::ListDeadlines, unknown, &pending);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "supplier_id: no supplier \"zz-unknown\"");
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::ListDeadlines, list, &pending).ok());
  EXPECT_EQ(base::FormatRfc3339(base::FromProtoTimestamp(pending.deadlines(0).due_time())),
            "2024-07-03T00:00:00.000000Z");
  std::map<std::string, int> fired;
  auto fire = [&] {
    // A fresh scheduler each time, as after a restart: only the database remembers.
    DeadlineScheduler scheduler(*committer_, contract_rules_, schedule_, clock_, {});
    auto n = scheduler.FireDue();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  };
  SetNow(absl::CivilDay(2024, 7, 2));
  EXPECT_EQ(fire(), 0);
  SetNow(absl::CivilDay(2024, 7, 3));
  EXPECT_EQ(fire(), 1);
  EXPECT_EQ(fire(), 0);
  SetNow(absl::CivilDay(2024, 10, 1));
  EXPECT_EQ(fire(), 3);  // 60, 30 days, passed
  EXPECT_EQ(fire(), 0);
  EXPECT_EQ(CountType("ContractNoticeDeadlineApproaching"), 3);
  EXPECT_EQ(CountType("ContractNoticeDeadlinePassed"), 1);
  // Giving notice now is too late.
  v1::TransitionContractRequest notice;
  notice.set_id(c.id());
  notice.set_version(c.version());
  notice.set_target_state(v1::CONTRACT_STATE_NOTICE_GIVEN);
  notice.set_reason("leaving");
  v1::TransitionContractResponse noticed;
  EXPECT_EQ(Call(&v1::SupplierService::Stub::TransitionContract, notice, &noticed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Nor can the notice period (or the renewal) be edited away to give it after all.
  for (const char* path : {"notice_period", "renewal_kind"}) {
    v1::UpdateContractRequest reopen;
    reopen.mutable_contract()->set_id(c.id());
    reopen.mutable_contract()->set_version(c.version());
    reopen.mutable_contract()->set_renewal_kind(v1::RENEWAL_KIND_NONE);
    reopen.mutable_update_mask()->add_paths(path);
    v1::UpdateContractResponse reopened;
    grpc::Status st = Call(&v1::SupplierService::Stub::UpdateContract, reopen, &reopened);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << path;
    EXPECT_EQ(st.error_message().rfind(absl::StrCat("contract.", path, ": the notice deadline"), 0),
              0u)
        << st.error_message();
  }
  // Two years and a half later nobody ran the scheduler: the chain of renewals catches up, one
  // term at a time, each renewal once (2025, 2026, 2027), with the notice deadlines in between
  // reported as passed, never warned of after the fact.
  SetNow(absl::CivilDay(2027, 6, 1));
  EXPECT_GT(fire(), 0);
  EXPECT_EQ(fire(), 0);
  EXPECT_EQ(CountType("ContractRenewed"), 3);
  ASSERT_EQ(Published<v1::ContractRenewed>().size(), 3u);
  for (const v1::ContractRenewed& renewed : Published<v1::ContractRenewed>()) {
    EXPECT_EQ(renewed.actor(), "service:supplier");  // as the contract's history names it
  }
  EXPECT_EQ(CountType("ContractNoticeDeadlineApproaching"), 3);
  v1::GetContractRequest get;
  get.set_id(c.number());
  v1::GetContractResponse got;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::GetContract, get, &got).ok());
  EXPECT_EQ(got.contract().end_date(), "2027-12-31");
  EXPECT_EQ(got.contract().renewal_count(), 3);
  // An edit that changes no date schedules nothing again.
  v1::UpdateContractRequest update;
  *update.mutable_contract() = got.contract();
  update.mutable_contract()->set_description("renegotiated");
  update.mutable_update_mask()->add_paths("description");
  v1::UpdateContractResponse updated;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::UpdateContract, update, &updated).ok());
  EXPECT_EQ(fire(), 0);
  // Notice in time this term: the contract expires at its end instead of renewing.
  notice.set_version(updated.contract().version());
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::TransitionContract, notice, &noticed).ok());
  SetNow(absl::CivilDay(2028, 1, 1));
  // Expiring (due 2027-12-02: late, nobody ran the scheduler) and expired, once each.
  EXPECT_EQ(fire(), 2);
  EXPECT_EQ(CountType("ContractExpired"), 1);
  ASSERT_EQ(Published<v1::ContractExpired>().size(), 1u);
  EXPECT_EQ(Published<v1::ContractExpired>()[0].actor(), "service:supplier");
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::GetContract, get, &got).ok());
  EXPECT_EQ(got.contract().state(), v1::CONTRACT_STATE_EXPIRED);
  EXPECT_EQ(fire(), 0);
}

// A terminated supplier's contracts can still be ended, and nothing else.
TEST_P(SupplierServiceTest, ATerminatedSuppliersContractsCanOnlyBeEnded) {
  v1::Supplier s = NewSupplier("Acme");
  v1::CreateContractRequest draft = ContractRequest(s);
  draft.mutable_contract()->set_state(v1::CONTRACT_STATE_DRAFT);
  v1::Contract c;
  ASSERT_TRUE(CreateContract(draft, &c).ok());
  v1::TransitionSupplierRequest end;
  end.set_id(s.id());
  end.set_version(s.version());
  end.set_target_status(v1::SUPPLIER_STATUS_TERMINATED);
  end.set_reason("insolvent");
  v1::TransitionSupplierResponse ended;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::TransitionSupplier, end, &ended).ok());

  v1::TransitionContractRequest activate;
  activate.set_id(c.id());
  activate.set_version(c.version());
  activate.set_target_state(v1::CONTRACT_STATE_ACTIVE);
  v1::TransitionContractResponse moved;
  grpc::Status st = Call(&v1::SupplierService::Stub::TransitionContract, activate, &moved);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message().rfind("target_state: the supplier SUP", 0), 0u)
      << st.error_message();
  v1::UpdateContractRequest update;
  update.mutable_contract()->set_id(c.id());
  update.mutable_contract()->set_version(c.version());
  update.mutable_contract()->set_description("renegotiated");
  update.mutable_update_mask()->add_paths("description");
  v1::UpdateContractResponse updated;
  EXPECT_EQ(Call(&v1::SupplierService::Stub::UpdateContract, update, &updated).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::TransitionContractRequest terminate = activate;
  terminate.set_target_state(v1::CONTRACT_STATE_TERMINATED);
  terminate.set_reason("the supplier is insolvent");
  st = Call(&v1::SupplierService::Stub::TransitionContract, terminate, &moved);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(moved.contract().state(), v1::CONTRACT_STATE_TERMINATED);
}

TEST_P(SupplierServiceTest, ReviewsSetTheNextReviewWhichFiresOnce) {
  v1::Supplier s = NewSupplier("Acme");
  v1::RecordReviewRequest r;
  r.mutable_review()->set_supplier_id(s.number());
  r.mutable_review()->set_review_date("2024-01-09");
  r.mutable_review()->add_participants("alice");
  r.mutable_review()->set_findings("Response times slipping");
  v1::ReviewAction* action = r.mutable_review()->add_actions();
  action->set_description("Monthly service review");
  action->set_owner("alice");
  action->set_due_date("2024-02-01");
  r.set_next_review_date("2024-04-01");
  v1::RecordReviewResponse out;
  // The supplier's version is required, and must be the stored one.
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.set_supplier_version(s.version() + 1);
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_code(),
            grpc::StatusCode::ABORTED);
  r.set_supplier_version(s.version());
  // Every participant is named; an action is due on or after the review.
  r.mutable_review()->add_participants(" ");
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_message(),
            "review.participants[1]: empty");
  r.mutable_review()->mutable_participants()->RemoveLast();
  r.mutable_review()->clear_participants();
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_message(),
            "review.participants: required: who took part in the review");
  r.mutable_review()->add_participants("alice");
  // Each action has an owner and a due date (found from outside: actions without either were
  // stored, which an auditor of the review rejects).
  r.mutable_review()->mutable_actions(0)->set_owner(" ");
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_message(),
            "review.actions[0].owner: required: who sees the action through");
  r.mutable_review()->mutable_actions(0)->set_owner("alice");
  r.mutable_review()->mutable_actions(0)->clear_due_date();
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_message(),
            "review.actions[0].due_date: required");
  r.mutable_review()->mutable_actions(0)->set_due_date("2024-01-08");
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_message(),
            "review.actions[0].due_date: before review_date");
  r.mutable_review()->mutable_actions(0)->set_due_date("2024-02-01");
  // A review is recorded once held: tomorrow (2024-01-11 anywhere on Earth) is refused.
  r.mutable_review()->set_review_date("2024-01-11");
  grpc::Status future = Call(&v1::SupplierService::Stub::RecordReview, r, &out);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(future.error_message(), ::testing::HasSubstr("review.review_date: after today"));
  r.mutable_review()->set_review_date("2024-01-09");
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::RecordReview, r, &out).ok());
  EXPECT_EQ(out.supplier().next_review_date(), "2024-04-01");
  r.set_supplier_version(out.supplier().version());
  r.set_next_review_date("2024-01-01");
  EXPECT_EQ(Call(&v1::SupplierService::Stub::RecordReview, r, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // An extra review without a next date keeps the plan ahead of it (found from outside: it
  // erased it, and the review-due deadline with it).
  r.clear_next_review_date();
  r.mutable_review()->set_review_date("2024-01-10");
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::RecordReview, r, &out).ok());
  EXPECT_EQ(out.supplier().next_review_date(), "2024-04-01");
  DeadlineScheduler scheduler(*committer_, contract_rules_, schedule_, clock_, {});
  SetNow(absl::CivilDay(2024, 4, 1));
  EXPECT_EQ(*scheduler.FireDue(), 1);
  EXPECT_EQ(*scheduler.FireDue(), 0);
  EXPECT_EQ(CountType("SupplierReviewDue"), 1);
  // The planned review, held, with no next one given: the plan is fulfilled and ends.
  r.set_supplier_version(out.supplier().version());
  r.mutable_review()->set_review_date("2024-04-01");
  r.mutable_review()->mutable_actions(0)->set_due_date("2024-05-01");
  grpc::Status fulfilled = Call(&v1::SupplierService::Stub::RecordReview, r, &out);
  ASSERT_TRUE(fulfilled.ok()) << fulfilled.error_message();
  EXPECT_EQ(out.supplier().next_review_date(), "");
  // One held long ago, recorded last, is listed where it was held: the latest held first.
  r.set_supplier_version(out.supplier().version());
  r.mutable_review()->set_review_date("2023-06-01");
  r.mutable_review()->mutable_actions(0)->set_due_date("2023-07-01");
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::RecordReview, r, &out).ok());
  v1::ListReviewsRequest list;
  list.set_supplier_id(s.id());
  v1::ListReviewsResponse reviews;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::ListReviews, list, &reviews).ok());
  std::vector<std::string> held;
  for (const v1::Review& review : reviews.reviews()) held.push_back(review.review_date());
  EXPECT_EQ(held,
            (std::vector<std::string>{"2024-04-01", "2024-01-10", "2024-01-09", "2023-06-01"}));
}

// The property of the costs report: for random contracts, the shares of every service and month
// add up exactly to the contracts' values, per currency; drafts, and drafts cancelled unsigned,
// bear nothing.
TEST_P(SupplierServiceTest, ServiceCostsAddUpToTheContractValues) {
  v1::Supplier s = NewSupplier("Acme");
  std::mt19937_64 rng(GetParam() == Backend::kSqlite ? 11 : 12);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const std::vector<std::string> services = {"mail", "vpn", "erp", "crm"};
  std::map<std::string, int64_t> expected;  // by currency
  for (int k = 0; k < 16; ++k) {
    v1::CreateContractRequest r = ContractRequest(s);
    auto* c = r.mutable_contract();
    const absl::CivilDay start = absl::CivilDay(2020, 1, 1) + uniform(0, 1500);
    const absl::CivilDay end = start + uniform(0, 2000);
    c->set_start_date(absl::FormatCivilTime(start));
    c->set_end_date(absl::FormatCivilTime(end));
    c->set_renewal_kind(v1::RENEWAL_KIND_NONE);
    c->clear_renewal_term();
    c->clear_notice_period();
    c->set_state(uniform(0, 4) == 0 ? v1::CONTRACT_STATE_DRAFT : v1::CONTRACT_STATE_ACTIVE);
    c->mutable_value()->set_currency(uniform(0, 1) == 0 ? "EUR" : "USD");
    c->mutable_value()->set_minor_units(uniform(0, 1'000'000'000'000));
    c->clear_services();
    for (const auto& service : services) {
      if (uniform(0, 1) == 0) c->add_services(service);
    }
    if (c->services().empty()) c->add_services("mail");
    v1::Contract created;
    grpc::Status st = CreateContract(r, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
    if (c->state() == v1::CONTRACT_STATE_ACTIVE)
      expected[c->value().currency()] += c->value().minor_units();
    // Terminated: a contract ended early still bears its value, a draft cancelled unsigned none.
    if (uniform(0, 2) == 0) {
      v1::TransitionContractRequest terminate;
      terminate.set_id(created.id());
      terminate.set_version(created.version());
      terminate.set_target_state(v1::CONTRACT_STATE_TERMINATED);
      terminate.set_reason("ended");
      v1::TransitionContractResponse moved;
      st = Call(&v1::SupplierService::Stub::TransitionContract, terminate, &moved);
      ASSERT_TRUE(st.ok()) << st.error_message();
    }
  }
  auto report = [&](const std::string& service) {
    v1::GetServiceCostsRequest r;
    r.set_service(service);
    r.set_from_month("2020-01");
    r.set_to_month("2029-12");
    v1::GetServiceCostsResponse out;
    grpc::Status st = Call(&v1::SupplierService::Stub::GetServiceCosts, r, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::map<std::string, int64_t> sums;
    for (const auto& row : out.costs()) sums[row.cost().currency()] += row.cost().minor_units();
    return sums;
  };
  EXPECT_EQ(report(""), expected);
  std::map<std::string, int64_t> by_service;
  for (const auto& service : services) {
    for (const auto& [currency, sum] : report(service)) by_service[currency] += sum;
  }
  EXPECT_EQ(by_service, expected);
}

// Who set a budget, and what it was before, is in the audit trail (GetHistory with the budget's
// id), written with the budget; a refused budget leaves no entry.
TEST_P(SupplierServiceTest, EveryBudgetSetIsAuditedWithTheVerifiedActorAndThePreviousValue) {
  auto set = [&](int64_t units) {
    v1::SetServiceBudgetRequest r;
    r.set_service("mail");
    r.set_month("2024-03");
    r.mutable_budget()->set_currency("EUR");
    r.mutable_budget()->set_minor_units(units);
    v1::SetServiceBudgetResponse out;
    return Call(&v1::SupplierService::Stub::SetServiceBudget, r, &out);
  };
  ASSERT_TRUE(set(90'000).ok());
  ASSERT_TRUE(set(100'000).ok());
  EXPECT_EQ(set(-1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetHistoryRequest history;
  history.set_id("budget:2024-03:mail");
  v1::GetHistoryResponse entries;
  grpc::Status s = Call(&v1::SupplierService::Stub::GetHistory, history, &entries);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(entries.entries_size(), 2);
  EXPECT_EQ(entries.entries(0).action(), "set_budget");
  EXPECT_EQ(entries.entries(1).action(), "replace_budget");
  for (const auto& e : entries.entries()) {
    EXPECT_EQ(e.actor(), "alice");
    ASSERT_EQ(e.changes_size(), 1);
    EXPECT_EQ(e.changes(0).field(), "budget");
  }
  EXPECT_EQ(entries.entries(0).changes(0).old_value(), "");
  EXPECT_NE(entries.entries(0).changes(0).new_value().find("90000"), std::string::npos)
      << entries.entries(0).changes(0).new_value();
  EXPECT_NE(entries.entries(1).changes(0).old_value().find("90000"), std::string::npos);
  EXPECT_NE(entries.entries(1).changes(0).new_value().find("100000"), std::string::npos);
  // A budget never set is unknown, as an unknown supplier is, not an empty history.
  history.set_id("budget:2024-04:mail");
  grpc::Status unknown = Call(&v1::SupplierService::Stub::GetHistory, history, &entries);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error_message().rfind("id: no budget \"budget:2024-04:mail\"", 0), 0u)
      << unknown.error_message();
}

TEST_P(SupplierServiceTest, BudgetsStandBesideCostsAndBadOnesAreRefused) {
  auto set = [&](const std::string& service, const std::string& month, const std::string& currency,
                 int64_t units) {
    v1::SetServiceBudgetRequest r;
    r.set_service(service);
    r.set_month(month);
    r.mutable_budget()->set_currency(currency);
    r.mutable_budget()->set_minor_units(units);
    v1::SetServiceBudgetResponse out;
    return Call(&v1::SupplierService::Stub::SetServiceBudget, r, &out);
  };
  for (const auto& [status, field] :
       {std::pair(set("", "2024-03", "EUR", 1), "service"),
        std::pair(set(" mail", "2024-03", "EUR", 1), "service"),
        std::pair(set("mail ", "2024-03", "EUR", 1), "service"),
        std::pair(set("mail", "2024-13", "EUR", 1), "month"),
        std::pair(set("mail", "2024-03", "eur", 1), "budget.currency"),
        std::pair(set("mail", "2024-03", "", 1), "budget.currency"),
        std::pair(set("mail", "2024-03", "EUR", -1), "budget.minor_units")}) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_NE(status.error_message().find(field), std::string::npos) << status.error_message();
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM service_budgets"), 0);
  EXPECT_EQ(CountType("ServiceBudgetSet"), 0);

  v1::Supplier s = NewSupplier("Acme");
  v1::Contract c;  // mail, EUR 1,200,000 over 2024 (366 days)
  ASSERT_TRUE(CreateContract(ContractRequest(s), &c).ok());
  ASSERT_TRUE(set("mail", "2024-03", "EUR", 90'000).ok());
  ASSERT_TRUE(set("mail", "2024-03", "EUR", 100'000).ok());  // replaces
  ASSERT_TRUE(set("hr", "2024-03", "USD", 5'000).ok());
  EXPECT_EQ(CountType("ServiceBudgetSet"), 3);
  // The budget it has again: nothing changes, so no version, no event, no history entry.
  const int64_t entries = Count("SELECT COUNT(*) FROM audit_entries");
  ASSERT_TRUE(set("mail", "2024-03", "EUR", 100'000).ok());
  EXPECT_EQ(CountType("ServiceBudgetSet"), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_entries"), entries);
  v1::GetServiceCostsRequest r;
  r.set_from_month("2024-03");
  r.set_to_month("2024-03");
  v1::GetServiceCostsResponse out;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::GetServiceCosts, r, &out).ok());
  ASSERT_EQ(out.costs_size(), 2);
  EXPECT_EQ(out.costs(0).service(), "hr");
  EXPECT_EQ(out.costs(0).cost().minor_units(), 0);
  EXPECT_EQ(out.costs(0).cost().currency(), "USD");
  EXPECT_TRUE(out.costs(0).budgeted());
  EXPECT_EQ(out.costs(1).service(), "mail");
  // 31 of 366 days: floor(1.2e6 * 91 / 366) - floor(1.2e6 * 60 / 366).
  EXPECT_EQ(out.costs(1).cost().minor_units(), 1'200'000 * 91 / 366 - 1'200'000 * 60 / 366);
  EXPECT_EQ(out.costs(1).budget().minor_units(), 100'000);
  EXPECT_EQ(out.costs(1).contracts(), 1);
  r.set_to_month("2024-02");
  EXPECT_EQ(Call(&v1::SupplierService::Stub::GetServiceCosts, r, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(SupplierServiceTest, ScorecardIsServed) {
  v1::Supplier s = NewSupplier("Acme");
  v1::GetScorecardRequest r;
  r.set_supplier_id(s.number());
  v1::GetScorecardResponse out;
  ASSERT_TRUE(Call(&v1::SupplierService::Stub::GetScorecard, r, &out).ok());
  ASSERT_EQ(out.periods_size(), 12);
  EXPECT_EQ(out.periods(11).month(), "2024-01");
  EXPECT_EQ(out.total().uc_compliance_bp(), -1);
  EXPECT_EQ(out.supplier().id(), s.id());
  r.set_from_month("2024-1");
  r.set_to_month("2024-02");
  grpc::Status bad = Call(&v1::SupplierService::Stub::GetScorecard, r, &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("from_month"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, SupplierServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::supplier
