// The configuration service through a real gRPC channel on loopback, on both storage backends,
// with the real group committer and outbox relay publishing to an in-process Kafka-protocol broker.
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/config/v1/events.pb.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_relay.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/grpc_server.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "services/configuration/src/cmdb.h"
#include "services/configuration/src/config_grpc_service.h"
#include "services/configuration/src/config_repository.h"

namespace itsm::config {
namespace {

using ::itsm::testing::Backend;

class ConfigurationServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    absl::Status migrated = storage::ApplySchema(*db_, ConfigRepository::Schema());
    ASSERT_TRUE(migrated.ok()) << migrated;
    cmdb_ = std::make_unique<Cmdb>(*db_, clock_);
    ASSERT_TRUE(cmdb_->Load().ok());
    committer_ =
        std::make_unique<storage::GroupCommitter>(*db_, storage::GroupCommitter::Options{});
    service_ = std::make_unique<ConfigGrpcService>(*cmdb_, *committer_, executor_);
    server_ = std::make_unique<itsm::testing::GrpcTestServer>(
        std::vector<grpc::Service*>{service_.get()});
    stub_ = v1::ConfigurationService::NewStub(server_->Channel());
  }
  void TearDown() override {
    server_->Shutdown();
    committer_->Stop();
  }

  std::unique_ptr<grpc::ClientContext> Call(const std::string& actor = "alice") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-itsm-actor", actor);
    return ctx;
  }

  v1::ConfigurationItem Ci(const std::string& cls, const std::string& name,
                           std::map<std::string, std::string> attrs = {},
                           v1::LifecycleStatus status = v1::LIFECYCLE_STATUS_LIVE) {
    v1::CreateConfigurationItemRequest r;
    r.set_class_name(cls);
    r.set_name(name);
    r.set_status(status);
    for (auto& [k, v] : attrs) (*r.mutable_attributes())[k] = v;
    v1::CreateConfigurationItemResponse out;
    grpc::Status s = stub_->CreateConfigurationItem(Call().get(), r, &out);
    EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
    return out.configuration_item();
  }

  grpc::Status Relate(const std::string& source, v1::RelationshipType type,
                      const std::string& target, v1::Relationship* out = nullptr) {
    v1::CreateRelationshipRequest r;
    r.set_source_id(source);
    r.set_target_id(target);
    r.set_type(type);
    v1::CreateRelationshipResponse response;
    grpc::Status s = stub_->CreateRelationship(Call().get(), r, &response);
    if (out) *out = response.relationship();
    return s;
  }

  // The newcomer's example: a business service on two applications on a clustered database on
  // three servers. Returns CI ids by name.
  std::map<std::string, std::string> LoadShop() {
    std::map<std::string, std::string> ids;
    ids["shop"] = Ci("business_service", "online-shop").id();
    ids["web"] = Ci("application", "shop-web").id();
    ids["api"] = Ci("application", "shop-api").id();
    ids["db"] = Ci("database", "orders-db", {{"engine", "postgresql"}}).id();
    ids["dbc"] = Ci("cluster", "orders-db-cluster", {{"cluster_type", "database"}}).id();
    for (const char* s : {"db-node-1", "db-node-2", "db-node-3"}) ids[s] = Ci("server", s).id();
    EXPECT_TRUE(Relate(ids["shop"], v1::RELATIONSHIP_TYPE_DEPENDS_ON, ids["web"]).ok());
    EXPECT_TRUE(Relate(ids["shop"], v1::RELATIONSHIP_TYPE_DEPENDS_ON, ids["api"]).ok());
    EXPECT_TRUE(Relate(ids["web"], v1::RELATIONSHIP_TYPE_DEPENDS_ON, ids["db"]).ok());
    EXPECT_TRUE(Relate(ids["api"], v1::RELATIONSHIP_TYPE_DEPENDS_ON, ids["db"]).ok());
    EXPECT_TRUE(Relate(ids["db"], v1::RELATIONSHIP_TYPE_RUNS_ON, ids["dbc"]).ok());
    for (const char* s : {"db-node-1", "db-node-2", "db-node-3"}) {
      EXPECT_TRUE(Relate(ids[s], v1::RELATIONSHIP_TYPE_MEMBER_OF, ids["dbc"]).ok());
    }
    return ids;
  }

  int64_t Count(const std::string& table) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query("SELECT COUNT(*) FROM " + table)->row(0)[0].AsInt();
  }

  base::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Cmdb> cmdb_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  runtime::Executor executor_{"test", 4, 1000};
  std::unique_ptr<ConfigGrpcService> service_;
  std::unique_ptr<itsm::testing::GrpcTestServer> server_;
  std::unique_ptr<v1::ConfigurationService::Stub> stub_;
};

TEST_P(ConfigurationServiceTest,
       ServerFailureImpactsTheBusinessServiceWithPathAndEventsArePublished) {
  auto cluster = kafkamock::MockCluster::Start(1);
  ASSERT_TRUE(cluster.ok());
  ASSERT_TRUE((*cluster)->CreateTopic(kConfigTopic, 4).ok());
  auto ids = LoadShop();

  v1::AnalyzeImpactRequest request;
  request.set_ci_id("server/db-node-2");  // by key, as a person would ask
  request.add_class_names("business_service");
  v1::AnalyzeImpactResponse impact;
  grpc::Status s = stub_->AnalyzeImpact(Call().get(), request, &impact);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(impact.origin().name(), "db-node-2");
  ASSERT_EQ(impact.items_size(), 1);
  const auto& shop = impact.items(0);
  EXPECT_EQ(shop.ci().name(), "online-shop");
  EXPECT_EQ(shop.depth(), 4);
  ASSERT_EQ(shop.path_size(), 4);
  EXPECT_EQ(shop.path(0).ci().name(), "orders-db-cluster");
  EXPECT_EQ(shop.path(0).relationship_type(), v1::RELATIONSHIP_TYPE_MEMBER_OF);
  EXPECT_EQ(shop.path(1).ci().name(), "orders-db");
  EXPECT_EQ(shop.path(1).relationship_type(), v1::RELATIONSHIP_TYPE_RUNS_ON);
  EXPECT_EQ(shop.path(3).ci().name(), "online-shop");

  request.clear_class_names();
  ASSERT_TRUE(stub_->AnalyzeImpact(Call().get(), request, &impact).ok());
  EXPECT_EQ(impact.items_size(), 5);  // cluster, database, two applications, the service

  v1::AnalyzeImpactRequest upstream;
  upstream.set_ci_id(ids["shop"]);
  upstream.set_direction(v1::IMPACT_DIRECTION_UPSTREAM);
  upstream.set_max_depth(2);
  ASSERT_TRUE(stub_->AnalyzeImpact(Call().get(), upstream, &impact).ok());
  std::set<std::string> names;
  for (const auto& item : impact.items()) names.insert(item.ci().name());
  EXPECT_EQ(names, (std::set<std::string>{"shop-web", "shop-api", "orders-db"}));

  // 8 CiCreated and 8 RelationshipCreated, keyed by the record's id.
  prometheus::Registry registry;
  outbox::RelayOptions options;
  options.bootstrap_servers = (*cluster)->bootstrap_servers();
  outbox::OutboxRelay relay(*db_, options, registry);
  ASSERT_EQ(*relay.PublishOnce(), 16);
  auto records = itsm::testing::ReadTopic((*cluster)->bootstrap_servers(), kConfigTopic, 16);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 16u);
  std::map<std::string, int> types;
  for (const auto& rec : *records) {
    types[rec.Header("ce_type")]++;
    EXPECT_EQ(rec.Header("ce_source"), "itsm/configuration");
    EXPECT_EQ(rec.Header("ce_subject"), rec.key);
    if (rec.Header("ce_type") == "itsm.config.v1.CiCreated") {
      v1::CiCreated created;
      ASSERT_TRUE(created.ParseFromString(rec.value));
      EXPECT_EQ(created.configuration_item().id(), rec.key);
      EXPECT_EQ(created.configuration_item().created_by(), "alice");
      EXPECT_EQ(created.actor(), "alice");  // who did it, for consumers that keep no history
    } else {
      v1::RelationshipCreated created;
      ASSERT_TRUE(created.ParseFromString(rec.value));
      EXPECT_EQ(created.relationship().id(), rec.key);
      EXPECT_EQ(created.actor(), "alice");
    }
  }
  EXPECT_EQ(types, (std::map<std::string, int>{{"itsm.config.v1.CiCreated", 8},
                                               {"itsm.config.v1.RelationshipCreated", 8}}));
}

