// Scorecards from a generated stream of real incident, SLA and change events, produced to the
// in-process Kafka broker and applied by the real consumer (consumer group, batch handler,
// committer), equal a computation in this test from the generator's own record of what happened.
// Redelivered events (the same ce_id) and a full replay by a second consumer group change nothing.
// An incident's link to a change counts whether it is applied before or after the incident's own
// events, and two replicas applying batches in opposite orders never deadlock. Both backends.
#include <algorithm>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/storage/errors.h"
#include "itsm/storage/group_commit.h"
#include "itsm/storage/migrations.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/testing/test_env.h"
#include "prometheus/registry.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/scorecard_facts.h"
#include "services/supplier/src/scorecard_projection.h"
#include "services/supplier/src/scorecard_repository.h"
#include "services/supplier/src/scorecard_rollups.h"
#include "services/supplier/src/scorecards.h"
#include "services/supplier/src/supplier_metrics.h"
#include "services/supplier/src/supplier_repository.h"
#include "services/supplier/tests/test_database.h"

namespace itsm::supplier {
namespace {

using ::itsm::testing::Backend;
namespace iv1 = ::itsm::incident::v1;
namespace sv1 = ::itsm::sla::v1;
namespace cv1 = ::itsm::change::v1;

constexpr int kPartitions = 3;
const absl::TimeZone& Zone() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone z;
    absl::LoadTimeZone("Europe/Berlin", &z);
    return z;
  }();
  return zone;
}

// What the generator knows of one incident: the truth the expected scorecard is computed from.
struct TrueIncident {
  std::string id;
  absl::Time created;
  std::optional<absl::Time> first_response;
  std::optional<absl::Time> first_resolution;
  int reopens = 0;
  std::set<std::string> groups;  // every group it was ever assigned to
  std::set<std::string> cis;     // every CI it ever named
  // The assignment groups of the changes linked as possibly having caused it.
  std::set<std::string> causing_groups;
};

struct TrueClock {
  std::string definition_id;
  bool completed = false;
  bool breached = false;
  absl::Time stopped = absl::InfinitePast();
};

struct Produced {
  std::string topic;
  std::string key;
  events::CloudEvent event;
};

// A random history of `n` incidents between January and June 2024 and the UC, SLA and OLA clocks
// of some, as the incident service and the SLA timer would publish them.
class StreamGenerator {
 public:
  explicit StreamGenerator(uint64_t seed) : rng_(seed) {}

  void Generate(int n) {
    const absl::Time begin = absl::FromCivil(absl::CivilSecond(2024, 1, 1, 0, 0, 0), Zone());
    const std::vector<std::string> groups = {"net-desk", "net-field", "db-desk", "other", ""};
    const std::vector<std::string> cis = {"ci-router-1", "ci-router-2", "ci-db", "ci-x"};
    for (int k = 0; k < n; ++k) {
      TrueIncident truth;
      truth.id = absl::StrCat("inc-", k);
      // One in six near a month's start in the zone, where it and UTC disagree on the month.
      truth.created = Uniform(0, 5) == 0 ? NearMonthStart(begin - absl::Hours(3))
                                         : begin + absl::Seconds(Uniform(0, 181 * 86400));
      iv1::Incident i;
      i.set_id(truth.id);
      i.set_number(absl::StrCat("INC", k));
      i.set_title("generated");
      i.set_state(iv1::INCIDENT_STATE_NEW);
      i.set_assignment_group(groups[static_cast<size_t>(Uniform(0, 4))]);
      for (const auto& ci : cis) {
        if (Uniform(0, 3) == 0) i.add_configuration_item_ids(ci);
      }
      *i.mutable_create_time() = base::ToProtoTimestamp(truth.created);
      absl::Time now = truth.created;
      auto publish = [&](auto event) {
        i.set_version(i.version() + 1);
        *i.mutable_update_time() = base::ToProtoTimestamp(now);
        if (!i.assignment_group().empty()) truth.groups.insert(i.assignment_group());
        for (const auto& ci : i.configuration_item_ids()) truth.cis.insert(ci);
        *event.mutable_incident() = i;
        Add(kIncidentTopic, i.id(), event, now);
      };
      publish(iv1::IncidentCreated());
      if (Uniform(0, 3) == 0) {  // reassigned
        now += absl::Minutes(Uniform(1, 600));
        i.set_assignment_group(groups[static_cast<size_t>(Uniform(0, 4))]);
        publish(iv1::IncidentAssigned());
      }
      if (Uniform(0, 5) == 0) {  // another CI named later
        now += absl::Minutes(Uniform(1, 600));
        i.add_configuration_item_ids(cis[static_cast<size_t>(Uniform(0, 3))] + "-extra");
        i.add_configuration_item_ids("ci-router-2");
        publish(iv1::IncidentUpdated());
      }
      if (Uniform(0, 9) > 0) {  // responded
        now += absl::Seconds(Uniform(1, 8 * 3600));
        i.set_state(iv1::INCIDENT_STATE_IN_PROGRESS);
        *i.mutable_first_response_time() = base::ToProtoTimestamp(now);
        truth.first_response = now;
        publish(iv1::IncidentStateChanged());
        int resolutions = Uniform(0, 4) == 0 ? 2 : Uniform(0, 1);
        for (int r = 0; r < resolutions; ++r) {
          now = Uniform(0, 4) == 0 ? NearMonthStart(now)
                                   : now + absl::Seconds(Uniform(60, 20 * 86400));
          i.set_state(iv1::INCIDENT_STATE_RESOLVED);
          *i.mutable_resolve_time() = base::ToProtoTimestamp(now);
          if (!truth.first_resolution) truth.first_resolution = now;
          publish(iv1::IncidentResolved());
          if (r + 1 < resolutions) {
            now += absl::Hours(Uniform(1, 48));
            i.set_state(iv1::INCIDENT_STATE_IN_PROGRESS);
            i.clear_resolve_time();
            i.set_reopen_count(i.reopen_count() + 1);
            truth.reopens = i.reopen_count();
            publish(iv1::IncidentReopened());
          }
        }
        if (i.state() == iv1::INCIDENT_STATE_RESOLVED && Uniform(0, 1) == 0) {
          now += absl::Hours(72);
          i.set_state(iv1::INCIDENT_STATE_CLOSED);
          publish(iv1::IncidentClosed());
        }
      }
      // One in three is linked by the change service to one or two changes (of the suppliers'
      // groups, another's, or none), whatever its CIs.
      if (Uniform(0, 2) == 0) {
        for (int links = static_cast<int>(Uniform(1, 2)); links > 0; --links) {
          AddLink(truth, groups[static_cast<size_t>(Uniform(0, 4))]);
        }
      }
      incidents_.push_back(truth);
      if (Uniform(0, 2) > 0) AddClock(truth);
    }
  }

