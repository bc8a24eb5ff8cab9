// A first start after an upgrade: the real itsm-incident on a SQLite database at the schema
// before incident migration 7, large enough that copying its table (migration 7 keys it by seq)
// takes longer than the supervisor's start timeout. The timeout counts only the time the
// service is not migrating (base::MigratingFileOf), so the start succeeds, once, with every
// incident kept; before, the launcher killed the service half-way and every retry began again.
#include <filesystem>

#include "gtest/gtest.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_repository.h"

namespace itsm {
namespace {

constexpr int kIncidents = 200000;

TEST(UpgradeEndToEnd, ALongMigrationIsNotCutShortByTheStartTimeout) {
  itsm::testing::ScratchDir dir;
  const std::string data = dir.File("data");
  std::filesystem::create_directories(data);
  std::string number;
  {
    auto db = storage::OpenDatabase("sqlite://" + data + "/incident.db",
                                    {.pool_size = 1, .sqlite_synchronous_full = false});
    ASSERT_TRUE(db.ok()) << db.status();
    std::vector<storage::SchemaComponent> before = incident::IncidentRepository::Schema();
    for (auto& component : before) {
      if (component.name != "incident") continue;
      std::erase_if(component.migrations, [](const auto& m) { return m.version >= 7; });
    }
    ASSERT_TRUE(storage::ApplySchema(**db, before).ok());
    const incident::PriorityMatrix matrix = incident::PriorityMatrix::Default();
    const incident::IncidentFactory factory(matrix, base::SystemClock::Get());
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
    for (int i = 0; i < kIncidents; ++i) {
      incident::v1::CreateIncidentRequest request;
      request.set_title(absl::StrCat("Stored before the upgrade ", i));
      request.set_description("A description of a realistic length for a stored incident row.");
      request.set_impact(2);
      request.set_urgency(2);
      incident::v1::Incident stored = factory.NewIncident(request, "migration-test");
      ASSERT_TRUE(incident::IncidentRepository::Insert(**txn, stored).ok());
      if (i == kIncidents / 2) number = stored.number();
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  supervisor::KafkaBroker::Options kafka;
  kafka.dir = dir.File("kafka");
  kafka.log_file = dir.File("kafka.log");
  auto broker = supervisor::KafkaBroker::Start(kafka);
  ASSERT_TRUE(broker.ok()) << broker.status();
  itsm::testing::TestIssuer issuer;
  supervisor::SuiteService::Options options;
  options.name = "incident";
  options.dir = data;
  options.log_file = dir.File("incident.log");
  // Far below the copy of 200,000 rows (seconds), far above a start without migrations.
  options.start_timeout = absl::Seconds(1);
  options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", (*broker)->bootstrap_servers()}};
  for (auto& setting : issuer.ServiceEnv(dir.path())) options.env.push_back(setting);
  const absl::Time start = absl::Now();
  auto service = supervisor::SuiteService::Start(options);
  ASSERT_TRUE(service.ok()) << service.status();
  // The copy did take longer than the timeout: otherwise this test proves nothing.
  EXPECT_GT(absl::Now() - start, options.start_timeout);

  auto stub = incident::v1::IncidentService::NewStub(issuer.Channel(
      (*service)->grpc_address(), {.subject = "e2e", .roles = {common::v1::ROLE_ADMIN}}));
  grpc::ClientContext ctx;
  incident::v1::GetIncidentRequest get;
  get.set_id(number);
  incident::v1::GetIncidentResponse got;
  grpc::Status status = stub->GetIncident(&ctx, get, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(got.incident().number(), number);
  (*service)->Stop();
}

}  // namespace
}  // namespace itsm