TEST_P(ConfigurationServiceTest, ClassesDefinedThroughTheApiValidateTheirCis) {
  v1::CreateClassRequest r;
  auto* c = r.mutable_ci_class();
  c->set_name("storage_array");
  c->set_parent("hardware");
  auto* a = c->add_attributes();
  a->set_name("capacity_tb");
  a->set_type(v1::ATTRIBUTE_TYPE_INT);
  a->set_required(true);
  v1::CreateClassResponse created;
  grpc::Status s = stub_->CreateClass(Call().get(), r, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.ci_class().effective_attributes_size(), 7);  // six from hardware
  EXPECT_FALSE(created.ci_class().system());
  EXPECT_EQ(stub_->CreateClass(Call().get(), r, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::CreateConfigurationItemRequest ci;
  ci.set_class_name("storage_array");
  ci.set_name("san-1");
  v1::CreateConfigurationItemResponse out;
  s = stub_->CreateConfigurationItem(Call().get(), ci, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "attributes.capacity_tb: required by class storage_array");
  (*ci.mutable_attributes())["capacity_tb"] = "120";
  (*ci.mutable_attributes())["purchase_date"] = "2024-01-31";
  ASSERT_TRUE(stub_->CreateConfigurationItem(Call().get(), ci, &out).ok());

  v1::ListClassesResponse classes;
  ASSERT_TRUE(stub_->ListClasses(Call().get(), {}, &classes).ok());
  EXPECT_EQ(classes.classes_size(), 10);  // nine shipped, one added
  v1::ListConfigurationItemsRequest list;
  list.add_class_names("hardware");  // subclasses included
  v1::ListConfigurationItemsResponse listed;
  ASSERT_TRUE(stub_->ListConfigurationItems(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.configuration_items_size(), 1);
  EXPECT_EQ(listed.configuration_items(0).name(), "san-1");
}

TEST_P(ConfigurationServiceTest, BadInputIsInvalidArgumentNamingTheFieldAndWritesNothing) {
  auto server = Ci("server", "srv-1");
  const int64_t outbox = Count("outbox"), history = Count("config_history");
  struct Case {
    v1::CreateConfigurationItemRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  auto base = [] {
    v1::CreateConfigurationItemRequest r;
    r.set_class_name("server");
    r.set_name("srv-2");
    return r;
  };
  cases.push_back({base(), "attributes.cpu_count"});
  (*cases.back().request.mutable_attributes())["cpu_count"] = "lots";
  cases.push_back({base(), "class_name"});
  cases.back().request.set_class_name("spaceship");
  cases.push_back({base(), "name"});
  cases.back().request.set_name(std::string(201, 'n'));
  cases.push_back({base(), "status"});
  cases.back().request.set_status(static_cast<v1::LifecycleStatus>(17));
  cases.push_back({base(), "attributes.location"});
  (*cases.back().request.mutable_attributes())["location"] =
      server.id();  // a server, not a location
  cases.push_back({base(), "attributes.purchase_date"});
  (*cases.back().request.mutable_attributes())["purchase_date"] = "31/01/2024";
  for (const auto& c : cases) {
    v1::CreateConfigurationItemResponse out;
    grpc::Status s = stub_->CreateConfigurationItem(Call().get(), c.request, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(s.error_message().rfind(c.field + ":", 0), 0u) << s.error_message();
  }
  EXPECT_EQ(Relate("", v1::RELATIONSHIP_TYPE_DEPENDS_ON, server.id()).error_message(),
            "source_id: required");
  EXPECT_EQ(Relate(server.id(), v1::RELATIONSHIP_TYPE_UNSPECIFIED, server.id())
                .error_message()
                .rfind("type:", 0),
            0u);
  // A type given but unknown is not "required".
  EXPECT_EQ(Relate(server.id(), static_cast<v1::RelationshipType>(9), server.id())
                .error_message()
                .rfind("type: unknown type 9", 0),
            0u);
  EXPECT_EQ(Relate(server.id(), v1::RELATIONSHIP_TYPE_DEPENDS_ON, server.id())
                .error_message()
                .rfind("target_id:", 0),
            0u);
  EXPECT_EQ(Relate(server.id(), v1::RELATIONSHIP_TYPE_DEPENDS_ON, "server/ghost").error_message(),
            "target_id: no CI \"server/ghost\"");
  v1::AnalyzeImpactRequest impact;
  impact.set_ci_id(server.id());
  impact.set_max_depth(13);
  v1::AnalyzeImpactResponse ignored;
  EXPECT_EQ(
      stub_->AnalyzeImpact(Call().get(), impact, &ignored).error_message().rfind("max_depth:", 0),
      0u);
  // A class filter's entry is named by its index, both where a list and where an impact
  // analysis takes one; an unknown class there is the caller's mistake, not a missing resource.
  for (const auto& [names, expected] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"server", ""}, "class_names[1]: required"},
           {{"hardware", "spaceship"}, "class_names[1]: no class \"spaceship\""},
           {{std::string(201, 'c')}, "class_names[0]: at most 63 characters, got 201"}}) {
    v1::ListConfigurationItemsRequest list;
    v1::AnalyzeImpactRequest filtered;
    filtered.set_ci_id(server.id());
    for (const auto& name : names) {
      list.add_class_names(name);
      filtered.add_class_names(name);
    }
    v1::ListConfigurationItemsResponse listed;
    grpc::Status s = stub_->ListConfigurationItems(Call().get(), list, &listed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), expected);
    s = stub_->AnalyzeImpact(Call().get(), filtered, &ignored);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), expected);
  }
  EXPECT_EQ(Count("config_items"), 1);
  EXPECT_EQ(Count("outbox"), outbox);
  EXPECT_EQ(Count("config_history"), history);
}