  // Every produced event, and a tenth of them again with the same ce_id (a redelivery).
  std::vector<Produced> WithRedeliveries() {
    std::vector<Produced> out = produced_;
    for (const auto& p : produced_) {
      if (Uniform(0, 9) == 0) out.push_back(p);
    }
    return out;
  }

  const std::vector<TrueIncident>& incidents() const { return incidents_; }
  const std::map<std::string, TrueClock>& clocks() const { return clocks_; }
  size_t produced() const { return produced_.size(); }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  // A time within three hours of the start (in the zone) of a month after `after`'s, later
  // than `after`.
  absl::Time NearMonthStart(absl::Time after) {
    const absl::CivilMonth month(absl::ToCivilSecond(after, Zone()));
    const absl::Time start = absl::FromCivil(absl::CivilSecond(month + 1 + Uniform(0, 5)), Zone());
    return std::max(after + absl::Seconds(60), start + absl::Seconds(Uniform(-3 * 3600, 3 * 3600)));
  }

  template <typename M>
  void Add(const std::string& topic, const std::string& key, const M& message, absl::Time at) {
    const char* source = topic == kIncidentTopic ? "itsm/incident"
                         : topic == kSlaTopic    ? "itsm/sla-timer"
                                                 : "itsm/change";
    produced_.push_back({topic, key, events::MakeCloudEvent(message, source, key, at)});
  }

  // A change of `group` (none when empty) linked to `incident` as possibly having caused it, as
  // the change service announces it on its topic (key: the change).
  void AddLink(TrueIncident& incident, const std::string& group) {
    cv1::Change change;
    change.set_id(absl::StrCat("chg-", ++changes_));
    change.set_number(absl::StrCat("CHG", changes_));
    change.set_assignment_group(group);
    change.add_configuration_item_ids("ci-router-1");
    cv1::CausedIncident* link = change.add_caused_incidents();
    link->set_incident_id(incident.id);
    link->set_incident_ci_id("ci-router-1");
    link->set_ci_id("ci-router-1");
    *link->mutable_incident_time() = base::ToProtoTimestamp(incident.created);
    const absl::Time at = incident.created + absl::Seconds(Uniform(1, 3600));
    *link->mutable_link_time() = base::ToProtoTimestamp(at);
    cv1::ChangeIncidentLinked linked;
    *linked.mutable_change() = change;
    linked.add_changed_fields("caused_incidents");
    linked.set_actor("service:change");
    *linked.mutable_link() = *link;
    Add(kChangeTopic, change.id(), linked, at);
    if (!group.empty()) incident.causing_groups.insert(group);
  }

  // A clock of one of the definitions (two UC definitions of the supplier, a UC of another
  // supplier, an SLA one) started at the incident's creation, breached or not, completed,
  // cancelled or left running.
  void AddClock(const TrueIncident& incident) {
    static const std::vector<std::pair<std::string, sv1::AgreementKind>> kDefinitions = {
        {"uc-net-1", sv1::AGREEMENT_KIND_UNDERPINNING_CONTRACT},
        {"uc-net-2", sv1::AGREEMENT_KIND_UNDERPINNING_CONTRACT},
        {"uc-db", sv1::AGREEMENT_KIND_UNDERPINNING_CONTRACT},
        {"uc-net-1", sv1::AGREEMENT_KIND_SLA},  // an SLA clock never counts, whatever its id
    };
    const auto& [definition, kind] = kDefinitions[static_cast<size_t>(Uniform(0, 3))];
    sv1::SlaClock c;
    c.set_clock_id(absl::StrCat("clock-", incident.id));
    c.set_incident_id(incident.id);
    c.set_sla_definition_id(definition);
    c.set_agreement_kind(kind);
    c.set_clock_kind(sv1::CLOCK_KIND_RESOLUTION);
    c.set_stage(sv1::CLOCK_STAGE_RUNNING);
    *c.mutable_start_time() = base::ToProtoTimestamp(incident.created);
    absl::Time now = incident.created;
    auto publish = [&](auto event) {
      *c.mutable_event_time() = base::ToProtoTimestamp(now);
      *event.mutable_clock() = c;
      Add(kSlaTopic, incident.id, event, now);
    };
    publish(sv1::SlaClockStarted());
    TrueClock truth;
    truth.definition_id = definition;
    if (Uniform(0, 2) == 0) {
      now += absl::Hours(Uniform(1, 100));
      c.set_breached(true);
      publish(sv1::SlaBreached());
      truth.breached = true;
    }
    switch (Uniform(0, 3)) {
      case 0:
        break;  // still running
      case 1:
        now += absl::Hours(Uniform(1, 100));
        c.set_stage(sv1::CLOCK_STAGE_CANCELLED);
        *c.mutable_stop_time() = base::ToProtoTimestamp(now);
        publish(sv1::SlaClockCancelled());
        break;
      default:
        now = Uniform(0, 4) == 0 ? NearMonthStart(now) : now + absl::Hours(Uniform(1, 100));
        c.set_stage(sv1::CLOCK_STAGE_COMPLETED);
        *c.mutable_stop_time() = base::ToProtoTimestamp(now);
        if (c.breached()) {
          publish(sv1::SlaClockCompleted());
        } else {
          publish(sv1::SlaMet());
        }
        truth.completed = true;
        truth.stopped = now;
    }
    if (kind == sv1::AGREEMENT_KIND_UNDERPINNING_CONTRACT) clocks_[c.clock_id()] = truth;
  }

  std::mt19937_64 rng_;
  int changes_ = 0;
  std::vector<Produced> produced_;
  std::vector<TrueIncident> incidents_;
  std::map<std::string, TrueClock> clocks_;
};

