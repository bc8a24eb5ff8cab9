// The SLA service's store gauges: what they count from the SLA history, and that on SQLite each
// query is answered from sla_clocks_stage (migration 5) instead of reading the history whole.
#include "services/sla/src/sla_store_gauges.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"
#include "services/sla/src/sla_repository.h"

namespace itsm::sla {
namespace {

using ::itsm::testing::Backend;

class SlaStoreGaugesTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, SlaRepository::Schema()).ok());
  }

  // A row of the history as the projection writes it; only the counted columns matter here.
  void Clock(int kind, int agreement, int priority, int stage, bool breached) {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
    const std::string id = absl::StrCat("clock-", ++clocks_);
    ASSERT_TRUE((*txn)
                    ->Execute("INSERT INTO sla_clocks(clock_id, incident_id, service, "
                              "sla_definition_id, sla_definition_name, priority, agreement_kind, "
                              "clock_kind, stage, breached, start_us, event_us, business_s, data) "
                              "VALUES ($1, $2, 'checkout', 'def-1', 'Gold', $3, $4, $5, $6, $7, 0, "
                              "0, 0, $8)",
                              {id, "incident-" + id, priority, agreement, kind, stage,
                               breached ? 1 : 0, storage::Bytes{""}})
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  std::unique_ptr<storage::Database> db_;
  prometheus::Registry registry_;
  int clocks_ = 0;
};

TEST_P(SlaStoreGaugesTest, CountsOpenClocksByStageAndEndedOnesByOutcome) {
  Clock(v1::CLOCK_KIND_RESOLUTION, v1::AGREEMENT_KIND_SLA, 1, v1::CLOCK_STAGE_RUNNING, false);
  Clock(v1::CLOCK_KIND_RESOLUTION, v1::AGREEMENT_KIND_SLA, 1, v1::CLOCK_STAGE_RUNNING, false);
  Clock(v1::CLOCK_KIND_RESPONSE, v1::AGREEMENT_KIND_OLA, 2, v1::CLOCK_STAGE_PAUSED, true);
  Clock(v1::CLOCK_KIND_RESOLUTION, v1::AGREEMENT_KIND_SLA, 1, v1::CLOCK_STAGE_COMPLETED, false);
  Clock(v1::CLOCK_KIND_RESOLUTION, v1::AGREEMENT_KIND_SLA, 1, v1::CLOCK_STAGE_COMPLETED, true);
  Clock(v1::CLOCK_KIND_RESOLUTION, v1::AGREEMENT_KIND_SLA, 1, v1::CLOCK_STAGE_COMPLETED, true);
  // Cancelled clocks are neither open nor ended with an outcome.
  Clock(v1::CLOCK_KIND_RESOLUTION, v1::AGREEMENT_KIND_SLA, 1, v1::CLOCK_STAGE_CANCELLED, false);

  servicedb::StoreGauges gauges(*db_, registry_, SlaStoreGauges(), absl::Seconds(15),
                                base::SystemClock::Get());
  ASSERT_TRUE(gauges.Refresh().ok());
  EXPECT_EQ(gauges.ValueOf("itsm_sla_open_clocks", {"RESOLUTION", "SLA", "P1", "RUNNING", "false"}),
            2);
  EXPECT_EQ(gauges.ValueOf("itsm_sla_open_clocks", {"RESPONSE", "OLA", "P2", "PAUSED", "true"}), 1);
  EXPECT_EQ(gauges.ValueOf("itsm_sla_ended_clocks", {"RESOLUTION", "SLA", "P1", "met"}), 1);
  EXPECT_EQ(gauges.ValueOf("itsm_sla_ended_clocks", {"RESOLUTION", "SLA", "P1", "breached"}), 2);
}

TEST(SlaStoreGaugesPlanTest, EveryQueryIsAnsweredFromTheStageIndex) {
  auto db = itsm::testing::NewDatabase(Backend::kSqlite);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(storage::ApplySchema(**db, SlaRepository::Schema()).ok());
  auto txn = (*db)->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok()) << txn.status();
  for (const servicedb::StoreGauge& gauge : SlaStoreGauges()) {
    auto plan = (*txn)->Query("EXPLAIN QUERY PLAN " + gauge.sql);
    ASSERT_TRUE(plan.ok()) << gauge.name << ": " << plan.status();
    std::string text;
    for (const auto& row : plan->rows()) absl::StrAppend(&text, row.back().AsString(), "\n");
    EXPECT_NE(text.find("SEARCH sla_clocks USING COVERING INDEX sla_clocks_stage"),
              std::string::npos)
        << gauge.name << "\n"
        << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SlaStoreGaugesTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::sla