TEST_P(ConfigurationServiceTest, StaleVersionIsAbortedAndHistoryKeepsBeforeAndAfter) {
  auto ci = Ci("server", "srv-1", {{"cpu_count", "8"}});
  v1::UpdateConfigurationItemRequest u;
  *u.mutable_configuration_item() = ci;
  (*u.mutable_configuration_item()->mutable_attributes())["cpu_count"] = "16";
  u.mutable_configuration_item()->set_owner_group("unix-ops");
  u.mutable_update_mask()->add_paths("attributes.cpu_count");
  u.mutable_update_mask()->add_paths("owner_group");
  v1::UpdateConfigurationItemResponse updated;
  grpc::Status s = stub_->UpdateConfigurationItem(Call("bob").get(), u, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.configuration_item().version(), 2);
  // The same update again carries version 1, which is stale now.
  s = stub_->UpdateConfigurationItem(Call("bob").get(), u, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(s.error_message().rfind("configuration_item.version:", 0), 0u);

  v1::ListHistoryRequest h;
  h.set_subject_id(ci.id());
  v1::ListHistoryResponse history;
  ASSERT_TRUE(stub_->ListHistory(Call().get(), h, &history).ok());
  ASSERT_EQ(history.entries_size(), 2);
  EXPECT_EQ(history.entries(0).entry().action(), "created");
  {
    // An id that names nothing is NOT_FOUND, not an empty trail; a shipped class (no entries)
    // is not.
    v1::ListHistoryRequest unknown;
    unknown.set_subject_id("01a24540-0000-7000-8000-000000000000");
    v1::ListHistoryResponse none;
    grpc::Status missing = stub_->ListHistory(Call().get(), unknown, &none);
    EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(missing.error_message(),
              "subject_id: no CI, relationship, class or baseline "
              "\"01a24540-0000-7000-8000-000000000000\"");
    unknown.set_subject_id("server");
    EXPECT_TRUE(stub_->ListHistory(Call().get(), unknown, &none).ok());
  }
  const auto& e = history.entries(1).entry();
  EXPECT_EQ(e.action(), "updated");
  EXPECT_EQ(e.actor(), "bob");
  EXPECT_EQ(e.version(), 2);
  ASSERT_EQ(e.changes_size(), 2);
  EXPECT_EQ(e.changes(0).field(), "owner_group");
  EXPECT_EQ(e.changes(1).field(), "attributes.cpu_count");
  EXPECT_EQ(e.changes(1).old_value(), "8");
  EXPECT_EQ(e.changes(1).new_value(), "16");
}

TEST_P(ConfigurationServiceTest, RelationshipsRefuseDuplicatesAndRetiredEndsAndKeepHistory) {
  auto app = Ci("application", "crm");
  auto vm = Ci("virtual_machine", "vm-1");
  v1::Relationship rel;
  ASSERT_TRUE(Relate(app.id(), v1::RELATIONSHIP_TYPE_RUNS_ON, vm.id(), &rel).ok());
  EXPECT_EQ(Relate(app.id(), v1::RELATIONSHIP_TYPE_RUNS_ON, vm.id()).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Relate(app.id(), v1::RELATIONSHIP_TYPE_MEMBER_OF, vm.id())
                .error_message()
                .rfind("target_id:", 0),
            0u);
  v1::DeleteRelationshipRequest del;
  del.set_id(rel.id());
  v1::DeleteRelationshipResponse deleted;
  ASSERT_TRUE(stub_->DeleteRelationship(Call().get(), del, &deleted).ok());
  EXPECT_EQ(stub_->DeleteRelationship(Call().get(), del, &deleted).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Relate(app.id(), v1::RELATIONSHIP_TYPE_RUNS_ON, vm.id()).ok());  // may come back

  v1::UpdateConfigurationItemRequest retire;
  *retire.mutable_configuration_item() = vm;
  retire.mutable_configuration_item()->set_status(v1::LIFECYCLE_STATUS_RETIRED);
  retire.mutable_update_mask()->add_paths("status");
  v1::UpdateConfigurationItemResponse retired;
  ASSERT_TRUE(stub_->UpdateConfigurationItem(Call().get(), retire, &retired).ok());
  auto other = Ci("application", "erp");
  grpc::Status s = Relate(other.id(), v1::RELATIONSHIP_TYPE_RUNS_ON, vm.id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("target_id:", 0), 0u);
  // Impact passes over the retired VM.
  v1::AnalyzeImpactRequest impact;
  impact.set_ci_id(app.id());
  impact.set_direction(v1::IMPACT_DIRECTION_UPSTREAM);
  v1::AnalyzeImpactResponse got;
  ASSERT_TRUE(stub_->AnalyzeImpact(Call().get(), impact, &got).ok());
  EXPECT_EQ(got.items_size(), 0);

  v1::ListHistoryRequest h;
  h.set_subject_id(app.id());
  h.set_include_relationships(true);
  v1::ListHistoryResponse history;
  ASSERT_TRUE(stub_->ListHistory(Call().get(), h, &history).ok());
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.entry().action());
  EXPECT_EQ(actions, (std::vector<std::string>{"created", "created", "deleted", "created"}));
  EXPECT_EQ(history.entries(1).subject_type(), v1::SUBJECT_TYPE_RELATIONSHIP);
}