// The expected scorecard months of a supplier with `groups`, `cis` and UC `definitions`,
// computed directly from the truth: full sorts, the month of each instant in the zone.
std::vector<v1::ScorecardPeriod> Expected(const StreamGenerator& g,
                                          const std::set<std::string>& groups,
                                          const std::set<std::string>& cis,
                                          const std::set<std::string>& definitions,
                                          absl::CivilMonth first, absl::CivilMonth last) {
  struct Month {
    int64_t incidents = 0, caused = 0, met = 0, breached = 0, reopened = 0;
    std::vector<absl::Duration> respond, resolve;
  };
  std::map<absl::CivilMonth, Month> months;
  auto month_of = [](absl::Time t) { return absl::CivilMonth(absl::ToCivilSecond(t, Zone())); };
  for (const TrueIncident& i : g.incidents()) {
    bool ours = false;
    for (const auto& group : i.groups) ours |= groups.contains(group);
    for (const auto& ci : i.cis) ours |= cis.contains(ci);
    if (!ours) continue;
    Month& created = months[month_of(i.created)];
    ++created.incidents;
    // Caused by its changes (a change of one of its groups) and on one of its CIs.
    bool on_its_ci = false, by_its_change = false;
    for (const auto& ci : i.cis) on_its_ci |= cis.contains(ci);
    for (const auto& group : i.causing_groups) by_its_change |= groups.contains(group);
    if (on_its_ci && by_its_change) ++created.caused;
    if (i.first_response) created.respond.push_back(*i.first_response - i.created);
    if (i.first_resolution) {
      Month& resolved = months[month_of(*i.first_resolution)];
      resolved.resolve.push_back(*i.first_resolution - i.created);
      if (i.reopens > 0) ++resolved.reopened;
    }
  }
  for (const auto& [id, c] : g.clocks()) {
    if (!c.completed || !definitions.contains(c.definition_id)) continue;
    ++(c.breached ? months[month_of(c.stopped)].breached : months[month_of(c.stopped)].met);
  }
  auto percentile = [](std::vector<absl::Duration> v, double p) {
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()) - 1e-9));
    return base::ToProtoDuration(v[rank - 1]);
  };
  std::vector<v1::ScorecardPeriod> out;
  for (absl::CivilMonth m = first; m <= last; ++m) {
    Month& t = months[m];
    v1::ScorecardPeriod p;
    p.set_month(absl::FormatCivilTime(m).substr(0, 7));
    p.set_incidents(t.incidents);
    p.set_caused_incidents(t.caused);
    p.set_responded(static_cast<int64_t>(t.respond.size()));
    if (!t.respond.empty()) {
      *p.mutable_response_p50() = percentile(t.respond, 0.5);
      *p.mutable_response_p90() = percentile(t.respond, 0.9);
    }
    p.set_resolved(static_cast<int64_t>(t.resolve.size()));
    if (!t.resolve.empty()) {
      *p.mutable_resolution_p50() = percentile(t.resolve, 0.5);
      *p.mutable_resolution_p90() = percentile(t.resolve, 0.9);
      p.set_reopen_rate_bp(
          static_cast<int32_t>(t.reopened * 10000 / static_cast<int64_t>(t.resolve.size())));
    }
    p.set_reopened(t.reopened);
    p.set_uc_clocks_met(t.met);
    p.set_uc_clocks_breached(t.breached);
    p.set_uc_compliance_bp(
        t.met + t.breached == 0 ? -1 : static_cast<int32_t>(t.met * 10000 / (t.met + t.breached)));
    out.push_back(std::move(p));
  }
  return out;
}

// An incident of `id` created at `created` on `ci`, handled by `group`: its IncidentCreated, or
// (`resolved`) its IncidentResolved, answered after 1 h and resolved after 2 h.
events::ConsumedEvent IncidentEvent(const std::string& id, absl::Time created,
                                    const std::string& group, const std::string& ci,
                                    bool resolved) {
  iv1::Incident i;
  i.set_id(id);
  i.set_number(absl::StrCat("INC-", id));
  i.set_assignment_group(group);
  i.add_configuration_item_ids(ci);
  *i.mutable_create_time() = base::ToProtoTimestamp(created);
  events::ConsumedEvent e;
  e.topic = kIncidentTopic;
  e.key = id;
  if (!resolved) {
    i.set_version(1);
    iv1::IncidentCreated m;
    *m.mutable_incident() = i;
    e.event = events::MakeCloudEvent(m, "itsm/incident", id, created);
  } else {
    i.set_version(3);
    *i.mutable_first_response_time() = base::ToProtoTimestamp(created + absl::Hours(1));
    *i.mutable_resolve_time() = base::ToProtoTimestamp(created + absl::Hours(2));
    iv1::IncidentResolved m;
    *m.mutable_incident() = i;
    e.event = events::MakeCloudEvent(m, "itsm/incident", id, created + absl::Hours(2));
  }
  return e;
}

// The change service's announcement that change `change_id`, assigned to `group`, possibly caused
// incident `incident_id` (created at `created`).
events::ConsumedEvent LinkEvent(const std::string& change_id, const std::string& group,
                                const std::string& incident_id, absl::Time created) {
  cv1::ChangeIncidentLinked linked;
  linked.mutable_change()->set_id(change_id);
  linked.mutable_change()->set_assignment_group(group);
  linked.add_changed_fields("caused_incidents");
  linked.set_actor("service:change");
  linked.mutable_link()->set_incident_id(incident_id);
  *linked.mutable_link()->mutable_incident_time() = base::ToProtoTimestamp(created);
  *linked.mutable_link()->mutable_link_time() = base::ToProtoTimestamp(created + absl::Minutes(10));
  *linked.mutable_change()->add_caused_incidents() = linked.link();
  events::ConsumedEvent e;
  e.topic = kChangeTopic;
  e.key = change_id;
  e.event = events::MakeCloudEvent(linked, "itsm/change", change_id, created + absl::Minutes(10));
  return e;
}

class ScorecardStreamTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kIncidentTopic, kPartitions).ok());
    ASSERT_TRUE(cluster_->CreateTopic(kSlaTopic, kPartitions).ok());
    ASSERT_TRUE(cluster_->CreateTopic(kChangeTopic, kPartitions).ok());
    auto url = testing::NewSupplierDatabaseUrl(GetParam());
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    auto db = storage::OpenDatabase(url_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    committer_ =
        std::make_unique<storage::GroupCommitter>(*db_, storage::GroupCommitter::Options{});
    projection_ =
        std::make_unique<ScorecardProjection>(*committer_, clock_, ScorecardProjection::Options{});
    // Two suppliers: "net" (groups net-desk and net-field, router CIs, two UC definitions on two
    // contracts) and "db" (one group, one CI, one UC definition).
    ASSERT_TRUE(committer_
                    ->Run([](storage::Transaction& txn) -> absl::Status {
                      ITSM_RETURN_IF_ERROR(AddSupplier(txn, "sup-net", {"net-desk", "net-field"},
                                                       {"ci-router-1", "ci-router-2"},
                                                       {{"uc-net-1"}, {"uc-net-2", "uc-net-1"}}));
                      return AddSupplier(txn, "sup-db", {"db-desk"}, {"ci-db"}, {{"uc-db"}});
                    })
                    .ok());
  }
  void TearDown() override { committer_->Stop(); }

  static absl::Status AddSupplier(storage::Transaction& txn, const std::string& id,
                                  const std::vector<std::string>& groups,
                                  const std::vector<std::string>& cis,
                                  const std::vector<std::vector<std::string>>& contracts) {
    v1::Supplier s;
    s.set_id(id);
    s.set_name(id);
    s.set_status(v1::SUPPLIER_STATUS_ACTIVE);
    for (const auto& g : groups) s.add_assignment_groups(g);
    for (const auto& ci : cis) s.add_configuration_item_ids(ci);
    s.set_version(1);
    ITSM_RETURN_IF_ERROR(SupplierRepository::Insert(txn, s));
    for (size_t k = 0; k < contracts.size(); ++k) {
      v1::Contract c;
      c.set_id(absl::StrCat(id, "-contract-", k));
      c.set_supplier_id(id);
      c.set_title("UC");
      c.set_state(v1::CONTRACT_STATE_ACTIVE);
      c.set_start_date("2024-01-01");
      c.set_end_date("2024-12-31");
      for (const auto& d : contracts[k]) c.add_uc_definition_ids(d);
      c.set_version(1);
      ITSM_RETURN_IF_ERROR(ContractRepository::Insert(txn, c));
    }
    return absl::OkStatus();
  }

  void Produce(const std::vector<Produced>& messages) {
    auto producer =
        events::KafkaProducer::Create({.bootstrap_servers = cluster_->bootstrap_servers()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    auto batch = (*producer)->NewBatch();
    ASSERT_TRUE(batch.ok());
    for (const auto& m : messages) {
      ASSERT_EQ(batch->Produce(m.topic, m.key, m.event), RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    for (const auto& d : batch->Wait()) ASSERT_TRUE(d.delivered());
  }

  // Consumes the three topics to their ends in consumer group `group`, one consumer per projection
  // (replicas sharing the group: each applies the partitions it is assigned).
  void ConsumeAll(const std::string& group, std::vector<ScorecardProjection*> projections = {}) {
    if (projections.empty()) projections = {projection_.get()};
    prometheus::Registry registry;
    std::vector<std::unique_ptr<events::EventConsumer>> consumers;
    for (ScorecardProjection* projection : projections) {
      consumers.push_back(NewScorecardConsumer(
          *projection, {.bootstrap_servers = cluster_->bootstrap_servers(), .group_id = group},
          registry));
      ASSERT_TRUE(consumers.back()->Start().ok());
    }
    auto at_end = [&] {
      for (const char* topic : {kIncidentTopic, kSlaTopic, kChangeTopic}) {
        for (int p = 0; p < kPartitions; ++p) {
          auto end = consumers[0]->QueryHighWatermark(topic, p, absl::Seconds(5));
          if (!end.ok()) return false;
          bool applied = false;
          for (const auto& consumer : consumers) {
            auto next = consumer->Applied(topic, p);
            applied |= next && *next >= *end;
          }
          if (!applied) return false;
        }
      }
      return true;
    };
    ASSERT_TRUE(supervisor::WaitUntil(at_end, absl::Seconds(60), "every topic applied").ok());
    for (auto& consumer : consumers) consumer->Stop();
  }

  v1::GetScorecardResponse Scorecard(const std::string& supplier) {
    v1::GetScorecardRequest r;
    r.set_supplier_id(supplier);
    r.set_from_month("2024-01");
    r.set_to_month("2024-08");
    r.set_time_zone("Europe/Berlin");
    v1::GetScorecardResponse out;
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_TRUE(txn.ok());
    absl::Status s = scorecards_.Get(**txn, r, out);
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  int64_t Count(const std::string& sql) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query(sql)->row(0)[0].AsInt();
  }

  // A percentile shown is the upper edge of the duration bucket the exact one falls in
  // (duration_histogram.h): never below it, and above it by less than 1/128 of it.
  static void ExpectPercentile(const google::protobuf::Duration& actual,
                               const google::protobuf::Duration& exact, const std::string& what) {
    const int64_t got = absl::ToInt64Microseconds(base::FromProtoDuration(actual));
    const int64_t want = absl::ToInt64Microseconds(base::FromProtoDuration(exact));
    EXPECT_GE(got, want) << what;
    EXPECT_LE(got - want, want / 128) << what << ": " << got << " µs for " << want << " µs";
  }

  void ExpectScorecard(const StreamGenerator& g, const std::string& supplier,
                       const std::set<std::string>& groups, const std::set<std::string>& cis,
                       const std::set<std::string>& definitions) {
    const auto expected =
        Expected(g, groups, cis, definitions, absl::CivilMonth(2024, 1), absl::CivilMonth(2024, 8));
    const v1::GetScorecardResponse actual = Scorecard(supplier);
    ASSERT_EQ(actual.periods_size(), static_cast<int>(expected.size()));
    int64_t incidents = 0, caused = 0, met = 0;
    for (size_t m = 0; m < expected.size(); ++m) {
      v1::ScorecardPeriod got = actual.periods(static_cast<int>(m));
      v1::ScorecardPeriod want = expected[m];
      const std::string what = absl::StrCat(supplier, " month ", want.month());
      ExpectPercentile(got.response_p50(), want.response_p50(), what + " response p50");
      ExpectPercentile(got.response_p90(), want.response_p90(), what + " response p90");
      ExpectPercentile(got.resolution_p50(), want.resolution_p50(), what + " resolution p50");
      ExpectPercentile(got.resolution_p90(), want.resolution_p90(), what + " resolution p90");
      // Everything else exactly.
      for (v1::ScorecardPeriod* p : {&got, &want}) {
        p->clear_response_p50();
        p->clear_response_p90();
        p->clear_resolution_p50();
        p->clear_resolution_p90();
      }
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got, want))
          << what << "\nexpected:\n"
          << want.DebugString() << "actual:\n"
          << got.DebugString();
      incidents += expected[m].incidents();
      caused += expected[m].caused_incidents();
      met += expected[m].uc_clocks_met();
    }
    EXPECT_EQ(actual.total().incidents(), incidents);
    EXPECT_EQ(actual.total().caused_incidents(), caused);
    EXPECT_EQ(actual.total().uc_clocks_met(), met);
    EXPECT_EQ(actual.trend().incidents(), expected[7].incidents() - expected[6].incidents());
    EXPECT_GT(incidents, 0) << "the generator gave " << supplier << " nothing to count";
    EXPECT_GT(caused, 0) << "the generator gave " << supplier << " no caused incident";
  }

  // Every roll-up, as text, by signature members (not id: two replicas may create one signature
  // twice, which splits its incidents between two ids and changes no sum) and month.
  std::vector<std::string> Rollups() {
    std::vector<std::string> out;
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    auto rows = (*txn)->Query(
        "SELECT s.members, r.month, r.incidents, r.reopened, r.response_hist, r.resolution_hist"
        " FROM scorecard_month_rollups r JOIN scorecard_signatures s ON s.id = r.signature_id");
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::map<std::pair<std::string, int64_t>, PeriodTally> tallies;
    for (const auto& r : rows->rows()) {
      PeriodTally t;
      t.incidents = r[2].AsInt();
      t.reopened = r[3].AsInt();
      auto response = DurationHistogram::Decode(r[4].AsString());
      auto resolution = DurationHistogram::Decode(r[5].AsString());
      EXPECT_TRUE(response.ok() && resolution.ok());
      t.response = response.value_or(DurationHistogram());
      t.resolution = resolution.value_or(DurationHistogram());
      tallies[{r[0].AsString(), r[1].AsInt()}].Merge(t);
    }
    for (const auto& [key, t] : tallies) {
      out.push_back(absl::StrCat(key.first, "/", key.second, ": ", t.incidents, " ", t.reopened,
                                 " ", absl::BytesToHexString(t.response.Encode()), " ",
                                 absl::BytesToHexString(t.resolution.Encode())));
    }
    auto clocks = (*txn)->Query(
        "SELECT definition_id, month, met, breached FROM scorecard_uc_month_rollups"
        " ORDER BY definition_id, month");
    EXPECT_TRUE(clocks.ok()) << clocks.status();
    for (const auto& r : clocks->rows()) {
      out.push_back(
          absl::StrCat(r[0].AsString(), "/", r[1].AsInt(), ": ", r[2].AsInt(), " ", r[3].AsInt()));
    }
    return out;
  }

  base::ManualClock clock_{
      absl::FromCivil(absl::CivilSecond(2024, 9, 1, 0, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<kafkamock::MockCluster> cluster_;
  std::string url_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  std::unique_ptr<ScorecardProjection> projection_;
  Scorecards scorecards_{clock_};
};

TEST_P(ScorecardStreamTest, ScorecardsEqualTheGeneratorsTruthEvenWithRedeliveries) {
  StreamGenerator g(GetParam() == Backend::kSqlite ? 42 : 4242);
  g.Generate(400);
  Produce(g.WithRedeliveries());
  ConsumeAll("itsm-supplier-scorecards");

  ExpectScorecard(g, "sup-net", {"net-desk", "net-field"}, {"ci-router-1", "ci-router-2"},
                  {"uc-net-1", "uc-net-2"});
  ExpectScorecard(g, "sup-db", {"db-desk"}, {"ci-db"}, {"uc-db"});
  const int64_t marks = Count("SELECT COUNT(*) FROM scorecard_events");

  // A second group replays both topics from the start: every event again, nothing changes.
  ConsumeAll("replay");
  ExpectScorecard(g, "sup-net", {"net-desk", "net-field"}, {"ci-router-1", "ci-router-2"},
                  {"uc-net-1", "uc-net-2"});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), marks);
  // SLA-kind clocks are not kept; every incident is.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_uc_clocks"),
            static_cast<int64_t>(g.clocks().size()));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_incidents"), 400);

  // The roll-ups kept event by event equal a rebuild from the stored facts.
  const std::vector<std::string> incremental = Rollups();
  ASSERT_FALSE(incremental.empty());
  // (The rebuild the first start after schema migration 2 runs: once, whoever starts first.)
  auto rebuilt = RebuildRollupsIfPending(*committer_);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_TRUE(*rebuilt);
  EXPECT_EQ(Rollups(), incremental);
  rebuilt = RebuildRollupsIfPending(*committer_);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_FALSE(*rebuilt);

  // A supplier's groups are taken as they are now: sup-db taking over "other" gets the history
  // of every incident "other" ever handled.
  ASSERT_TRUE(committer_
                  ->Run([](storage::Transaction& txn) -> absl::Status {
                    ITSM_ASSIGN_OR_RETURN(v1::Supplier s, SupplierRepository::Get(txn, "sup-db"));
                    s.add_assignment_groups("other");
                    const int64_t read = s.version();
                    s.set_version(read + 1);
                    return SupplierRepository::Update(txn, s, read);
                  })
                  .ok());
  ExpectScorecard(g, "sup-db", {"db-desk", "other"}, {"ci-db"}, {"uc-db"});
}

// Two replicas, each with its own connection, committer and projection, share the database and
// the consumer group, each applying the partitions it is assigned: every month still equals the
// truth, and the roll-ups (summed by signature members: a signature may be created twice) a
// rebuild from the stored facts.
TEST_P(ScorecardStreamTest, TwoReplicasSharingTheDatabaseAndTheGroupCountEachEventOnce) {
  StreamGenerator g(GetParam() == Backend::kSqlite ? 7 : 77);
  g.Generate(400);
  Produce(g.WithRedeliveries());
  auto db = storage::OpenDatabase(url_);
  ASSERT_TRUE(db.ok()) << db.status();
  storage::GroupCommitter committer(**db, storage::GroupCommitter::Options{});
  ScorecardProjection projection(committer, clock_, ScorecardProjection::Options{});
  ConsumeAll("itsm-supplier-scorecards", {projection_.get(), &projection});
  committer.Stop();

  ExpectScorecard(g, "sup-net", {"net-desk", "net-field"}, {"ci-router-1", "ci-router-2"},
                  {"uc-net-1", "uc-net-2"});
  ExpectScorecard(g, "sup-db", {"db-desk"}, {"ci-db"}, {"uc-db"});
  const std::vector<std::string> incremental = Rollups();
  ASSERT_TRUE(
      committer_->Run([](storage::Transaction& txn) { return ScorecardRollups::Rebuild(txn); })
          .ok());
  EXPECT_EQ(Rollups(), incremental);
}

// The link (change topic) and the incident's own events (incident topic) reach the projection in
// any order: before, after, or in one batch either way round, the incident counts as caused.
// Redelivered, or replayed in reverse after its marks were pruned, nothing changes.
TEST_P(ScorecardStreamTest, ACausedIncidentCountsWhicheverTopicIsAppliedFirst) {
  const absl::Time march = absl::FromCivil(absl::CivilSecond(2024, 3, 10, 0, 0, 0), Zone());
  auto incident = [&](const std::string& id, const std::string& ci, int part) {
    return IncidentEvent(id, march, "other", ci, part == 1);
  };
  auto link = [&](const std::string& id, const std::string& group) {
    return LinkEvent("chg-" + id, group, id, march);
  };
  const std::string router = "ci-router-1";  // sup-net's
  const std::vector<std::vector<events::ConsumedEvent>> batches = {
      // On sup-net's CI, by a change of sup-net's group (net-field): caused, in every order.
      {link("before", "net-field")},
      {incident("before", router, 0), incident("before", router, 1)},
      {incident("after", router, 0), incident("after", router, 1)},
      {link("after", "net-field")},
      {link("first", "net-field"), incident("first", router, 0), incident("first", router, 1)},
      {incident("last", router, 0), incident("last", router, 1), link("last", "net-field")},
      // sup-net's incident (its CI) caused by sup-db's change: not sup-net's, not on sup-db's CI.
      {link("theirs", "db-desk"), incident("theirs", router, 0), incident("theirs", router, 1)},
      // On sup-db's CI, caused by sup-net's change: not on sup-net's CIs, not sup-db's change.
      {incident("elsewhere", "ci-db", 0), link("elsewhere", "net-field"),
       incident("elsewhere", "ci-db", 1)},
      // A change without a group: nothing to record, no mark.
      {link("nobody", ""), incident("nobody", router, 0), incident("nobody", router, 1)},
  };
  auto apply = [&](const std::vector<events::ConsumedEvent>& batch) {
    for (const absl::Status& s : projection_->ApplyBatch(batch)) ASSERT_TRUE(s.ok()) << s;
  };
  for (const auto& batch : batches) apply(batch);

  auto march_of = [&](const std::string& supplier) {
    const v1::GetScorecardResponse card = Scorecard(supplier);
    return card.periods(2);  // 2024-03
  };
  auto expect_march = [&] {
    const v1::ScorecardPeriod net = march_of("sup-net");
    EXPECT_EQ(net.incidents(), 6);
    EXPECT_EQ(net.caused_incidents(), 4);
    EXPECT_EQ(net.resolved(), 6);
    const v1::ScorecardPeriod db = march_of("sup-db");
    EXPECT_EQ(db.incidents(), 1);
    EXPECT_EQ(db.caused_incidents(), 0);
    EXPECT_EQ(Scorecard("sup-net").total().caused_incidents(), 4);
  };
  expect_march();
  // Every order stored the same facts.
  auto stored = [&](const std::string& id) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    auto f = ScorecardRepository::FindIncident(**txn, id, true);
    EXPECT_TRUE(f.ok() && f->has_value()) << id;
    IncidentFacts facts = f.ok() && f->has_value() ? **f : IncidentFacts();
    facts.incident_id.clear();
    return facts;
  };
  const IncidentFacts before = stored("before");
  EXPECT_EQ(before.causing_groups, std::vector<std::string>{"net-field"});
  EXPECT_EQ(before.create_us, absl::ToUnixMicros(march));
  EXPECT_EQ(before.resolve_us, absl::ToUnixMicros(march + absl::Hours(2)));
  for (const char* id : {"after", "first", "last"}) EXPECT_EQ(stored(id), before) << id;
  EXPECT_TRUE(stored("nobody").causing_groups.empty());
  // 7 incidents × 2 events and 6 links; the link without a group has no mark.
  const int64_t marks = Count("SELECT COUNT(*) FROM scorecard_events");
  EXPECT_EQ(marks, 20);
  const std::vector<std::string> rollups = Rollups();

  // Redelivered: every event finds its mark.
  for (const auto& batch : batches) apply(batch);
  expect_march();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), marks);
  EXPECT_EQ(Rollups(), rollups);

  // Replayed in reverse once the marks are gone: every event applied again, nothing changes.
  ASSERT_TRUE(committer_
                  ->Run([](storage::Transaction& txn) {
                    return ScorecardRepository::PruneMarks(txn, INT64_MAX).status();
                  })
                  .ok());
  for (auto batch = batches.rbegin(); batch != batches.rend(); ++batch) {
    apply(std::vector<events::ConsumedEvent>(batch->rbegin(), batch->rend()));
  }
  expect_march();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), marks);
  EXPECT_EQ(Rollups(), rollups);
  ASSERT_TRUE(
      committer_->Run([](storage::Transaction& txn) { return ScorecardRollups::Rebuild(txn); })
          .ok());
  EXPECT_EQ(Rollups(), rollups);

  // A link naming no incident is refused alone.
  events::ConsumedEvent bad = link("bad", "net-field");
  cv1::ChangeIncidentLinked empty;
  empty.mutable_change()->set_assignment_group("net-field");
  bad.event = events::MakeCloudEvent(empty, "itsm/change", "chg-bad", march);
  const auto results = projection_->ApplyBatch({bad, link("x", "net-field")});
  EXPECT_EQ(results[0].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(results[0].message().find("link.incident_id"), std::string::npos) << results[0];
  EXPECT_TRUE(results[1].ok()) << results[1];
}