// A hub CI's relationships come back bounded, and say so: an answer over gRPC's 4 MiB would
// reach nobody.
TEST_P(ConfigurationServiceTest, AHubsRelationshipsAreListedBoundedAndSayTheyAreCut) {
  v1::ImportConfigurationItemsRequest r;
  auto* hub = r.add_items();
  hub->set_class_name("server");
  hub->set_name("hub");
  hub->set_status(v1::LIFECYCLE_STATUS_LIVE);
  for (int i = 0; i < 1001; ++i) {
    auto* vm = r.add_items();
    vm->set_class_name("virtual_machine");
    vm->set_name("vm-" + std::to_string(i));
    vm->set_status(v1::LIFECYCLE_STATUS_LIVE);
    auto* rel = r.add_relationships();
    rel->mutable_source()->set_class_name("virtual_machine");
    rel->mutable_source()->set_name(vm->name());
    rel->mutable_target()->set_class_name("server");
    rel->mutable_target()->set_name("hub");
    rel->set_type(v1::RELATIONSHIP_TYPE_RUNS_ON);
  }
  v1::ImportConfigurationItemsResponse imported;
  grpc::Status s = stub_->ImportConfigurationItems(Call().get(), r, &imported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(imported.rejected(), 0);
  v1::ListRelationshipsRequest lr;
  lr.set_ci_id("server/hub");
  v1::ListRelationshipsResponse rels;
  ASSERT_TRUE(stub_->ListRelationships(Call().get(), lr, &rels).ok());
  EXPECT_EQ(rels.incoming_size(), 1000);
  EXPECT_EQ(rels.outgoing_size(), 0);
  EXPECT_TRUE(rels.truncated());
  lr.set_ci_id("virtual_machine/vm-7");
  ASSERT_TRUE(stub_->ListRelationships(Call().get(), lr, &rels).ok());
  EXPECT_EQ(rels.outgoing_size(), 1);
  EXPECT_FALSE(rels.truncated());
}

// An impact answer stays under gRPC's 4 MiB, whatever max_results allows: 4,999 virtual machines
// on a hub and an application on each, with long names and their paths, would pass it; the
// nearest ones come back, marked truncated.
TEST_P(ConfigurationServiceTest, AnImpactTooLargeForOneAnswerIsTruncated) {
  for (const char* tier : {"virtual_machine", "application"}) {
    v1::ImportConfigurationItemsRequest r;
    if (std::string(tier) == "virtual_machine") {
      auto* hub = r.add_items();
      hub->set_class_name("server");
      hub->set_name("hub");
      hub->set_status(v1::LIFECYCLE_STATUS_LIVE);
    }
    for (int i = 0; i < 4999; ++i) {
      auto* ci = r.add_items();
      ci->set_class_name(tier);
      ci->set_name(absl::StrCat(tier, "-", i, "-", std::string(170, 'x')));
      ci->set_status(v1::LIFECYCLE_STATUS_LIVE);
      auto* rel = r.add_relationships();
      rel->mutable_source()->set_class_name(tier);
      rel->mutable_source()->set_name(ci->name());
      const bool on_hub = std::string(tier) == "virtual_machine";
      rel->mutable_target()->set_class_name(on_hub ? "server" : "virtual_machine");
      rel->mutable_target()->set_name(
          on_hub ? "hub" : absl::StrCat("virtual_machine-", i, "-", std::string(170, 'x')));
      rel->set_type(v1::RELATIONSHIP_TYPE_RUNS_ON);
    }
    v1::ImportConfigurationItemsResponse imported;
    grpc::Status s = stub_->ImportConfigurationItems(Call().get(), r, &imported);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(imported.rejected(), 0);
  }
  v1::AnalyzeImpactRequest request;
  request.set_ci_id("server/hub");
  request.set_max_results(10000);
  v1::AnalyzeImpactResponse impact;
  grpc::Status s = stub_->AnalyzeImpact(Call().get(), request, &impact);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(impact.truncated());
  EXPECT_GT(impact.items_size(), 4999);  // every machine, the nearest, and some applications
  EXPECT_LT(impact.items_size(), 2 * 4999);
  EXPECT_LE(impact.ByteSizeLong(), size_t{3} << 20);
  // A smaller question is answered whole.
  request.set_max_results(100);
  ASSERT_TRUE(stub_->AnalyzeImpact(Call().get(), request, &impact).ok());
  EXPECT_EQ(impact.items_size(), 100);
}

// A drift report larger than one answer is refused, saying why, rather than cut: a report
// missing some drift would read as "nothing else changed".
TEST_P(ConfigurationServiceTest, ADriftTooLargeForOneAnswerIsRefusedNotCut) {
  v1::CreateBaselineRequest b;
  b.set_name("many");
  for (int part = 0; part < 2; ++part) {
    v1::ImportConfigurationItemsRequest r;
    for (int i = 0; i < 100; ++i) {
      auto* ci = r.add_items();
      ci->set_class_name("server");
      ci->set_name(absl::StrCat("s-", part, "-", i));
      ci->set_status(v1::LIFECYCLE_STATUS_LIVE);
      ci->set_description("short");
      b.add_ci_ids(absl::StrCat("server/", ci->name()));
    }
    v1::ImportConfigurationItemsResponse imported;
    ASSERT_TRUE(stub_->ImportConfigurationItems(Call().get(), r, &imported).ok());
  }
  v1::CreateBaselineResponse baseline;
  // A name is not an id's double, nor padded.
  for (const char* name : {"01a24786-3186-7b8f-990b-308f5d5d7100", " many "}) {
    b.set_name(name);
    grpc::Status refused = stub_->CreateBaseline(Call().get(), b, &baseline);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_EQ(refused.error_message().rfind("name: ", 0), 0u) << refused.error_message();
  }
  b.set_name("many");
  // A CI listed twice, by its name and again: refused, so the list and its count agree.
  {
    v1::CreateBaselineRequest twice = b;
    twice.add_ci_ids("server/s-0-0");
    grpc::Status refused = stub_->CreateBaseline(Call().get(), twice, &baseline);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(refused.error_message(), "ci_ids[200]: \"server/s-0-0\" is listed twice");
  }
  grpc::Status s = stub_->CreateBaseline(Call().get(), b, &baseline);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::DiffBaselineRequest d;
  d.set_baseline("many");
  v1::DiffBaselineResponse diff;
  // Every description becomes 20,000 characters: 200 drifts of 20 KB each.
  for (int part = 0; part < 2; ++part) {
    v1::ImportConfigurationItemsRequest r;
    for (int i = 0; i < 100; ++i) {
      auto* ci = r.add_items();
      ci->set_class_name("server");
      ci->set_name(absl::StrCat("s-", part, "-", i));
      ci->set_status(v1::LIFECYCLE_STATUS_LIVE);
      ci->set_description(std::string(20000, 'd'));
    }
    v1::ImportConfigurationItemsResponse imported;
    s = stub_->ImportConfigurationItems(Call().get(), r, &imported);
    ASSERT_TRUE(s.ok()) << s.error_message();
    if (part == 0) {  // 100 drifts fit
      s = stub_->DiffBaseline(Call().get(), d, &diff);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(diff.configuration_items_size(), 100);
    }
  }
  s = stub_->DiffBaseline(Call().get(), d, &diff);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("200 CIs"), std::string::npos) << s.error_message();
}