// Decision 108: a batch writes its rows in one order (marks by ce_id, incidents by id, roll-up
// rows by key), so two replicas sharing PostgreSQL never deadlock. Two projections, each with its
// own connection and committer, apply overlapping batches at the same instant, in opposite
// orders, many times: the same incidents (one replica their creations and some links, the other
// their resolutions, the other links, and every other round a third of the creations again, as
// after a rebalance), spread over the same few roll-up rows every round. No batch fails, and the
// totals are right. (Applied in event order instead, the batches deadlock on the marks or on the
// incidents' rows within the first rounds.)
TEST_P(ScorecardStreamTest, TwoReplicasApplyingBatchesInOppositeOrdersNeverDeadlock) {
  if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "SQLite has one writer at a time";
  auto db = storage::OpenDatabase(url_);
  ASSERT_TRUE(db.ok()) << db.status();
  storage::GroupCommitter committer(**db, storage::GroupCommitter::Options{});
  ScorecardProjection other(committer, clock_, ScorecardProjection::Options{});
  constexpr int kRounds = 40;
  constexpr int kIncidents = 24;
  const std::vector<std::string> cis = {"ci-router-1", "ci-router-2", "ci-db", "ci-x"};
  int64_t caused = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<events::ConsumedEvent> a, b;
    for (int k = 0; k < kIncidents; ++k) {
      const std::string id = absl::StrCat("r", round, "-", k);
      const std::string& ci = cis[static_cast<size_t>(k) % cis.size()];
      // March, April or May 2024: the rows of 4 CIs (8 with the links) × 3 months, every round.
      const absl::Time created =
          absl::FromCivil(absl::CivilSecond(2024, 3 + k % 3, 10, k, 0, 0), absl::UTCTimeZone());
      const events::ConsumedEvent creation = IncidentEvent(id, created, "net-desk", ci, false);
      a.push_back(creation);
      b.push_back(IncidentEvent(id, created, "net-desk", ci, true));
      (k % 2 == 0 ? a : b).push_back(LinkEvent("chg-" + id, "net-field", id, created));
      // Every other round, a third of the creations in both batches (the same events): the
      // replica second to mark one waits for the other's commit.
      if (round % 2 == 0 && k % 3 == 0) b.push_back(creation);
      if (ci == "ci-router-1" || ci == "ci-router-2") ++caused;
    }
    std::reverse(b.begin(), b.end());
    std::latch start(2);
    std::vector<absl::Status> ra, rb;
    std::thread first([&] {
      start.arrive_and_wait();
      ra = projection_->ApplyBatch(a);
    });
    std::thread second([&] {
      start.arrive_and_wait();
      rb = other.ApplyBatch(b);
    });
    first.join();
    second.join();
    for (const auto* results : {&ra, &rb}) {
      for (const absl::Status& s : *results) ASSERT_TRUE(s.ok()) << "round " << round << ": " << s;
    }
  }
  committer.Stop();

  // Every incident is sup-net's (its group net-desk); those on its CIs were caused by its change.
  const v1::GetScorecardResponse card = Scorecard("sup-net");
  EXPECT_EQ(card.total().incidents(), kRounds * kIncidents);
  EXPECT_EQ(card.total().responded(), kRounds * kIncidents);
  EXPECT_EQ(card.total().resolved(), kRounds * kIncidents);
  EXPECT_EQ(card.total().caused_incidents(), caused);
  EXPECT_EQ(card.periods(2).incidents(), kRounds * kIncidents / 3);  // March
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), kRounds * kIncidents * 3);
  const std::vector<std::string> incremental = Rollups();
  ASSERT_TRUE(
      committer_->Run([](storage::Transaction& txn) { return ScorecardRollups::Rebuild(txn); })
          .ok());
  EXPECT_EQ(Rollups(), incremental);
}

// Two replicas' batches change one roll-up row at the same time: the second waits for the
// first's change of the row and merges into what it committed (nothing lost). This order is the
// one a test can force; a second that read the row before the first changed it is kept off by
// the row lock (FOR UPDATE) and not reproduced here. PostgreSQL only: SQLite has one writer.
TEST_P(ScorecardStreamTest, ConcurrentChangesOfOneRollupRowLoseNothing) {
  if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "SQLite has one writer at a time";
  const int64_t march = absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2024, 3, 10, 0, 0, 0), absl::UTCTimeZone()));
  auto incident = [march](int hours) {
    return IncidentFacts{.create_us = march, .response_us = march + hours * 3'600'000'000LL};
  };
  auto flush = [&](storage::Database& db, int hours) -> absl::Status {
    ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadWrite));
    RollupDeltas deltas;
    deltas.AddIncident(42, incident(hours), 1);
    ITSM_RETURN_IF_ERROR(deltas.Flush(*txn));
    return txn->Commit();
  };
  ASSERT_TRUE(flush(*db_, 1).ok());  // the row exists before both
  auto other = storage::OpenDatabase(url_);
  ASSERT_TRUE(other.ok()) << other.status();

  auto first = db_->Begin(storage::TransactionMode::kReadWrite);
  ASSERT_TRUE(first.ok());
  RollupDeltas deltas;
  deltas.AddIncident(42, incident(2), 1);
  ASSERT_TRUE(deltas.Flush(**first).ok());
  absl::Status second_status;
  std::thread second([&] { second_status = flush(**other, 3); });
  // The second transaction waits for the first's lock on the row (no fixed sleep: PostgreSQL
  // says when it waits).
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] {
                    return Count(
                               "SELECT COUNT(*) FROM pg_stat_activity WHERE"
                               " datname = current_database() AND wait_event_type = 'Lock'") > 0;
                  },
                  absl::Seconds(30), "the second transaction waiting")
                  .ok());
  ASSERT_TRUE((*first)->Commit().ok());
  second.join();
  ASSERT_TRUE(second_status.ok()) << second_status;

  auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
  auto rows = (*txn)->Query(
      "SELECT incidents, response_hist FROM scorecard_month_rollups WHERE signature_id = 42");
  ASSERT_TRUE(rows.ok() && rows->size() == 1);
  EXPECT_EQ(rows->row(0)[0].AsInt(), 3);
  auto response = DurationHistogram::Decode(rows->row(0)[1].AsString());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->Count(), 3);
}