TEST_P(ConfigurationServiceTest, ImportIsIdempotentByClassAndName) {
  v1::ImportConfigurationItemsRequest r;
  auto add = [&r](const std::string& cls, const std::string& name,
                  std::map<std::string, std::string> attrs) {
    auto* item = r.add_items();
    item->set_class_name(cls);
    item->set_name(name);
    item->set_status(v1::LIFECYCLE_STATUS_LIVE);
    for (auto& [k, v] : attrs) (*item->mutable_attributes())[k] = v;
  };
  add("server", "web-1", {{"cpu_count", "4"}, {"os", "debian 12"}});
  add("server", "web-2", {{"cpu_count", "4"}});
  add("virtual_machine", "vm-9", {});
  add("server", "bad", {{"cpu_count", "four"}});
  auto* rel = r.add_relationships();
  rel->mutable_source()->set_class_name("virtual_machine");
  rel->mutable_source()->set_name("vm-9");
  rel->mutable_target()->set_class_name("server");
  rel->mutable_target()->set_name("web-1");
  rel->set_type(v1::RELATIONSHIP_TYPE_RUNS_ON);
  auto* dangling = r.add_relationships();
  *dangling = *rel;
  dangling->mutable_target()->set_name("bad");

  v1::ImportConfigurationItemsResponse first;
  grpc::Status s = stub_->ImportConfigurationItems(Call().get(), r, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(first.created(), 4);  // three CIs and one relationship
  EXPECT_EQ(first.rejected(), 2);
  EXPECT_EQ(first.items(3).outcome(), v1::IMPORT_OUTCOME_REJECTED);
  EXPECT_EQ(first.items(3).reason(), "attributes.cpu_count: not an integer: \"four\"");
  EXPECT_EQ(first.relationships(1).reason(), "target: no CI \"server/bad\"");
  const int64_t outbox = Count("outbox"), history = Count("config_history");

  v1::ImportConfigurationItemsResponse second;
  ASSERT_TRUE(stub_->ImportConfigurationItems(Call().get(), r, &second).ok());
  EXPECT_EQ(second.created(), 0);
  EXPECT_EQ(second.updated(), 0);
  EXPECT_EQ(second.unchanged(), 4);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(second.items(i).id(), first.items(i).id());
  EXPECT_EQ(Count("outbox"), outbox);  // nothing changed, nothing announced
  EXPECT_EQ(Count("config_history"), history);

  (*r.mutable_items(0)->mutable_attributes())["cpu_count"] = "8";
  v1::ImportConfigurationItemsResponse third;
  ASSERT_TRUE(stub_->ImportConfigurationItems(Call().get(), r, &third).ok());
  EXPECT_EQ(third.updated(), 1);
  EXPECT_EQ(third.items(0).outcome(), v1::IMPORT_OUTCOME_UPDATED);
  EXPECT_EQ(std::vector<std::string>(third.items(0).changed_fields().begin(),
                                     third.items(0).changed_fields().end()),
            std::vector<std::string>{"attributes.cpu_count"});
  EXPECT_EQ(Count("config_items"), 3);
  EXPECT_EQ(Count("outbox"), outbox + 1);

  // A second row for one CI is refused, naming the first; run again, the feed changes nothing.
  add("server", "web-2", {{"cpu_count", "16"}});
  v1::ImportConfigurationItemsResponse twice;
  ASSERT_TRUE(stub_->ImportConfigurationItems(Call().get(), r, &twice).ok());
  EXPECT_EQ(twice.items(4).outcome(), v1::IMPORT_OUTCOME_REJECTED);
  EXPECT_EQ(twice.items(4).reason(),
            "name: item 1 of this feed is already server/web-2: one row per CI");
  EXPECT_EQ(twice.items(1).outcome(), v1::IMPORT_OUTCOME_UNCHANGED);
  ASSERT_TRUE(stub_->ImportConfigurationItems(Call().get(), r, &twice).ok());
  EXPECT_EQ(twice.updated(), 0);
  EXPECT_EQ(Count("outbox"), outbox + 1);

  // A row over a field limit is a rejected row like any other, not the whole call's refusal
  // (found from outside: one long description threw the feed away).
  v1::ImportConfigurationItemsRequest feed;
  auto* fine = feed.add_items();
  fine->set_class_name("server");
  fine->set_name("after-a-long-one");
  auto* long_one = feed.add_items();
  long_one->set_class_name("server");
  long_one->set_name("long");
  long_one->set_description(std::string(20001, 'x'));
  auto* long_rel = feed.add_relationships();
  long_rel->mutable_source()->set_class_name("server");
  long_rel->mutable_source()->set_name(std::string(300, 's'));
  long_rel->mutable_target()->set_class_name("server");
  long_rel->mutable_target()->set_name("web-1");
  long_rel->set_type(v1::RELATIONSHIP_TYPE_DEPENDS_ON);
  v1::ImportConfigurationItemsResponse mixed;
  s = stub_->ImportConfigurationItems(Call().get(), feed, &mixed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(mixed.created(), 1);
  EXPECT_EQ(mixed.rejected(), 2);
  EXPECT_EQ(mixed.items(0).outcome(), v1::IMPORT_OUTCOME_CREATED);
  EXPECT_EQ(mixed.items(1).outcome(), v1::IMPORT_OUTCOME_REJECTED);
  EXPECT_EQ(mixed.items(1).reason(), "description: at most 20000 characters, got 20001");
  EXPECT_EQ(mixed.relationships(0).outcome(), v1::IMPORT_OUTCOME_REJECTED);
  EXPECT_EQ(mixed.relationships(0).reason().rfind("source.name: at most", 0), 0u)
      << mixed.relationships(0).reason();
  EXPECT_EQ(Count("config_items"), 4);

  // A feed that retires a CI and still lists its relationship runs again clean: the relationship
  // is held, unchanged; a new one to the retired CI is refused.
  v1::ImportConfigurationItemsRequest retiring;
  auto* retired = retiring.add_items();
  retired->set_class_name("server");
  retired->set_name("web-1");
  retired->set_status(v1::LIFECYCLE_STATUS_RETIRED);
  *retiring.add_relationships() = *rel;  // vm-9 runs on web-1
  auto* to_retired = retiring.add_relationships();
  *to_retired = *rel;
  to_retired->mutable_source()->set_class_name("server");
  to_retired->mutable_source()->set_name("web-2");
  to_retired->set_type(v1::RELATIONSHIP_TYPE_DEPENDS_ON);
  for (int run = 0; run < 2; ++run) {
    v1::ImportConfigurationItemsResponse answer;
    ASSERT_TRUE(stub_->ImportConfigurationItems(Call().get(), retiring, &answer).ok());
    EXPECT_EQ(answer.relationships(0).outcome(), v1::IMPORT_OUTCOME_UNCHANGED) << run;
    EXPECT_EQ(answer.relationships(1).outcome(), v1::IMPORT_OUTCOME_REJECTED) << run;
    EXPECT_EQ(answer.relationships(1).reason(), "target: CI \"server/web-1\" is retired");
  }
}

// Baselines are listed by name a page at a time, without their CI lists; one is read by id or
// name with its scope; taking one is in the history (who) and announced (BaselineCreated).
TEST_P(ConfigurationServiceTest, BaselinesAreListedReadAndRecorded) {
  auto ids = LoadShop();
  const int64_t outbox = Count("outbox");
  std::map<std::string, std::string> id_of;
  for (const char* name : {"c-third", "a-first", "b-second"}) {
    v1::CreateBaselineRequest b;
    b.set_name(name);
    b.add_ci_ids(ids["db"]);
    b.add_ci_ids(ids["shop"]);
    v1::CreateBaselineResponse created;
    grpc::Status s = stub_->CreateBaseline(Call("carol").get(), b, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
    id_of[name] = created.baseline().id();
  }
  EXPECT_EQ(Count("outbox"), outbox + 3);

  v1::ListBaselinesRequest list;
  list.mutable_page()->set_page_size(2);
  v1::ListBaselinesResponse page;
  grpc::Status s = stub_->ListBaselines(Call().get(), list, &page);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(page.baselines_size(), 2);
  EXPECT_EQ(page.baselines(0).name(), "a-first");
  EXPECT_EQ(page.baselines(1).name(), "b-second");
  EXPECT_EQ(page.baselines(0).ci_count(), 2);
  EXPECT_EQ(page.baselines(0).created_by(), "carol");
  ASSERT_FALSE(page.next_page_token().empty());
  list.mutable_page()->set_page_token(page.next_page_token());
  s = stub_->ListBaselines(Call().get(), list, &page);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(page.baselines_size(), 1);
  EXPECT_EQ(page.baselines(0).name(), "c-third");
  EXPECT_TRUE(page.next_page_token().empty());
  list.mutable_page()->set_page_token("not-a-token");
  EXPECT_EQ(stub_->ListBaselines(Call().get(), list, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  for (const std::string& key : {std::string("b-second"), id_of["b-second"]}) {
    v1::GetBaselineRequest get;
    get.set_baseline(key);
    v1::GetBaselineResponse got;
    s = stub_->GetBaseline(Call().get(), get, &got);
    ASSERT_TRUE(s.ok()) << key << ": " << s.error_message();
    EXPECT_EQ(got.baseline().id(), id_of["b-second"]);
    EXPECT_EQ(
        std::vector<std::string>(got.baseline().ci_ids().begin(), got.baseline().ci_ids().end()),
        (std::vector<std::string>{ids["db"], ids["shop"]}));
  }
  v1::GetBaselineRequest get;
  v1::GetBaselineResponse got;
  get.set_baseline("no-such-baseline");
  s = stub_->GetBaseline(Call().get(), get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("baseline: no baseline"), std::string::npos)
      << s.error_message();
  get.set_baseline("");
  s = stub_->GetBaseline(Call().get(), get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("baseline:", 0), 0u) << s.error_message();

  // A baseline stored before its CI list moved out of `data` (migration 4) reads the same.
  v1::Baseline old;
  old.set_id("old-baseline");
  old.set_name("d-old");
  old.add_ci_ids(ids["db"]);
  old.set_ci_count(1);
  {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
    ASSERT_TRUE((*txn)
                    ->Execute("INSERT INTO config_baselines(id, name, data) VALUES ($1, $2, $3)",
                              {old.id(), old.name(), storage::Bytes{old.SerializeAsString()}})
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  get.set_baseline("d-old");
  s = stub_->GetBaseline(Call().get(), get, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.baseline().ci_ids_size(), 1);
  list.mutable_page()->set_page_size(10);
  list.mutable_page()->clear_page_token();
  s = stub_->ListBaselines(Call().get(), list, &page);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(page.baselines_size(), 4);
  EXPECT_EQ(page.baselines(3).name(), "d-old");
  EXPECT_EQ(page.baselines(3).ci_count(), 1);

  v1::ListHistoryRequest h;
  h.set_subject_id(id_of["a-first"]);
  v1::ListHistoryResponse history;
  ASSERT_TRUE(stub_->ListHistory(Call().get(), h, &history).ok());
  ASSERT_EQ(history.entries_size(), 1);
  EXPECT_EQ(history.entries(0).subject_type(), v1::SUBJECT_TYPE_BASELINE);
  EXPECT_EQ(history.entries(0).entry().action(), "created");
  EXPECT_EQ(history.entries(0).entry().actor(), "carol");
}

TEST_P(ConfigurationServiceTest, BaselineDiffShowsDrift) {
  auto ids = LoadShop();
  v1::CreateBaselineRequest b;
  b.set_name("shop-2026-q1");
  b.set_root_ci_id(ids["shop"]);
  v1::CreateBaselineResponse baseline;
  grpc::Status s = stub_->CreateBaseline(Call().get(), b, &baseline);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(baseline.baseline().ci_count(), 8);
  EXPECT_EQ(baseline.baseline().relationship_count(), 8);

  v1::DiffBaselineRequest d;
  d.set_baseline("shop-2026-q1");
  v1::DiffBaselineResponse diff;
  ASSERT_TRUE(stub_->DiffBaseline(Call().get(), d, &diff).ok());
  EXPECT_EQ(diff.configuration_items_size(), 0);
  EXPECT_EQ(diff.relationships_size(), 0);

  // Drift: the database's engine version changes, a fourth node joins, a node is retired.
  v1::GetConfigurationItemRequest get;
  get.set_id(ids["db"]);
  v1::GetConfigurationItemResponse db;
  ASSERT_TRUE(stub_->GetConfigurationItem(Call().get(), get, &db).ok());
  v1::UpdateConfigurationItemRequest u;
  *u.mutable_configuration_item() = db.configuration_item();
  (*u.mutable_configuration_item()->mutable_attributes())["version"] = "16.2";
  u.mutable_update_mask()->add_paths("attributes.version");
  v1::UpdateConfigurationItemResponse updated;
  ASSERT_TRUE(stub_->UpdateConfigurationItem(Call().get(), u, &updated).ok());
  auto node4 = Ci("server", "db-node-4");
  ASSERT_TRUE(Relate(node4.id(), v1::RELATIONSHIP_TYPE_MEMBER_OF, ids["dbc"]).ok());
  get.set_id(ids["db-node-3"]);
  v1::GetConfigurationItemResponse node3;
  ASSERT_TRUE(stub_->GetConfigurationItem(Call().get(), get, &node3).ok());
  v1::UpdateConfigurationItemRequest retire;
  *retire.mutable_configuration_item() = node3.configuration_item();
  retire.mutable_configuration_item()->set_status(v1::LIFECYCLE_STATUS_RETIRED);
  retire.mutable_update_mask()->add_paths("status");
  ASSERT_TRUE(stub_->UpdateConfigurationItem(Call().get(), retire, &updated).ok());

  ASSERT_TRUE(stub_->DiffBaseline(Call().get(), d, &diff).ok());
  std::map<std::string, v1::DriftKind> kinds;
  for (const auto& c : diff.configuration_items()) kinds[c.ci().name()] = c.kind();
  EXPECT_EQ(kinds, (std::map<std::string, v1::DriftKind>{{"orders-db", v1::DRIFT_KIND_CHANGED},
                                                         {"db-node-4", v1::DRIFT_KIND_ADDED},
                                                         {"db-node-3", v1::DRIFT_KIND_CHANGED}}));
  for (const auto& c : diff.configuration_items()) {
    if (c.ci().name() == "orders-db") {
      ASSERT_EQ(c.changes_size(), 1);
      EXPECT_EQ(c.changes(0).field(), "attributes.version");
      EXPECT_EQ(c.changes(0).new_value(), "16.2");
    }
  }
  // The fourth node's membership is added; the retired node's is still there (retiring a CI
  // leaves its relationships in place), as a baseline listing the CIs also reports.
  std::map<v1::DriftKind, int> rel_kinds;
  for (const auto& r : diff.relationships()) rel_kinds[r.kind()]++;
  EXPECT_EQ(rel_kinds, (std::map<v1::DriftKind, int>{{v1::DRIFT_KIND_ADDED, 1}}));

  // Retiring the database, which the cluster and its nodes are behind, changes its status: the
  // CIs and relationships behind it are still there, not removed (outside tester).
  get.set_id(ids["db"]);
  ASSERT_TRUE(stub_->GetConfigurationItem(Call().get(), get, &db).ok());
  *retire.mutable_configuration_item() = db.configuration_item();
  retire.mutable_configuration_item()->set_status(v1::LIFECYCLE_STATUS_RETIRED);
  ASSERT_TRUE(stub_->UpdateConfigurationItem(Call().get(), retire, &updated).ok());
  ASSERT_TRUE(stub_->DiffBaseline(Call().get(), d, &diff).ok());
  kinds.clear();
  for (const auto& c : diff.configuration_items()) kinds[c.ci().name()] = c.kind();
  EXPECT_EQ(kinds, (std::map<std::string, v1::DriftKind>{{"orders-db", v1::DRIFT_KIND_CHANGED},
                                                         {"db-node-4", v1::DRIFT_KIND_ADDED},
                                                         {"db-node-3", v1::DRIFT_KIND_CHANGED}}));
  rel_kinds.clear();
  for (const auto& r : diff.relationships()) rel_kinds[r.kind()]++;
  EXPECT_EQ(rel_kinds, (std::map<v1::DriftKind, int>{{v1::DRIFT_KIND_ADDED, 1}}));
}

TEST_P(ConfigurationServiceTest, IdempotencyKeyReturnsTheFirstCi) {
  v1::CreateConfigurationItemRequest r;
  r.set_class_name("location");
  r.set_name("paris-dc1");
  r.set_idempotency_key("feed-7");
  v1::CreateConfigurationItemResponse a, b;
  ASSERT_TRUE(stub_->CreateConfigurationItem(Call().get(), r, &a).ok());
  ASSERT_TRUE(stub_->CreateConfigurationItem(Call().get(), r, &b).ok());
  EXPECT_EQ(a.configuration_item().id(), b.configuration_item().id());
  r.set_name("paris-dc2");
  EXPECT_EQ(stub_->CreateConfigurationItem(Call().get(), r, &b).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  r.clear_idempotency_key();
  r.set_name("paris-dc1");
  grpc::Status s = stub_->CreateConfigurationItem(Call().get(), r, &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(s.error_message().rfind("name:", 0), 0u);
  EXPECT_EQ(Count("config_items"), 1);
}

TEST_P(ConfigurationServiceTest, ListFiltersAndPagesByName) {
  for (int i = 0; i < 7; ++i) Ci("server", "srv-" + std::to_string(i));
  Ci("application", "srv-app");
  Ci("server", "planned-1", {}, v1::LIFECYCLE_STATUS_PLANNED);
  std::vector<std::string> seen;
  v1::ListConfigurationItemsRequest r;
  r.add_class_names("server");
  r.add_statuses(v1::LIFECYCLE_STATUS_LIVE);
  r.mutable_page()->set_page_size(3);
  for (int page = 0; page < 10; ++page) {
    v1::ListConfigurationItemsResponse response;
    ASSERT_TRUE(stub_->ListConfigurationItems(Call().get(), r, &response).ok());
    for (const auto& ci : response.configuration_items()) seen.push_back(ci.name());
    if (page == 0) Ci("server", "srv-9");  // created while paging: sorts after the shown page
    if (response.next_page_token().empty()) break;
    r.mutable_page()->set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"srv-0", "srv-1", "srv-2", "srv-3", "srv-4", "srv-5",
                                            "srv-6", "srv-9"}));
  v1::ListConfigurationItemsRequest by_name;
  by_name.set_name_contains("APP");
  v1::ListConfigurationItemsResponse response;
  ASSERT_TRUE(stub_->ListConfigurationItems(Call().get(), by_name, &response).ok());
  ASSERT_EQ(response.configuration_items_size(), 1);
  by_name.mutable_page()->set_page_token("garbage");
  EXPECT_EQ(stub_->ListConfigurationItems(Call().get(), by_name, &response).error_message(),
            "page.page_token: not a token this service issued");

  // A page's token holds its last name: after one of 200 four-byte characters, paging goes on.
  std::string wide;
  for (int i = 0; i < 199; ++i) wide += "\U0001F600";
  Ci("application", wide + "a");
  Ci("application", wide + "b");
  v1::ListConfigurationItemsRequest wide_pages;
  wide_pages.add_class_names("application");
  wide_pages.set_name_contains("\U0001F600");
  wide_pages.mutable_page()->set_page_size(1);
  ASSERT_TRUE(stub_->ListConfigurationItems(Call().get(), wide_pages, &response).ok());
  ASSERT_FALSE(response.next_page_token().empty());
  wide_pages.mutable_page()->set_page_token(response.next_page_token());
  grpc::Status next = stub_->ListConfigurationItems(Call().get(), wide_pages, &response);
  ASSERT_TRUE(next.ok()) << next.error_message();
  ASSERT_EQ(response.configuration_items_size(), 1);
  EXPECT_EQ(response.configuration_items(0).name(), wide + "b");

  // The whole name, in any case, however many names contain it.
  v1::ListConfigurationItemsRequest exact;
  exact.set_name("SRV-1");
  ASSERT_TRUE(stub_->ListConfigurationItems(Call().get(), exact, &response).ok());
  ASSERT_EQ(response.configuration_items_size(), 1);
  EXPECT_EQ(response.configuration_items(0).name(), "srv-1");
}

TEST_P(ConfigurationServiceTest, ListClassesPagesByNameAndRefusesAnEditedToken) {
  for (const char* name : {"rack", "storage_array", "ups"}) {
    v1::CreateClassRequest r;
    r.mutable_ci_class()->set_name(name);
    v1::CreateClassResponse created;
    ASSERT_TRUE(stub_->CreateClass(Call().get(), r, &created).ok()) << name;
  }
  std::vector<std::string> seen;
  v1::ListClassesRequest r;
  r.mutable_page()->set_page_size(3);
  int pages = 0;
  std::string second_token;
  for (; pages < 10; ++pages) {
    v1::ListClassesResponse response;
    grpc::Status s = stub_->ListClasses(Call().get(), r, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(response.classes_size(), 3);
    for (const auto& c : response.classes()) seen.push_back(c.name());
    if (response.next_page_token().empty()) break;
    r.mutable_page()->set_page_token(response.next_page_token());
    if (pages == 1) second_token = response.next_page_token();
  }
  EXPECT_EQ(pages + 1, 4);  // twelve classes, three a page, and no empty page at the end
  EXPECT_EQ(seen,
            (std::vector<std::string>{"application", "business_service", "cluster", "database",
                                      "hardware", "location", "network_device", "rack", "server",
                                      "storage_array", "ups", "virtual_machine"}));

  v1::ListClassesResponse response;
  std::string edited = second_token;
  edited[edited.size() / 2] = edited[edited.size() / 2] == 'A' ? 'B' : 'A';
  r.mutable_page()->set_page_token(edited);
  grpc::Status s = stub_->ListClasses(Call().get(), r, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("page.page_token", 0), 0u) << s.error_message();
  // A token of another list is refused too.
  v1::ListConfigurationItemsRequest cis;
  cis.mutable_page()->set_page_size(1);
  Ci("server", "srv-1");
  Ci("server", "srv-2");
  v1::ListConfigurationItemsResponse listed;
  ASSERT_TRUE(stub_->ListConfigurationItems(Call().get(), cis, &listed).ok());
  ASSERT_FALSE(listed.next_page_token().empty());
  r.mutable_page()->set_page_token(listed.next_page_token());
  EXPECT_EQ(stub_->ListClasses(Call().get(), r, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  r.mutable_page()->clear_page_token();
  r.mutable_page()->set_page_size(501);
  s = stub_->ListClasses(Call().get(), r, &response);
  EXPECT_EQ(s.error_message(), "page.page_size: must be 0..500, got 501");
}

// Classes of up to 256 KiB each (twice that with their inherited attributes listed) used to be
// sent in one answer: past gRPC's 4 MiB limit, nobody could list any class.
TEST_P(ConfigurationServiceTest, ListClassesPagesStayBelowTheMessageLimit) {
  const int kLarge = 16;  // about 4.5 MB of classes in all
  for (int i = 0; i < kLarge; ++i) {
    v1::CreateClassRequest r;
    r.mutable_ci_class()->set_name("large_" + std::to_string(10 + i));
    for (int a = 0; a < 70; ++a) {
      auto* attribute = r.mutable_ci_class()->add_attributes();
      attribute->set_name("attribute_" + std::to_string(a));
      attribute->set_type(v1::ATTRIBUTE_TYPE_STRING);
      attribute->set_description(std::string(2000, 'd'));
    }
    v1::CreateClassResponse created;
    grpc::Status s = stub_->CreateClass(Call().get(), r, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  v1::ListClassesRequest r;
  r.mutable_page()->set_page_size(500);
  int listed = 0, pages = 0;
  for (; pages < 20; ++pages) {
    v1::ListClassesResponse response;
    grpc::Status s = stub_->ListClasses(Call().get(), r, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_GT(response.classes_size(), 0);
    const size_t last = response.classes(response.classes_size() - 1).ByteSizeLong();
    EXPECT_LE(response.ByteSizeLong(), Cmdb::kMaxPageBytes + last + 64);
    listed += response.classes_size();
    if (response.next_page_token().empty()) break;
    r.mutable_page()->set_page_token(response.next_page_token());
  }
  EXPECT_EQ(listed, 9 + kLarge);
  EXPECT_GE(pages + 1, 2);
}

TEST_P(ConfigurationServiceTest, ASecondInstanceCatchesUpOnTheGraph) {
  // Two replicas on one database: the second never saw the writes, yet answers from them.
  auto ids = LoadShop();
  Cmdb replica(*db_, clock_);
  ASSERT_TRUE(replica.Load().ok());
  v1::AnalyzeImpactRequest r;
  r.set_ci_id(ids["db-node-1"]);
  v1::AnalyzeImpactResponse before;
  ASSERT_TRUE(replica.AnalyzeImpact(r, before).ok());
  EXPECT_EQ(before.items_size(), 5);
  // A relationship deleted through the first instance disappears from the second's answers.
  v1::ListRelationshipsRequest lr;
  lr.set_ci_id(ids["db"]);
  v1::ListRelationshipsResponse rels;
  ASSERT_TRUE(stub_->ListRelationships(Call().get(), lr, &rels).ok());
  ASSERT_EQ(rels.outgoing_size(), 1);
  v1::DeleteRelationshipRequest del;
  del.set_id(rels.outgoing(0).id());
  v1::DeleteRelationshipResponse deleted;
  ASSERT_TRUE(stub_->DeleteRelationship(Call().get(), del, &deleted).ok());
  v1::AnalyzeImpactResponse after;
  ASSERT_TRUE(replica.AnalyzeImpact(r, after).ok());
  EXPECT_EQ(after.items_size(), 1);  // only the cluster
}

// A cold start reads the graph in pages on one thread while another builds it, and reuses each
// applied page's strings for the next rows (graph_loader.h): a graph of more than two pages of
// CIs and of relationships, some deleted since, comes back whole, every name on its CI.
TEST_P(ConfigurationServiceTest, AColdStartLoadsAGraphOfManyPages) {
  // 80,000 rows written one statement at a time take 17 s on PostgreSQL and 1 s on SQLite; the
  // loader's SQL and threads are the same on both.
  if (GetParam() == Backend::kPostgres) GTEST_SKIP() << "SQLite covers the loader";
  const int n = 2 * kGraphScanPage + 17;
  std::vector<std::string> ids;
  std::vector<std::string> relationship_ids;
  {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    auto seq = ConfigRepository::NextGraphSeq(**txn);
    ASSERT_TRUE(seq.ok());
    for (int i = 0; i < n; ++i) {
      v1::ConfigurationItem ci;
      ci.set_id(absl::StrFormat("00000000-0000-4000-8000-%012d", i));
      ci.set_class_name(i % 2 == 0 ? "server" : "application");
      ci.set_name(absl::StrCat("node-", i));
      ci.set_status(v1::LIFECYCLE_STATUS_LIVE);
      ci.set_version(1);
      ASSERT_TRUE(ConfigRepository::InsertCi(**txn, ci, *seq).ok());
      ids.push_back(ci.id());
    }
    // A chain: node-i depends on node-(i+1).
    for (int i = 0; i + 1 < n; ++i) {
      v1::Relationship r;
      r.set_id(absl::StrFormat("00000000-0000-4000-9000-%012d", i));
      r.set_type(v1::RELATIONSHIP_TYPE_DEPENDS_ON);
      r.set_source_id(ids[i]);
      r.set_target_id(ids[i + 1]);
      ASSERT_TRUE(ConfigRepository::InsertRelationship(**txn, r, *seq).ok());
      relationship_ids.push_back(r.id());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  int deleted = 0;
  {
    // One link in a thousand deleted afterwards, as DeleteRelationship would.
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    auto seq = ConfigRepository::NextGraphSeq(**txn);
    ASSERT_TRUE(seq.ok());
    for (int i = 500; i + 1 < n; i += 1000, ++deleted) {
      ASSERT_TRUE(ConfigRepository::MarkRelationshipDeleted(**txn, relationship_ids[i], *seq).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  Cmdb cold(*db_, clock_);
  ASSERT_TRUE(cold.Load().ok());
  EXPECT_EQ(cold.graph_nodes(), static_cast<size_t>(n));
  EXPECT_EQ(cold.graph_edges(), static_cast<size_t>(n - 1 - deleted));

  auto upstream = [&](int from) {
    v1::AnalyzeImpactRequest r;
    r.set_ci_id(ids[from]);
    r.set_direction(v1::IMPACT_DIRECTION_UPSTREAM);
    r.set_max_depth(12);
    v1::AnalyzeImpactResponse response;
    const absl::Status analysed = cold.AnalyzeImpact(r, response);
    EXPECT_TRUE(analysed.ok()) << analysed;
    std::vector<std::string> names;
    for (const auto& item : response.items()) names.push_back(item.ci().name());
    return names;
  };
  // Up to the deleted link node-39500 -> node-39501.
  EXPECT_EQ(upstream(39495), (std::vector<std::string>{"node-39496", "node-39497", "node-39498",
                                                       "node-39499", "node-39500"}));
  // Across the pages' borders (20,000 rows each), to the end of the chain.
  auto tail = upstream(n - 13);
  ASSERT_EQ(tail.size(), 12u);
  EXPECT_EQ(tail.back(), absl::StrCat("node-", n - 1));
  auto middle = upstream(kGraphScanPage - 5);
  ASSERT_EQ(middle.size(), 12u);
  EXPECT_EQ(middle.front(), absl::StrCat("node-", kGraphScanPage - 4));
  EXPECT_EQ(middle.back(), absl::StrCat("node-", kGraphScanPage + 7));
}

// Concurrent creates sharing one key, spread over two replicas of the service on one database
// (each with its own Cmdb and group committer; four writers each on PostgreSQL): every caller gets
// the one CI.
TEST_P(ConfigurationServiceTest, ConcurrentCreatesSharingAKeyAcrossReplicasAllGetOneCi) {
  const int writers = GetParam() == Backend::kPostgres ? 4 : 1;
  Cmdb cmdb_a(*db_, clock_), cmdb_b(*db_, clock_);
  ASSERT_TRUE(cmdb_a.Load().ok());
  ASSERT_TRUE(cmdb_b.Load().ok());
  storage::GroupCommitter committer_a(*db_, {.max_batch = 64, .writers = writers});
  storage::GroupCommitter committer_b(*db_, {.max_batch = 64, .writers = writers});
  ConfigGrpcService replica_a(cmdb_a, committer_a, executor_);
  ConfigGrpcService replica_b(cmdb_b, committer_b, executor_);
  itsm::testing::GrpcTestServer server_a({&replica_a}), server_b({&replica_b});
  std::vector<std::unique_ptr<v1::ConfigurationService::Stub>> stubs;
  // Two channels per replica, so that calls really overlap.
  for (auto* server : {&server_a, &server_b}) {
    for (int c = 0; c < 2; ++c) {
      stubs.push_back(v1::ConfigurationService::NewStub(server->Channel(c)));
    }
  }
  constexpr int kRounds = 25;
  constexpr int kCallers = 4;
  for (int round = 0; round < kRounds; ++round) {
    v1::CreateConfigurationItemRequest r;
    r.set_class_name("server");
    r.set_name("srv-" + std::to_string(round));
    r.set_idempotency_key("feed-" + std::to_string(round));
    std::vector<std::string> ids(kCallers), errors(kCallers);
    std::vector<std::thread> callers;
    for (int c = 0; c < kCallers; ++c) {
      callers.emplace_back([&, c] {
        v1::CreateConfigurationItemResponse out;
        grpc::Status s = stubs[c % stubs.size()]->CreateConfigurationItem(Call().get(), r, &out);
        if (s.ok()) {
          ids[c] = out.configuration_item().id();
        } else {
          errors[c] = std::to_string(s.error_code()) + " " + s.error_message();
        }
      });
    }
    for (auto& t : callers) t.join();
    for (int c = 0; c < kCallers; ++c) {
      ASSERT_EQ(errors[c], "") << "round " << round << " caller " << c;
      EXPECT_EQ(ids[c], ids[0]) << "round " << round << " caller " << c;
    }
  }
  server_a.Shutdown();
  server_b.Shutdown();
  committer_a.Stop();
  committer_b.Stop();
  EXPECT_EQ(Count("config_items"), kRounds);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConfigurationServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::config