// A batch of March 2024 incident events of sup-net: inc-a created, inc-bad created (the one the
// database refuses), inc-a resolved, inc-b created.
std::vector<events::ConsumedEvent> BatchWithARefusedIncident() {
  const absl::Time march = absl::FromCivil(absl::CivilSecond(2024, 3, 10, 0, 0, 0), Zone());
  return {IncidentEvent("inc-a", march, "net-desk", "ci-router-1", false),
          IncidentEvent("inc-bad", march, "net-desk", "ci-router-1", false),
          IncidentEvent("inc-a", march, "net-desk", "ci-router-1", true),
          IncidentEvent("inc-b", march, "net-desk", "ci-router-2", false)};
}

// inc-bad's incident row is refused: its mark, written just before in the same event, must be
// undone with it.
itsm::testing::WriteFault RefuseBadIncident() {
  return {.name = "refuse_inc_bad",
          .table = "scorecard_incidents",
          .column = "incident_id",
          .value = "inc-bad"};
}

// One event whose write the database refuses (a trigger here; a value it cannot store or a
// constraint in life) is skipped alone, INVALID_ARGUMENT naming it: retried with its batch, it
// would hold its partitions for ever. Every other event of the batch is applied, the roll-ups
// still equal a rebuild from the stored facts, and a redelivery changes nothing.
TEST_P(ScorecardStreamTest, AnEventTheDatabaseRefusesIsSkippedAlone) {
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, RefuseBadIncident()).ok());
  const std::vector<events::ConsumedEvent> batch = BatchWithARefusedIncident();
  auto expect_all_but_the_refused = [&](const std::vector<absl::Status>& results) {
    ASSERT_EQ(results.size(), batch.size());
    for (size_t i : {0, 2, 3}) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
    EXPECT_EQ(results[1].code(), absl::StatusCode::kInvalidArgument) << results[1];
    const std::string why(results[1].message());
    EXPECT_NE(why.find("itsm.incident.v1.IncidentCreated"), std::string::npos) << why;
    EXPECT_NE(why.find(batch[1].event.id), std::string::npos) << why;
    EXPECT_NE(why.find("refuse_inc_bad"), std::string::npos) << why;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), 3);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_incidents WHERE incident_id = 'inc-bad'"), 0);
    const v1::ScorecardPeriod march = Scorecard("sup-net").periods(2);
    EXPECT_EQ(march.incidents(), 2);
    EXPECT_EQ(march.responded(), 1);
    EXPECT_EQ(march.resolved(), 1);
  };
  expect_all_but_the_refused(projection_->ApplyBatch(batch));
  const std::vector<std::string> rollups = Rollups();
  expect_all_but_the_refused(projection_->ApplyBatch(batch));
  EXPECT_EQ(Rollups(), rollups);
  ASSERT_TRUE(
      committer_->Run([](storage::Transaction& txn) { return ScorecardRollups::Rebuild(txn); })
          .ok());
  EXPECT_EQ(Rollups(), rollups);
}

// A database that fails transiently refuses nothing for good: every event comes back (none
// INVALID_ARGUMENT, which would skip it) and nothing is written; once the database is back the
// same batch applies with only the refused event skipped. Through a connection that gives up a
// lock after 200 ms. SQLite: another connection holds the write lock (busy). PostgreSQL: after
// inc-bad was refused, inc-b's write fails as a serialization failure does, so the transient
// error is met event by event.
TEST_P(ScorecardStreamTest, ATransientFailureIsRetriedNeverSkipped) {
  ASSERT_TRUE(itsm::testing::AddWriteFault(*db_, RefuseBadIncident()).ok());
  const itsm::testing::WriteFault conflict{.name = "conflict_on_inc_b",
                                           .table = "scorecard_incidents",
                                           .column = "incident_id",
                                           .value = "inc-b",
                                           .sqlstate = "40001"};
  auto db = storage::OpenDatabase(url_, {.busy_timeout_ms = 200});
  ASSERT_TRUE(db.ok()) << db.status();
  storage::GroupCommitter committer(**db, storage::GroupCommitter::Options{});
  ScorecardProjection projection(committer, clock_, ScorecardProjection::Options{});
  auto lock = itsm::testing::MakeWritesTransient(*db_, conflict);
  ASSERT_TRUE(lock.ok()) << lock.status();
  const std::vector<events::ConsumedEvent> batch = BatchWithARefusedIncident();
  for (const absl::Status& s : projection.ApplyBatch(batch)) {
    EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(storage::IsTransient(s)) << s;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_incidents"), 0);

  if (GetParam() == Backend::kSqlite) {
    lock->reset();
  } else {
    ASSERT_TRUE(itsm::testing::RemoveWriteFault(*db_, conflict).ok());
  }
  const std::vector<absl::Status> results = projection.ApplyBatch(batch);
  ASSERT_EQ(results.size(), batch.size());
  for (size_t i : {0, 2, 3}) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kInvalidArgument) << results[1];
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), 3);
  EXPECT_EQ(Scorecard("sup-net").periods(2).incidents(), 2);
  committer.Stop();
}

TEST_P(ScorecardStreamTest, BadInputIsRefusedNamingTheField) {
  auto code_of = [&](v1::GetScorecardRequest r) {
    v1::GetScorecardResponse out;
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    absl::Status s = scorecards_.Get(**txn, r, out);
    return std::pair(s.code(), std::string(s.message()));
  };
  v1::GetScorecardRequest r;
  EXPECT_EQ(code_of(r).first, absl::StatusCode::kInvalidArgument);
  r.set_supplier_id("sup-net");
  r.set_time_zone("Mars/Olympus");
  EXPECT_NE(code_of(r).second.find("time_zone"), std::string::npos);
  r.set_time_zone("");
  r.set_from_month("2020-01");
  r.set_to_month("2026-01");
  EXPECT_NE(code_of(r).second.find("to_month"), std::string::npos);
  r.set_supplier_id("nobody");
  r.set_to_month("2020-02");
  EXPECT_EQ(code_of(r).first, absl::StatusCode::kNotFound);
  // The default range: the 12 months up to the clock's (September 2024).
  r.set_supplier_id("sup-net");
  r.clear_from_month();
  r.clear_to_month();
  v1::GetScorecardResponse out;
  auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(scorecards_.Get(**txn, r, out).ok());
  ASSERT_EQ(out.periods_size(), 12);
  EXPECT_EQ(out.periods(11).month(), "2024-09");
}

// The compliance metric, from clocks applied by the batch handler directly: one series per
// supplier with UC definitions and a clock completed in the last 30 days. A clock event that does
// not parse is refused alone and leaves nothing behind.
TEST_P(ScorecardStreamTest, ComplianceMetricPerSupplier) {
  std::vector<events::ConsumedEvent> batch;
  auto clock_event = [&](const std::string& id, const std::string& definition, bool breached,
                         absl::Duration before_now) {
    sv1::SlaClock c;
    c.set_clock_id(id);
    c.set_incident_id("inc-" + id);
    c.set_sla_definition_id(definition);
    c.set_agreement_kind(sv1::AGREEMENT_KIND_UNDERPINNING_CONTRACT);
    c.set_stage(sv1::CLOCK_STAGE_COMPLETED);
    c.set_breached(breached);
    *c.mutable_stop_time() = base::ToProtoTimestamp(clock_.Now() - before_now);
    *c.mutable_event_time() = c.stop_time();
    sv1::SlaMet met;
    *met.mutable_clock() = c;
    events::ConsumedEvent e;
    e.event = events::MakeCloudEvent(met, "itsm/sla-timer", c.incident_id(), clock_.Now());
    e.topic = kSlaTopic;
    batch.push_back(e);
  };
  clock_event("a", "uc-net-1", false, absl::Hours(24));
  clock_event("b", "uc-net-2", false, absl::Hours(48));
  clock_event("c", "uc-net-1", false, absl::Hours(72));
  clock_event("d", "uc-net-2", true, absl::Hours(96));
  clock_event("e", "uc-net-1", true, absl::Hours(24 * 40));  // outside the window
  clock_event("f", "uc-db", true, absl::Hours(1));
  events::ConsumedEvent bad = batch.back();
  bad.event.data = "not a protobuf";
  bad.event.id = "bad";
  batch.push_back(bad);
  const auto results = projection_->ApplyBatch(batch);
  for (size_t i = 0; i + 1 < results.size(); ++i) EXPECT_TRUE(results[i].ok()) << results[i];
  EXPECT_EQ(results.back().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events WHERE ce_id = 'bad'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM scorecard_events"), 6);

  prometheus::Registry registry;
  SupplierMetrics metrics(*db_, clock_, registry);
  ASSERT_TRUE(metrics.Refresh().ok());
  std::map<std::string, double> ratio;
  for (const auto& family : registry.Collect()) {
    if (family.name != "itsm_supplier_uc_compliance_ratio") continue;
    for (const auto& m : family.metric) ratio[m.label[0].value] = m.gauge.value;
  }
  // sup-net is SUP0000001: 3 met, 1 breached in the window; sup-db (SUP0000002): 1 breached.
  EXPECT_EQ(ratio, (std::map<std::string, double>{{"SUP0000001", 0.75}, {"SUP0000002", 0.0}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, ScorecardStreamTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::supplier
